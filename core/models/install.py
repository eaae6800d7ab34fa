"""Install a folder (a converted model, an ONNX export, a trained model) so that no one ever sees half of it.

The folder is built in a hidden scratch folder beside its target and renamed into place only when
complete; a crash, a cancel or ``kill -9`` leaves the old folder (or none), never a partial one.
Scratch folders carry the id of the process that made them, so the next install of the same target
removes those whose process is gone (a killed training run can leave hundreds of MB behind).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..liveness import process_alive

_OWNER = ".owner-pid"


def _abandoned(scratch: Path) -> bool:
    """Its process is gone; a folder with no owner was left by an Earmark that did not record one."""
    try:
        return not process_alive(int((scratch / _OWNER).read_text(encoding="ascii")))
    except (OSError, ValueError):
        return True


def remove_abandoned(folder: Path, prefix: str) -> None:
    """Delete the scratch folders in ``folder`` named ``prefix...`` whose process has died."""
    for scratch in folder.glob(f"{prefix}*"):
        if scratch.is_dir() and _abandoned(scratch):
            shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def staging(target: Path, prefix: str | None = None) -> Iterator[Path]:
    """A hidden scratch folder beside ``target`` (removed afterwards, whatever happens)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    prefix = prefix or f".{target.name}-"
    remove_abandoned(target.parent, prefix)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=prefix) as scratch:
        (Path(scratch) / _OWNER).write_text(str(os.getpid()), encoding="ascii")
        yield Path(scratch)


def install(built: Path, target: Path) -> Path:
    """Put ``built`` (a folder inside a :func:`staging` folder) at ``target``, replacing what was there.

    The old folder is moved aside into the scratch folder first and deleted with it.
    """
    if target.exists():
        target.rename(built.parent / f".replaced-{target.name}")
    built.rename(target)
    return target


def install_built(target: Path, build: Callable[[Path], Path]) -> Path:
    """``build(folder)`` writes a folder at the path it is given; install it at ``target``."""
    with staging(target) as scratch:
        return install(build(scratch / target.name), target)
