"""Listening off the GUI thread: the detectors load, then a live session runs until stopped.

The session (:class:`core.listen.session.ListenSession`) stores each detection as the CLI does;
this worker only forwards what the Listen page shows: the thresholds in force, the input level
with the latest scores, and each detection. Stopping sets the session's stop Event.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from core.errors import EarmarkError
from core.listen.catalog import ListenRequest, spotter_for
from core.listen.enrol import clips_from_files, enrol, record_takes
from core.listen.examples import ExampleKeywordDetector
from core.listen.session import ListenSession
from core.store import Store

UPDATE_S = 0.05  # at most this often to the window (recordings run faster than real time)


class ListenWorker(QObject):
    """Listens to ``source`` (a microphone or a recording) for what ``request`` asks.

    ``keep`` caps the score frames sent at once: no more than the window can draw.
    """

    ready = Signal(dict)  # the thresholds in force, per word, once every detector has loaded
    scores = Signal(float, list)  # input level in dBFS, the score dicts of the frames since the last emit
    detected = Signal(object)  # Detection
    failed = Signal(str)
    finished = Signal()

    def __init__(self, request: ListenRequest, source: str, db: Path, keep: int) -> None:
        super().__init__()
        self.request, self.source, self.db, self.keep = request, source, db, keep
        self.stop = threading.Event()
        self._pending: list[dict[str, float]] = []  # score frames not yet shown
        self._shown_at = 0.0

    def run(self) -> None:
        try:
            spotter = spotter_for(self.request)  # here, not in the window: examples take a second to embed
            self.ready.emit(dict(spotter.thresholds))
            with Store(self.db) as store:
                for found in ListenSession(spotter, store, self.stop).listen(self.source, self._frame):
                    self.detected.emit(found)
            if self._pending:
                self.scores.emit(-60.0, self._pending[-self.keep :])
        except EarmarkError as error:
            self.failed.emit(str(error))
        finally:
            self.finished.emit()

    def _frame(self, frame: np.ndarray, scores: dict[str, float]) -> None:
        """Level and scores go to the window at most every UPDATE_S (recordings run faster than real time)."""
        self._pending.append(dict(scores))
        if time.monotonic() - self._shown_at >= UPDATE_S:
            self._shown_at = time.monotonic()
            rms = float(np.sqrt(np.mean((frame.astype(np.float32) / 32768.0) ** 2)))
            self.scores.emit(20 * np.log10(max(rms, 1e-5)), self._pending[-self.keep :])
            self._pending = []


class ExamplesCheckWorker(QObject):
    """Embeds a keyword examples folder and says which examples disagree with the others (or why it cannot)."""

    checked = Signal(list)  # one line per problem; empty when the examples agree
    finished = Signal()

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def run(self) -> None:
        try:
            self.checked.emit([str(d) for d in ExampleKeywordDetector(self.folder).disagreements()])
        except EarmarkError as error:
            self.checked.emit([str(error)])
        finally:
            self.finished.emit()


class EnrolWorker(QObject):
    """Builds a personal verifier from recordings, or from takes said into the microphone."""

    prompt = Signal(int)  # take number (from 1) about to be recorded
    enrolled = Signal(object)  # Enrolment
    failed = Signal(str)
    finished = Signal()

    def __init__(self, word: str, files: list[Path], device: int | None, takes: int) -> None:
        super().__init__()
        self.word, self.files, self.device, self.takes = word, files, device, takes
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            if self.files:
                clips = clips_from_files(self.files)
            else:
                clips = record_takes(self.takes, self.device, self.prompt.emit, self.stop)
            if not self.stop.is_set():
                self.enrolled.emit(enrol(self.word, clips))
        except EarmarkError as error:
            self.failed.emit(str(error))
        finally:
            self.finished.emit()
