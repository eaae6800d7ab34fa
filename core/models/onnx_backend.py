"""Run an exported model with ONNX Runtime: the fastest way on CPUs (graph optimisation, fused ops).

The export sits in the model folder's ``onnx/`` directory (see :mod:`core.models.export`); its
``export.json`` records which model version it was made from, so a stale export is never used.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort

from .backend import Backend, Features
from .registry import ModelError, ModelInfo

EXPORT_DIR = "onnx"
FP32_FILE = "model.onnx"
INT8_FILE = "model_int8.onnx"
REPORT_FILE = "export.json"


def cpu_threads() -> int:
    """Cores this process may use (cgroup/affinity aware), for ONNX Runtime's intra-op pool."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def export_report(info: ModelInfo) -> dict | None:
    """The export's report, or None when there is no usable export of this model version."""
    path = info.path / EXPORT_DIR / REPORT_FILE
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # none, or damaged: either way not an export to trust (`models export` makes it again)
    if (
        not isinstance(report, dict)
        or report.get("model_version") != info.version
        or not (info.path / EXPORT_DIR / FP32_FILE).is_file()
    ):
        return None
    return report


def int8_available(info: ModelInfo) -> bool:
    report = export_report(info)
    return bool(report and report.get("int8", {}).get("kept")) and (info.path / EXPORT_DIR / INT8_FILE).is_file()


class OnnxBackend(Backend):
    """A model's ONNX export on ONNX Runtime, fp32 or int8 (dynamic, MatMul/Gemm only)."""

    def __init__(
        self,
        info: ModelInfo,
        int8: bool = False,
        device: str = "cpu",
        threads: int | None = None,
        model_file: Path | None = None,
    ) -> None:
        """Load the installed export of ``info`` (or ``model_file``, an export still being checked)."""
        super().__init__(info)
        path = model_file or self._installed_file(info, int8)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads or cpu_threads()
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # leave cores to decoding
        providers = ["CPUExecutionProvider"]
        if device != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except (ort.capi.onnxruntime_pybind11_state.Fail, RuntimeError) as error:  # corrupt or foreign file
            raise ModelError(f"ONNX Runtime cannot load {path}: {str(error).splitlines()[0]}") from error
        self.input_names = [i.name for i in self.session.get_inputs()]
        provider = "cuda" if self.session.get_providers()[0] == "CUDAExecutionProvider" else "cpu"
        self.runtime = f"onnx-{'int8' if int8 else 'fp32'} on {provider}"
        self.path = Path(path)

    @staticmethod
    def _installed_file(info: ModelInfo, int8: bool) -> Path:
        if export_report(info) is None:
            raise ModelError(
                f"{info.name} has no ONNX export for this version; run `earmark models export {info.name}`"
            )
        if int8 and not int8_available(info):
            raise ModelError(
                f"{info.name} has no validated int8 export; run `earmark models export {info.name} --int8`"
            )
        return info.path / EXPORT_DIR / (INT8_FILE if int8 else FP32_FILE)

    def logits(self, features: Features) -> np.ndarray:
        feed = {name: features[name] for name in self.input_names}
        return np.asarray(self.session.run(None, feed)[0])
