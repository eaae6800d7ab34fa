"""Where a run's stages execute. One engine per module, registered here by name.

An engine takes a loaded task and the planned files, runs the task's stages, and hands each
file's outcome to ``record`` on the calling thread (the store's single writer). It reports
``file_started`` to the observer and stops soon after ``stop`` is set, writing nothing half-done.
An engine is made from the user's :class:`EngineSpec` (where, how many workers) and imported only
when asked for, so an optional one (Ray, a cluster engine) costs nothing to people who never use it.
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..options import RequestError, TagOptions

if TYPE_CHECKING:
    from ...records import FileFailure, FileStat, FileTags
    from ..observer import RunObserver
    from ..task import Task

# name -> module:class
ENGINES = {"local": "core.runs.engines.local:LocalEngine", "ray": "core.runs.engines.ray:RayEngine"}


@dataclass(frozen=True)
class EngineSpec:
    """Where a run executes, as the user chose it: this computer, or a Ray cluster and how to use it."""

    name: str = "local"
    address: str | None = None  # a Ray cluster to join (host:port); None: a Ray instance on this computer
    workers: int | None = None  # model workers on the cluster; None: one per node (or per GPU share)
    gpus_per_worker: float = 0.0  # each model worker's share of a GPU; 0: models run on the CPU

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise RequestError(f"unknown engine {self.name!r} (use {', '.join(ENGINES)})")
        if (self.workers is not None and self.workers < 1) or not 0 <= self.gpus_per_worker < math.inf:
            raise RequestError("workers must be positive and GPUs per worker a number, not negative")
        if self.name != "ray" and (self.address or self.gpus_per_worker):
            raise RequestError("a Ray address and GPUs per worker need --engine ray")


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


def engine(spec: EngineSpec) -> Engine:
    """The engine ``spec`` names, made from it (its module imported only now)."""
    module, _, cls = ENGINES[spec.name].partition(":")
    return getattr(importlib.import_module(module), cls)(spec)
