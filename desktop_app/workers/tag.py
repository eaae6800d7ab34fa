"""Long work off the GUI thread: a tagging run in a QThread, reporting through signals.

The worker builds its run as the CLI does (:func:`core.runs.build.build_run`); its observer turns
the run's events into Qt signals (queued across threads, so slots run on the GUI thread). Pause
blocks the run between files; cancel sets the run's stop Event, which keeps every committed file.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal

from core.errors import EarmarkError
from core.records import FileFailure, FileStat, FileTags
from core.runs.build import build_run
from core.runs.observer import RunObserver
from core.runs.plan import Plan
from core.runs.requests import KeywordRequest, TagRequest
from core.store import Store


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    files_per_s: float
    audio_hours_per_s: float
    eta_s: float | None
    current: str


class _SignalObserver(RunObserver):
    def __init__(self, worker: TagWorker) -> None:
        self.worker = worker
        self.total = 0
        self.done = 0
        self.audio_s = 0.0
        self.current = ""
        self.started = time.monotonic()

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
    """Runs one tagging request; lives in its own QThread (see :func:`start_tagging`)."""

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

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def cancel(self) -> None:
        self.stop.set()
        self._resume.set()

    def wait_while_paused(self) -> None:
        while not self._resume.wait(0.1):
            if self.stop.is_set():
                return


def start_in_thread(worker: QObject, parent: QObject, *also_stop_on) -> QThread:
    """Run ``worker.run`` in a new thread that quits, and lets both go, once ``worker.finished``
    (or one of the ``also_stop_on`` signals) fires.

    The caller keeps its references only until then (``deleteLater`` follows).
    """
    thread = QThread(parent)
    thread.setObjectName(type(worker).__name__)  # named in Qt's messages ("QThread: Destroyed while...")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    for signal in (worker.finished, *also_stop_on):
        # direct: quit() is thread-safe, and a queued one could wait behind a GUI slot that waits for the thread
        signal.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.finished.connect(worker.deleteLater)
    thread.start()
    return thread


def start_tagging(request: TagRequest | KeywordRequest, db: Path, parent: QObject) -> tuple[QThread, TagWorker]:
    """Start ``request`` in a new thread; the thread quits and both clean up when the run ends."""
    worker = TagWorker(request, db)
    return start_in_thread(worker, parent, worker.failed), worker
