"""The terminal's view of a run: a progress bar with files/s, audio-hours/s and ETA."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

from ..genre_verdict import describe
from ..records import FileFailure, FileTags
from ..runs.observer import RunObserver
from ..runs.plan import Plan
from .common import printable


class TerminalProgress(RunObserver):
    """A :class:`~core.runs.observer.RunObserver` that draws on stderr and prints each file's top labels."""

    def __init__(self, top_k: int, print_files: bool, enabled: bool = True, hits: bool = False) -> None:
        self.shown: set[str] = set()
        self.genres: set[str] = set()  # the top one is marked when it is a guess
        self.model = ""
        self.hits = hits  # keyword search: print each hit's time rather than the top labels
        self.top_k = top_k
        self.print_files = print_files
        self.enabled = enabled
        self.bar: tqdm | None = None
        self.audio_seconds = 0.0
        self.started = time.monotonic()

    def show(self, shown_labels: list[str], model: str, genres: list[str] | None = None) -> None:
        """The labels printed for each file, the model's name and its genres, once the run knows its model."""
        self.shown = set(shown_labels)
        self.model = model
        self.genres = set(genres or ())

    def preparing(self, step: str) -> None:
        if self.enabled:
            tqdm.write(f"earmark: {printable(step)}", file=sys.stderr)

    def loaded(self, description: str) -> None:
        if self.enabled and not self.hits:  # a keyword search says what it searches for instead
            tqdm.write(f"earmark: {printable(self.model)} on {description}", file=sys.stderr)

    def planned(self, plan: Plan) -> None:
        if plan.skipped:
            tqdm.write(f"{plan.skipped} file(s) unchanged since last tagged: not decoded again", file=sys.stderr)
        self.started = time.monotonic()
        self.bar = tqdm(
            total=len(plan.jobs),
            unit="file",
            file=sys.stderr,
            disable=not self.enabled or not plan.jobs,
            dynamic_ncols=True,
        )

    def file_done(self, outcome: FileTags | FileFailure) -> None:
        if isinstance(outcome, FileTags):
            self.audio_seconds += outcome.duration_s
            if self.print_files and self.hits:
                heard = [f"{s.labels[0].label} at {s.end_s:.1f} s ({s.labels[0].score:.2f})" for s in outcome.segments]
                tqdm.write(f"{printable(outcome.stat.path)}: {', '.join(heard) or 'no keywords'}")
            elif self.print_files:
                best = [item for item in outcome.labels if item.label in self.shown][: self.top_k]
                tqdm.write(f"{printable(outcome.stat.path)}: {', '.join(describe(best, self.genres))}")
        elif self.print_files:
            tqdm.write(f"{printable(outcome.stat.path)}: ERROR {printable(outcome.error)}")
        if self.bar is not None:
            elapsed = max(time.monotonic() - self.started, 1e-9)
            rate = self.audio_seconds / elapsed
            self.bar.set_postfix_str(f"{rate / 3600:.4f} audio-h/s ({rate:.0f}x realtime)", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
