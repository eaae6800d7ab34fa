"""Choose the fastest way to run a model on this machine (``--backend auto|torch|onnx``).

auto: torch on CUDA when a GPU is there (or ONNX Runtime's CUDA provider, when onnxruntime-gpu
is installed and an export exists); else ONNX Runtime fp32 on the CPU when an export exists; else
torch on the CPU. int8 is opt-in (``onnx-int8``): with only MatMul/Gemm quantised it measured no
faster than fp32 for musicnn and slower for wav2vec2 on the CPUs here (see bench/results/).
"""

from __future__ import annotations

import onnxruntime as ort
import torch

from .backend import Backend, TorchBackend
from .catalog import RUNTIMES
from .onnx_backend import OnnxBackend, export_report
from .registry import ModelError, ModelInfo


def choose(info: ModelInfo, backend: str = "auto", device: str = "auto") -> str:
    """Which runtime ``load_backend`` would use: torch, torch-cuda, onnx, onnx-int8 or onnx-cuda."""
    if backend not in RUNTIMES:
        raise ModelError(f"unknown backend {backend!r} (use {', '.join(RUNTIMES)})")
    if backend != "auto":
        return backend
    exported = export_report(info) is not None
    gpu = device != "cpu" and torch.cuda.is_available()
    if gpu and exported and "CUDAExecutionProvider" in ort.get_available_providers():
        return "onnx-cuda"
    if gpu or device.startswith("cuda") or not exported:
        return "torch"
    return "onnx"


def load_backend(info: ModelInfo, backend: str = "auto", device: str = "auto", threads: int | None = None) -> Backend:
    """Load ``info`` on the chosen runtime; ``threads`` caps the CPU threads of its math (None: all cores)."""
    runtime = choose(info, backend, device)
    if runtime == "torch":
        if threads:
            torch.set_num_threads(threads)
        return TorchBackend(info, device)
    if runtime == "onnx-cuda":
        return OnnxBackend(info, device="cuda", threads=threads)
    return OnnxBackend(info, int8=runtime == "onnx-int8", device=device, threads=threads)
