"""What a front end hears about a run, and what it gets back: one protocol for the terminal and the app."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import FileFailure, FileStat, FileTags
from .plan import Plan


@dataclass
class RunSummary:
    run_id: int
    seen: int = 0
    tagged: int = 0
    failed: int = 0
    skipped: int = 0
    missing: int = 0
    audio_seconds: float = 0.0
    elapsed_s: float = 0.0
    interrupted: bool = False
    problems: list[str] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)

    @property
    def decoded(self) -> int:
        return self.tagged + self.failed


class RunObserver:
    """What a front end hears about a run (the CLI's progress bar, the GUI's signals).

    The base class hears nothing; front ends override what they show.
    """

    def preparing(self, step: str) -> None:
        """A model is being made ready for its first run (converted, exported): slow, and only once."""

    def loaded(self, description: str) -> None:
        """The model is loaded and runs as ``description`` (only when there is something to read)."""

    def planned(self, plan: Plan) -> None:
        """The files to read are known (called once, before decoding starts)."""

    def file_started(self, stat: FileStat) -> None:
        """A decoding thread opened a file (called from that thread)."""

    def file_done(self, outcome: FileTags | FileFailure) -> None:
        """A file's result was committed (called from the thread running the model)."""
