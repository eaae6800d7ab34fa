"""A built-in model's first run: convert it, then export it to ONNX Runtime, saying so while it happens.

Converting a built-in's packaged weights takes seconds (15 s for musicnn on two cores), and a run
used to sit at "0 files" meanwhile. The export that follows (7 s, validated against torch as
``earmark models export`` is) makes ``--backend auto`` run ONNX Runtime, 2.3x faster than torch on
the CPUs measured. Both happen once: the next run finds the folder and the export in place.

An export that fails (or disagrees with torch) is not fatal: the run goes on with torch, and a
note in the model folder stops every later run from trying again (``models export`` still can).
"""

from __future__ import annotations

from collections.abc import Callable

from .catalog import BUILTINS, TAGGER
from .registry import ModelError, ModelInfo, resolve

FAILED_NOTE = "onnx-export-failed.txt"  # in the model folder: why the automatic export was not kept

Step = Callable[[str], None]


def first_run_step(spec: str) -> str | None:
    """What preparing ``spec`` will do before it can tag, when it is a built-in not converted yet."""
    builtin = BUILTINS.get(spec)
    if builtin is None or builtin.kind != TAGGER or (builtin.folder / "config.json").is_file():
        return None
    return f"preparing model {spec} (first run only): converting its packaged weights"


def resolve_prepared(spec: str, on_step: Step) -> ModelInfo:
    """:func:`~core.models.registry.resolve`, telling ``on_step`` first when it will convert a built-in."""
    step = first_run_step(spec)
    if step is not None:
        on_step(step)
    return resolve(spec)


def export_for_auto(info: ModelInfo, backend: str, device: str, on_step: Step) -> None:
    """Export a built-in tagger once, when ``auto`` would then pick ONNX Runtime over torch on the CPU."""
    if backend != "auto" or not info.builtin or (info.path / FAILED_NOTE).exists():
        return
    from .onnx_backend import export_report

    if export_report(info) is not None:
        return
    import torch

    if device.startswith("cuda") or (device == "auto" and torch.cuda.is_available()):
        return  # auto runs torch on the GPU
    from .export import export

    on_step(f"preparing model {info.name} (first run only): exporting to ONNX Runtime, checked against torch")
    try:
        export(info)
    except (ModelError, RuntimeError, ValueError, OSError) as error:
        try:
            (info.path / FAILED_NOTE).write_text(f"{error}\n", encoding="utf-8")
        except OSError:
            pass  # a read-only model folder: tried again next time, no harm done
        on_step(f"the ONNX export of {info.name} was not kept ({error}); running on torch")
