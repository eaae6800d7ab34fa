"""``earmark train`` and ``earmark evaluate``: fine-tune on a labelled folder, score on another.

Training runs in a worker thread so that Ctrl-C (or SIGTERM) becomes a clean cancel: the Trainer
stops after its current step and the best finished epoch (if any) is still installed.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from ..errors import EarmarkError
from .common import EXIT_OK, CliError, interrupted, say, signals_cancel


def add_commands(commands) -> None:
    from ..models.catalog import base_names
    from ..train.options import TrainOptions

    defaults = TrainOptions()
    train = commands.add_parser(
        "train",
        help="fine-tune a model on a folder with one sub-folder of audio per label",
        description="FOLDER/<label>/<audio files>: each sub-folder is a label. The result is installed "
        "as a model that `earmark tag --model NAME` and the app can use.",
    )
    train.set_defaults(handler=train_model)
    train.add_argument("folder", type=Path, metavar="FOLDER")
    train.add_argument(
        "--base", default=None, help=f"base model: {', '.join(base_names())}, or a Hugging Face folder "
        "(default: whisper-tiny-en for short files, else musicnn-msd)",
    )  # fmt: skip
    train.add_argument("--out", default=None, help="name of the new model (default: FOLDER-BASE)")
    train.add_argument("--replace", action="store_true", help="overwrite an installed model of that name")
    train.add_argument("--epochs", type=int, default=defaults.epochs)
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument(
        "--learning-rate", type=float, default=None, help="default: 1e-3 frozen (3e-3 Whisper), 1e-4 unfrozen"
    )
    freeze = train.add_mutually_exclusive_group()
    freeze.add_argument("--freeze", dest="freeze", action="store_true", default=None, help="train only the head")
    freeze.add_argument("--unfreeze", dest="freeze", action="store_false", help="train the whole network")
    train.add_argument("--clip-seconds", type=float, default=None, help="default: the base's input length, "
                       "or what covers 90 %% of the files")  # fmt: skip
    train.add_argument("--max-clips-per-file", type=int, default=defaults.max_clips_per_file)
    train.add_argument("--validation", type=float, default=defaults.validation_fraction, help="share of files held out")
    train.add_argument(
        "--patience", type=int, default=defaults.patience, help="epochs without progress before stopping"
    )
    train.add_argument("--no-augment", action="store_true", help="no augmentation (random gain, shift and noise)")
    train.add_argument("--speech-augment", action="store_true",
                       help="also speed and pitch perturbation and spectrogram masks (measured to hurt on the frozen "
                       "Whisper base; may help --unfreeze)")  # fmt: skip
    train.add_argument("--background", type=Path, default=None, metavar="DIR",
                       help="your own background audio (room, street, music) to mix into training clips")  # fmt: skip
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    train.add_argument("--export-onnx", action="store_true", help="also export the result to ONNX")

    evaluate = commands.add_parser("evaluate", help="score a model on a labelled folder it did not train on")
    evaluate.set_defaults(handler=evaluate_model)
    evaluate.add_argument("folder", type=Path, metavar="FOLDER")
    evaluate.add_argument("--model", required=True)


def _summary(folder: Path, for_training: bool = True):
    """The labelled folder, read and printed; held-out files for ``evaluate`` need only one per label."""
    from ..train.dataset import DatasetError, inspect_labelled_folder

    def dots(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rreading {done}/{total} files", end="" if done < total else "\n", file=sys.stderr)

    try:
        if for_training:
            summary = inspect_labelled_folder(folder, on_file=dots)
        else:
            summary = inspect_labelled_folder(folder, min_files=1, on_file=dots, min_labels=1)
    except DatasetError as error:
        verb = "train" if for_training else "evaluate"
        raise CliError(f"cannot {verb} on {folder}:\n  " + "\n  ".join(str(error).splitlines())) from error
    say(f"{folder}: {len(summary.files)} files, {len(summary.labels)} labels")
    for label, count in summary.counts().items():
        say(f"  {label:24} {count:5d} files")
    for skipped in summary.skipped:
        say(f"  skipped {skipped.path}: {skipped.reason}")
    for warning in summary.warnings:
        say(f"  warning: {warning}")
    return summary


def print_report(report: dict, labels: list[str], unit: str = "examples") -> None:
    """Accuracy with its 95 % interval, per-label precision/recall and the confusion matrix, as a table."""
    low, high = report["accuracy_ci"]
    say(
        f"accuracy {report['accuracy']:.1%}, macro F1 {report['macro_f1']:.3f} on {report['examples']} {unit} "
        f"(95 % confidence interval {low:.1%}-{high:.1%}, Wilson score)"
    )
    width = max(8, *(len(label) for label in labels))
    say(f"  {'label':{width}}  precision  recall  support")
    for label in labels:
        row = report["per_label"][label]
        say(f"  {label:{width}}  {row['precision']:9.1%}  {row['recall']:6.1%}  {row['support']:7d}")
    say("  confusion (rows: true label, columns: predicted, in the order above):")
    for label, row in zip(labels, report["confusion"], strict=True):
        say(f"  {label:{width}}  " + " ".join(f"{n:4d}" for n in row))


def _progress_printer():
    """One line per epoch on stdout; on a terminal, a live step counter with the ETA on stderr."""
    state = {"epochs": 0}
    live = sys.stderr.isatty()

    def show(event) -> None:
        if event.stage == "train" and len(event.history) > state["epochs"]:
            state["epochs"] = len(event.history)
            last = event.history[-1]
            eta = f", about {event.eta_s:.0f} s left" if event.eta_s else ""
            loss = f"train loss {last.train_loss:.3f}, " if last.train_loss is not None else ""
            if live:
                print("\r\033[K", end="", file=sys.stderr)
            say(f"epoch {last.epoch}: {loss}validation loss {last.eval_loss:.3f}, accuracy {last.accuracy:.1%}{eta}")
        elif live and event.stage in ("prepare", "train") and event.total:
            eta = f", about {event.eta_s:.0f} s left" if event.eta_s else ""
            what = "decoding clip" if event.stage == "prepare" else "step"
            print(f"\r\033[K{what} {event.done}/{event.total}{eta}", end="", file=sys.stderr, flush=True)
        elif event.stage in ("evaluate", "save") and event.message:
            if live:
                print("\r\033[K", end="", file=sys.stderr)
            say(event.message)

    return show


def train_model(args: argparse.Namespace) -> int:
    from ..models.backend import pick_device
    from ..models.registry import resolve_base
    from ..train.bases import suggest_base
    from ..train.job import TrainJob, TrainOptions, check_name, default_name

    options = TrainOptions(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        freeze_backbone=args.freeze,
        clip_seconds=args.clip_seconds,
        max_clips_per_file=args.max_clips_per_file,
        validation_fraction=args.validation,
        patience=args.patience,
        augment=not args.no_augment,
        speech_augment=args.speech_augment,
        background=str(args.background) if args.background else None,
        seed=args.seed,
        device=args.device,
        export_onnx=args.export_onnx,
    )
    try:
        pick_device(args.device)  # before reading the folder: asking for CUDA without a GPU fails at once
        base = resolve_base(args.base) if args.base else None  # so does a wrong base name
        if args.out:
            check_name(args.out, args.replace)
        summary = _summary(args.folder)
        base = base or resolve_base(suggest_base(summary.durations()))
        name = args.out or default_name(args.folder, base.name)
        job = TrainJob(summary, base, name, options, progress=_progress_printer(), replace=args.replace)
    except ValueError as error:  # settings out of range
        raise CliError(str(error)) from error
    settings = job.options
    say(
        f"training {name} from {base.name}: {settings.epochs} epochs at most, "
        f"{'head only' if settings.freeze_backbone else 'whole network'}, learning rate {settings.learning_rate:g}"
    )
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["result"] = job.run()
        except Exception as error:  # noqa: BLE001 - whatever ends the training thread reaches the user as a line
            outcome["error"] = error

    worker = threading.Thread(target=work, name="earmark-train")
    with signals_cancel(job.cancel):
        worker.start()
        while worker.is_alive():
            worker.join(0.2)
    if "error" in outcome:
        error = outcome["error"]
        raise CliError(f"training failed: {error if isinstance(error, EarmarkError) else _describe(error)}")
    result = outcome["result"]
    if result.path is None:
        say("cancelled before the first epoch finished: nothing installed", file=sys.stderr)
        return interrupted()
    report = result.report
    say(f"validation ({report['data']['validation_files']} files, best epoch {report['best_epoch']}, "
          f"{report['stopped']}, {report['train_seconds']:.0f} s on {report['device']}):")  # fmt: skip
    print_report(report["validation"], summary.labels, unit="clips")
    print_assessment(report["assessment"])
    say(f"installed {result.name} at {result.path}")
    if "onnx" in report:
        export = report["onnx"]
        say(f"ONNX export: {export['error']}" if "error" in export else "exported to ONNX (checked against torch)")
    say(f"tag with it: earmark tag --model {result.name} FOLDER")
    return interrupted() if result.cancelled else EXIT_OK


def print_assessment(assessment: dict) -> None:
    """Accuracy by validation file with its interval, and every reason not to trust it."""
    low, high = assessment["interval"]
    say(
        f"by file: {assessment['right']} of {assessment['files']} validation files right, {assessment['accuracy']:.1%} "
        f"(95 % confidence interval {low:.1%}-{high:.1%}; chance is {assessment['chance']:.1%})"
    )
    for warning in assessment["warnings"]:
        say(f"  warning: {warning}")
    if not assessment["better_than_chance"]:
        say("  this model is not shown to be better than chance: check it on more files before tagging with it")


def _describe(error: Exception) -> str:
    first = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def evaluate_model(args: argparse.Namespace) -> int:
    from ..models.registry import resolve
    from ..models.runtime import load_backend
    from ..train.evaluate import evaluate_folder

    backend = load_backend(resolve(args.model))
    summary = _summary(args.folder, for_training=False)
    report, predictions = evaluate_folder(backend, summary)
    print_report(report, backend.labels, unit="files")
    wrong = [p for p in predictions if p.predicted != p.label]
    for prediction in wrong:
        say(f"  wrong: {prediction.path}: {prediction.label} -> {prediction.predicted} ({prediction.confidence:.2f})")
    return EXIT_OK
