"""A tagging (or keyword search) run off the GUI thread, reporting through signals.

The worker builds its run as the CLI does (:func:`core.runs.build.build_run`); its observer turns
the run's events into Qt signals (queued across threads, so slots run on the GUI thread). Pause
blocks the run between files; cancel sets the run's stop Event, which keeps every committed file.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.errors import EarmarkError
from core.records import FileFailure, FileStat, FileTags
from core.runs.build import build_run
from core.runs.observer import RunObserver
from core.runs.plan import Plan
from core.runs.requests import KeywordRequest, TagRequest
from core.store import Store


@dataclass(frozen=True)
class Progress:
    """One update for the Library page, with rates worked out here so the GUI thread only shows them."""

    done: int
    total: int
    files_per_s: float
    audio_hours_per_s: float
    eta_s: float | None
    current: str


class _SignalObserver(RunObserver):
    """The run's observer, as the CLI's progress bar is: it turns each event into one of the worker's signals."""

    def __init__(self, worker: TagWorker) -> None:
        self.worker = worker
        self.total = 0
        self.done = 0
        self.audio_s = 0.0
        self.current = ""
        self.started = time.monotonic()

    def preparing(self, step: str) -> None:
        self.worker.preparing.emit(step)

    def planned(self, plan: Plan) -> None:
        self.total = len(plan.jobs)
        self.started = time.monotonic()
        self.worker.planned.emit(len(plan.jobs), plan.skipped)

    def file_started(self, stat: FileStat) -> None:
        self.current = str(stat.path)
        self.worker.current_file.emit(self.current)

    def file_done(self, outcome: FileTags | FileFailure) -> None:
        self.done += 1
        if isinstance(outcome, FileTags):
            self.audio_s += outcome.duration_s
        else:
            self.worker.file_failed.emit(str(outcome.stat.path), outcome.error)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else None
        self.worker.progress.emit(
            Progress(self.done, self.total, rate, self.audio_s / 3600 / elapsed, eta, self.current)
        )
        self.worker.wait_while_paused()


class TagWorker(QObject):
    """One tagging request on its own thread; it ends with ``finished``, or ``failed`` if the run cannot happen."""

    preparing = Signal(str)  # a model's first-run step (converting, exporting): slow, once
    planned = Signal(int, int)  # files to tag, files skipped as unchanged
    current_file = Signal(str)
    progress = Signal(object)  # Progress
    file_failed = Signal(str, str)  # path, reason
    finished = Signal(object)  # core.runs.observer.RunSummary
    failed = Signal(str)  # the run could not happen: a one-line reason

    def __init__(self, request: TagRequest | KeywordRequest, db: Path) -> None:
        super().__init__()
        self.request = request
        self.db = db
        self.stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()

    def run(self) -> None:
        try:
            with Store(self.db) as store:
                run = build_run(self.request, store, _SignalObserver(self), self.stop)
                summary = run.run(list(self.request.paths))
        except EarmarkError as error:
            self.failed.emit(str(error))
            return
        self.finished.emit(summary)

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    def cancel(self) -> None:
        self.stop.set()
        self._resume.set()

    def wait_while_paused(self) -> None:
        while not self._resume.wait(0.1):
            if self.stop.is_set():
                return
