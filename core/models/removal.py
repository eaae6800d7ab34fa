"""Deleting a model the user installed (trained, or copied in), one way for the CLI and the app.

Built-in models are never deleted: their folders are conversions Earmark makes again on first
use, and their names are the catalogue's. The folder is first renamed to a hidden name and then
removed, so a crash half way never leaves a half-deleted model that still lists as installed.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from ..paths import models_dir
from .catalog import BUILTINS
from .registry import ModelError


def delete_model(name: str) -> Path:
    """Remove the installed model ``name``; returns where it was. :class:`ModelError` says why not."""
    if name in BUILTINS:
        raise ModelError(f"{name!r} is a built-in model and cannot be deleted")
    folder = models_dir() / name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name) or not folder.is_dir():
        raise ModelError(f"no installed model {name!r}")
    doomed = folder.with_name(f".deleted-{name}-{os.getpid()}")
    folder.rename(doomed)
    shutil.rmtree(doomed, ignore_errors=True)
    return folder
