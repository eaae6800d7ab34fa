"""How a loaded task is made again in another process: a cluster worker.

A loaded task holds what cannot travel between machines (an ONNX Runtime session, a torch model on
a GPU). Its recipe can: a module-level function (pickled by its name), plain settings, and the
model folders that function reads. An engine that runs tasks elsewhere ships those folders itself
(the Ray engine through Ray's object store), so a worker never needs a model hub, nor a copy of
this computer's data directory; it only needs Earmark installed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .task import Task


@dataclass(frozen=True)
class Recipe:
    """``make(**settings, **folders, device=device)`` makes the task again."""

    make: Callable[..., Task]  # a module-level function: pickled by reference, never by value
    settings: dict[str, Any]  # plain, picklable values (options, names, thresholds)
    folders: dict[str, Path] = field(default_factory=dict)  # keyword -> a model folder it reads
    device: str = "auto"  # the device asked for; a worker that only decodes is given "cpu"

    def build(self, folders: Mapping[str, Path] | None = None, device: str | None = None) -> Task:
        """The task, reading ``folders`` (the copies shipped to this worker) and running on ``device``."""
        shipped = self.folders if folders is None else folders
        return self.make(**self.settings, **shipped, device=device or self.device)
