"""What a task is: the stages an engine drives to turn one file into ranked labels and segments."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from ..records import FileStat, FileTags
from .recipe import Recipe
from .stages import FileEnd, Pending, Segment


class Analyser(Protocol):
    """What a run registers in the store: a model's identity (a ``ModelInfo``, or a keyword spotter's)."""

    name: str
    path: object
    labels: list[str]
    label_groups: dict[str, list[str]]
    licence: str | None

    @property
    def version(self) -> str: ...


class Task(Protocol):
    """A kind of analysis (music tags, keywords...) as three stages.

    ``decode`` reads one file (CPU, any thread, several files at once unless ``max_decoders`` says
    otherwise) into segments; ``infer`` scores the model inputs of a batch of segments from any
    files (segments that ``decode`` analysed already carry no inputs and skip it); ``finish`` turns
    a file's scored segments into its result. An engine runs the stages; it never knows the task.
    """

    analyser: Analyser
    batch_size: int  # model windows per ``infer`` call
    max_decoders: int | None  # files decoded at once at most (a stateful spotter: 1); None: no limit
    recipe: Recipe | None  # how to make it again on a cluster worker; None: it runs in this process only

    def describe(self) -> str:
        """Runtime and device, as the front ends show it (``onnx-fp32 on cpu``)."""
        ...

    def decode(self, job: int, stat: FileStat, halted: Callable[[], bool]) -> Iterator[Segment | FileEnd]: ...

    def infer(self, inputs: list) -> list:
        """One result per segment's model inputs, in order."""
        ...

    def finish(self, pending: Pending) -> FileTags: ...

    def coverage(self, tags: FileTags) -> str:
        """``full``, or ``excerpts`` when only parts of the file were read."""
        ...
