"""Where a run's stages execute. One engine per module, registered here by name.

An engine takes a loaded task and the planned files, runs the task's stages, and hands each
file's outcome to ``record`` on the calling thread (the store's single writer). It reports
``file_started`` to the observer and stops soon after ``stop`` is set, writing nothing half-done.
Engines are imported only when asked for, so an optional one (a cluster engine) costs nothing to
people who never use it.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from ..options import RequestError, TagOptions

if TYPE_CHECKING:
    from ...records import FileFailure, FileStat, FileTags
    from ..observer import RunObserver
    from ..task import Task

ENGINES = {"local": "core.runs.engines.local:LocalEngine"}  # name -> module:class


class Engine(Protocol):
    def execute(
        self,
        task: Task,
        jobs: list[FileStat],
        options: TagOptions,
        record: Callable[[FileTags | FileFailure], None],
        observer: RunObserver,
        stop: threading.Event,
    ) -> None: ...


def engine(name: str) -> Engine:
    if name not in ENGINES:
        raise RequestError(f"unknown engine {name!r} (use {', '.join(ENGINES)})")
    module, _, cls = ENGINES[name].partition(":")
    return getattr(importlib.import_module(module), cls)()
