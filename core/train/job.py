"""One fine-tuning run: labelled folder + base model -> an installed Earmark model and its report.

The ``transformers`` Trainer does the training (epoch evaluation, best-epoch reload, early
stopping, fp16 on a GPU); this module wires the data to it, listens to it through
:class:`.progress.ProgressCallback` (progress for the CLI and the wizard, cancellation), and installs
the result atomically: the model is assembled in a hidden scratch folder under ``models/`` and
renamed into place only when complete, so a crash or a cancel never leaves a half-written model.

A run is reproducible: one seed drives Python's, numpy's and torch's generators, the file split,
the augmentation and the order of the training batches (no DataLoader workers, whose own random
state would depend on scheduling), and torch runs its deterministic algorithms while it trains.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import EarlyStoppingCallback, Trainer, TrainingArguments, set_seed
from transformers.trainer_callback import PrinterCallback

from ..models.backend import pick_device
from ..models.catalog import BUILTINS
from ..models.install import install, remove_abandoned, staging
from ..models.registry import ModelError, ModelInfo, inspect_folder
from ..paths import models_dir
from .bases import default_clip_seconds, prepare
from .collate import Augmenter, Collator
from .dataset import ClipDataset, DatasetError, FolderSummary, cut, load_background, split
from .metrics import trainer_metrics
from .options import TrainOptions
from .progress import EpochRecord, ProgressCallback, TrainProgress
from .report import REPORT_FILE, RunFacts, build_report

__all__ = ["EpochRecord", "TrainCancelled", "TrainJob", "TrainOptions", "TrainProgress", "TrainResult"]


class TrainCancelled(Exception):
    """Raised inside the job when the user cancels before any epoch finished."""


@dataclass
class TrainResult:
    """How a run ended: the installed model (None if cancelled before a usable epoch) and its report."""

    name: str
    path: Path | None
    report: dict
    cancelled: bool = False


def default_name(folder: Path, base: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", f"{folder.resolve().name}-{Path(base).name}").strip("-.") or "model"


def check_name(name: str, replace: bool) -> Path:
    """Where a model called ``name`` would be installed; refused if taken (unless ``replace``).

    A built-in model's name is never the user's to take, ``replace`` or not: ``earmark tag`` would
    then tag with the user's model under the built-in's name and description."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise ModelError(f"model name {name!r}: use letters, digits, '.', '_' and '-' only")
    if name in BUILTINS:
        raise ModelError(f"{name!r} is the name of a built-in model; choose another name for yours")
    target = models_dir() / name
    if target.exists() and not replace:
        raise ModelError(f"a model called {name!r} already exists; choose another name or replace it")
    return target


class _WeightedTrainer(Trainer):
    """Cross-entropy with per-label weights, so that a small label counts as much as a big one."""

    def __init__(self, *args, class_weights: torch.Tensor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.class_weights = class_weights

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weights = self.class_weights.to(outputs.logits.device, outputs.logits.dtype)
        loss = torch.nn.functional.cross_entropy(outputs.logits, labels, weight=weights)
        return (loss, outputs) if return_outputs else loss


@contextmanager
def deterministic(seed: int) -> Iterator[None]:
    """Seed every generator and make torch pick deterministic kernels for the run, then restore the
    process's settings (the app goes on tagging, where speed matters more than bit-exact repeats).

    ``warn_only``: an operation with no deterministic kernel warns rather than failing the run."""
    set_seed(seed)
    before = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS is deterministic only with it
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before[0], warn_only=before[1])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn


class TrainJob:
    """Fine-tune ``base`` on ``summary``'s files and install the result as model ``name``."""

    def __init__(
        self,
        summary: FolderSummary,
        base: ModelInfo,
        name: str,
        options: TrainOptions | None = None,
        progress: Callable[[TrainProgress], None] | None = None,
        replace: bool = False,
    ) -> None:
        self.summary = summary
        self.base = base
        self.name = name
        self.target = check_name(name, replace)
        self.options = (options or TrainOptions()).resolved(base)
        self.device = pick_device(self.options.device)  # asking for CUDA without a GPU fails here, not after decoding
        self.progress = progress
        self._cancel = threading.Event()
        self._listener = ProgressCallback(self.emit, self._cancel.is_set)

    def cancel(self) -> None:
        """Stop at the end of the current step; the best finished epoch (if any) is still installed."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def emit(self, event: TrainProgress) -> None:
        if self.progress:
            self.progress(event)

    def _datasets(self, labels: list[str], clip_seconds: float, rate: int) -> tuple[ClipDataset, ClipDataset]:
        options = self.options
        train_files, validation_files = split(self.summary, options.validation_fraction, options.seed)
        ids = {label: i for i, label in enumerate(labels)}
        sets = []
        for files, augment in ((train_files, options.augment), (validation_files, False)):
            clips = cut(files, ids, clip_seconds, options.max_clips_per_file)
            sets.append(ClipDataset(clips, rate, augment, on_clip=self._decoded, cancelled=self._cancel.is_set))
        if self.cancelled:
            raise TrainCancelled
        return sets[0], sets[1]

    def _decoded(self, done: int, total: int) -> None:
        self.emit(TrainProgress("prepare", "decoding clips", done, total))

    def _augmenter(self, rate: int) -> Augmenter | None:
        options = self.options
        if not options.augment:
            return None
        background = []
        if options.background:
            self.emit(TrainProgress("prepare", f"reading background audio in {options.background}"))
            background = load_background(Path(options.background).expanduser(), rate)
        return Augmenter(options.seed, rate, speech=options.speech_augment, background=background)

    def run(self) -> TrainResult:
        """Train, evaluate the best epoch and install it; the same seed gives the same model."""
        with deterministic(self.options.seed):
            return self._run()

    def _run(self) -> TrainResult:
        options = self.options
        started = time.monotonic()
        labels = self.summary.labels
        clip_seconds = options.clip_seconds or default_clip_seconds(self.base, self.summary.durations())
        prepared = prepare(self.base, labels, clip_seconds, bool(options.freeze_backbone))
        rate = prepared.feature_extractor.sampling_rate
        try:
            augmenter = self._augmenter(rate)
            train_set, validation_set = self._datasets(labels, prepared.clip_seconds, rate)
        except TrainCancelled:
            return TrainResult(self.name, None, {"stopped": "cancelled"}, cancelled=True)
        except DatasetError as error:
            raise ModelError(str(error)) from error
        counts = np.bincount([c.label_id for c in train_set.clips], minlength=len(labels)).astype(np.float32)
        weights = torch.tensor(counts.sum() / (len(labels) * np.maximum(counts, 1)))
        remove_abandoned(self.target.parent, ".train-")  # whatever killed runs of any name left behind
        with staging(self.target, prefix=f".train-{self.name}-") as scratch:
            trainer = self._trainer(prepared, train_set, validation_set, weights, augmenter, scratch / "checkpoints")
            with warnings.catch_warnings():
                # checkpoint rotation on filesystems with coarse mtimes; it then orders by step, as wanted
                warnings.filterwarnings("ignore", message="mtime may not be reliable")
                trainer.train()
            if trainer.state.best_model_checkpoint is None:  # cancelled before the first evaluation
                return TrainResult(self.name, None, {"stopped": "cancelled"}, cancelled=True)
            self.emit(TrainProgress("evaluate", "evaluating the best epoch on the validation files"))
            logits = trainer.predict(validation_set).predictions
            logits = logits[0] if isinstance(logits, tuple) else logits
            report = build_report(
                self._facts(prepared, trainer, train_set, started), self.summary, validation_set.clips,
                np.asarray(logits),
            )  # fmt: skip
            self.emit(TrainProgress("save", f"installing {self.name}"))
            path = self._install(prepared, trainer, report, scratch / "model")
        if options.export_onnx:
            from ..models.export import export

            self.emit(TrainProgress("save", "exporting to ONNX"))
            try:
                report["onnx"] = asdict(export(inspect_folder(path, self.name)))
            except ModelError as error:  # the model itself is installed and fine; say why the export is not
                report["onnx"] = {"error": str(error)}
        return TrainResult(self.name, path, report, cancelled=self.cancelled)

    def _trainer(self, prepared, train_set, validation_set, weights, augmenter, output_dir: Path) -> Trainer:
        options = self.options
        cuda = self.device.type == "cuda"
        steps_per_epoch = max(1, -(-len(train_set) // options.batch_size))
        arguments = TrainingArguments(
            output_dir=str(output_dir),
            eval_strategy="epoch",
            save_strategy="epoch",
            save_total_limit=1,
            load_best_model_at_end=True,
            metric_for_best_model="selection",  # macro F1, ties broken by the lower loss (see metrics)
            greater_is_better=True,
            num_train_epochs=options.epochs,
            per_device_train_batch_size=options.batch_size,
            per_device_eval_batch_size=options.batch_size,
            learning_rate=options.learning_rate,
            weight_decay=0.01,
            warmup_ratio=0.1,
            logging_steps=max(1, steps_per_epoch // 4),
            seed=options.seed,
            data_seed=options.seed,
            fp16=cuda,
            use_cpu=not cuda,
            remove_unused_columns=False,
            dataloader_num_workers=0,
            report_to=[],
            disable_tqdm=True,
            save_safetensors=True,
            label_names=["labels"],
        )
        trainer = _WeightedTrainer(
            model=prepared.model,
            args=arguments,
            train_dataset=train_set,
            eval_dataset=validation_set,
            data_collator=Collator(prepared.feature_extractor, prepared.clip_samples, augmenter),
            processing_class=prepared.feature_extractor,
            compute_metrics=trainer_metrics,
            callbacks=[EarlyStoppingCallback(early_stopping_patience=options.patience), self._listener],
            class_weights=weights,
        )
        trainer.remove_callback(PrinterCallback)  # progress goes through ProgressCallback, not stdout
        return trainer

    def _facts(self, prepared, trainer: Trainer, train_set: ClipDataset, started: float) -> RunFacts:
        history = self._listener.history
        best_step = trainer.state.best_global_step
        stopped = (
            "cancelled"
            if self.cancelled
            else ("completed" if len(history) >= self.options.epochs else "early stopping")
        )
        return RunFacts(
            name=self.name,
            base={
                "name": self.base.name,
                "architecture": self.base.architecture,
                "licence": self.base.licence or "see the base model's folder",
            },
            device=str(trainer.args.device),
            train_seconds=time.monotonic() - started,
            stopped=stopped,
            best_epoch=next((r.epoch for r in history if r.step == best_step), None),
            options=asdict(self.options),
            parameters={"trainable": prepared.trainable, "total": prepared.total},
            clip_seconds=prepared.clip_seconds,
            train_clips=train_set.clips,
            history=[asdict(record) for record in history],
        )

    def _install(self, prepared, trainer: Trainer, report: dict, folder: Path) -> Path:
        model = trainer.model
        model.config.licence = f"fine-tuned by the user from {self.base.name}: {report['base']['licence']}"
        model.config.architectures = [type(model).__name__]
        for parameter in model.parameters():
            parameter.data = parameter.data.contiguous()
        model.save_pretrained(folder, safe_serialization=True)
        prepared.feature_extractor.save_pretrained(folder)
        (folder / REPORT_FILE).write_text(json.dumps(report, indent=2), encoding="utf-8")
        inspect_folder(folder, self.name)  # refuse to install what Earmark could not load
        return install(folder, self.target)
