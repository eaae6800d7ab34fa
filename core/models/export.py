"""Export a model folder to ONNX (and int8), and refuse any export that changes the scores.

musicnn goes through ``torch.onnx`` (optimum does not know our architecture); the architectures
optimum knows (AST, wav2vec2, HuBERT, Whisper...) go through ``optimum.exporters.onnx``. Either
way the export is run beside the torch model on the same windows, and kept only if they agree.
int8 is dynamic quantisation of MatMul/Gemm alone (quantised convolutions are slower or less
accurate on many CPUs, and break wav2vec2's weight-normed positional conv); it is validated
against fp32 on held-out audio and kept only at >= 99 % top-1 agreement.
"""

from __future__ import annotations

import json
import logging
import shutil
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from .architectures import MUSICNN_TYPES
from .backend import TorchBackend
from .install import install, staging
from .onnx_backend import EXPORT_DIR, FP32_FILE, INT8_FILE, REPORT_FILE, OnnxBackend
from .registry import ModelError, ModelInfo
from .windows import Features, concat_features

FP32_TOLERANCE = 1e-3  # max |probability difference| between torch and ONNX fp32
INT8_MIN_AGREEMENT = 0.99


@dataclass
class Int8Report:
    top1_agreement: float
    max_score_diff: float
    windows: int
    kept: bool


@dataclass
class ExportReport:
    model_version: str
    exporter: str
    fp32_max_diff: float
    int8: Int8Report | None
    earmark_version: str = __version__


def held_out_audio(rate: int, seconds: float = 8.0, count: int = 12) -> list[np.ndarray]:
    """Varied synthetic audio (chords, beats, noise, tones, silence) for checking exports.

    Generated, never trained on, and different from the clips used for the fp32 check.
    """
    rng = np.random.default_rng(1234)
    t = np.arange(int(seconds * rate)) / rate
    clips = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            freqs = rng.uniform(110, 880, size=3)
            clip = sum(np.sin(2 * np.pi * f * t) for f in freqs) / 3
        elif kind == 1:
            clip = rng.normal(0, 0.3, t.shape) * (np.sin(2 * np.pi * rng.uniform(1, 4) * t) > 0.6)
        elif kind == 2:
            clip = rng.normal(0, rng.uniform(0.01, 0.5), t.shape)
        else:
            clip = np.sin(2 * np.pi * rng.uniform(50, 4000) * t) * np.linspace(0, 1, len(t))
        clips.append((clip * rng.uniform(0.1, 0.9)).astype(np.float32))
    return clips


def _features(backend: TorchBackend, clips: list[np.ndarray]) -> Features:
    return concat_features([backend.preprocess(clip) for clip in clips])


def _export_torch_onnx(backend: TorchBackend, sample: Features, out: Path) -> None:
    names = list(sample)
    model = backend.model.cpu().eval()

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(names, inputs, strict=True))).logits

    example = tuple(torch.from_numpy(sample[name][:2]) for name in names)
    with warnings.catch_warnings():  # the TorchScript exporter's notes on constant folding
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)  # shape checks in transformers' attention code
        _torch_export(Logits().eval(), example, names, out)


def _torch_export(module: torch.nn.Module, example: tuple[torch.Tensor, ...], names: list[str], out: Path) -> None:
    torch.onnx.export(
        module,
        example,
        str(out),
        input_names=names,
        output_names=["logits"],
        dynamic_axes={**{name: {0: "windows"} for name in names}, "logits": {0: "windows"}},
        opset_version=17,
        dynamo=False,
    )


def _export_optimum(info: ModelInfo, scratch: Path, out: Path) -> None:
    from optimum.exporters.onnx import main_export

    main_export(
        str(info.path),
        output=str(scratch),
        task="audio-classification",
        local_files_only=True,
        trust_remote_code=False,
        do_validation=False,  # validated below, on real windows, against our own torch run
    )
    shutil.move(str(scratch / FP32_FILE), out)


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max())


def export(info: ModelInfo, int8: bool = False) -> ExportReport:
    """Write ``onnx/`` into the model folder; raise ModelError (writing nothing) if it disagrees."""
    torch_backend = TorchBackend(info, device="cpu")
    check = _features(torch_backend, held_out_audio(torch_backend.sampling_rate, count=4)[::-1])
    target = info.path / EXPORT_DIR
    with staging(target) as scratch:
        folder = scratch / EXPORT_DIR
        folder.mkdir()
        # Earmark's own architecture, and models fine-tuned here (their input length is no longer the
        # stock one that optimum's dummy inputs assume), go through torch.onnx with real windows
        if info.architecture in MUSICNN_TYPES or getattr(torch_backend.config, "clip_seconds", None):
            exporter = "torch.onnx"
            _export_torch_onnx(torch_backend, check, folder / FP32_FILE)
        else:
            exporter = "optimum"
            _export_optimum(info, scratch / "optimum", folder / FP32_FILE)
        fp32 = OnnxBackend(info, model_file=folder / FP32_FILE)
        reference = torch_backend.forward(check)
        fp32_diff = _max_diff(reference, fp32.forward(check))
        if not fp32_diff <= FP32_TOLERANCE:
            raise ModelError(
                f"ONNX export of {info.name} disagrees with torch (max score difference {fp32_diff:.2e}); not kept"
            )
        int8_report = _quantise(info, folder, torch_backend) if int8 else None
        report = ExportReport(info.version, exporter, fp32_diff, int8_report)
        (folder / REPORT_FILE).write_text(json.dumps(asdict(report), indent=2), encoding="utf-8")
        install(folder, target)
    return report


def _quantise(info: ModelInfo, folder: Path, torch_backend: TorchBackend) -> Int8Report:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint at WARNING on the root logger
    try:
        quantize_dynamic(
            folder / FP32_FILE,
            folder / INT8_FILE,
            op_types_to_quantize=["MatMul", "Gemm"],
            weight_type=QuantType.QInt8,
        )
    finally:
        root.setLevel(level)
    held_out = _features(torch_backend, held_out_audio(torch_backend.sampling_rate))
    fp32_scores = OnnxBackend(info, model_file=folder / FP32_FILE).forward(held_out)
    int8_scores = OnnxBackend(info, model_file=folder / INT8_FILE, int8=True).forward(held_out)
    agreement = float(np.mean(fp32_scores.argmax(axis=1) == int8_scores.argmax(axis=1)))
    report = Int8Report(
        agreement, _max_diff(fp32_scores, int8_scores), len(fp32_scores), agreement >= INT8_MIN_AGREEMENT
    )
    if not report.kept:
        (folder / INT8_FILE).unlink()
    return report
