"""The wizard's first page: choose a labelled folder, read in a worker before Next opens.

A typed path is read once typing pauses (:data:`TYPING_PAUSE_MS`), as a chosen one is at once: a
user who types or pastes a path should not have to guess that Enter is needed to open Next.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from core.train.dataset import FolderSummary

from ...workers.thread import start_in_thread
from ...workers.train import FolderWorker

if TYPE_CHECKING:
    from .wizard import TrainWizard

TYPING_PAUSE_MS = 500


class TrainFolderPage(QWizardPage):
    """Choose the folder; it is read (every file decoded once) in a worker before Next opens."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Choose a labelled folder")
        self.setSubTitle(
            "One sub-folder per label, each holding that label's audio: calls/complaint, calls/billing… "
            "Earmark learns the labels from the sub-folders' names."
        )
        self.path = QLineEdit()
        self.path.setPlaceholderText("/path/to/labelled folder")
        self.path.editingFinished.connect(lambda: self.read(self._typed()))
        self.typing = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self.typing.timeout.connect(self._typed_pause)
        self.path.textEdited.connect(self._edited)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.bar = QProgressBar()
        self.bar.hide()
        self.message = QLabel("")
        self.message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.thread: QThread | None = None
        self.worker: FolderWorker | None = None
        self.stale = False  # the path was edited while a read was under way

    def _typed(self) -> Path:
        return Path(self.path.text().strip()).expanduser()

    def _edited(self, _text: str) -> None:
        """The typed path changed: what was read no longer counts; read the new one when typing pauses."""
        if self.owner.summary is not None and self.owner.summary.root != self._typed():
            self.owner.summary = None
            self.completeChanged.emit()
        self.stale = self.thread is not None
        self.typing.start()

    def _typed_pause(self) -> None:
        folder = self._typed()
        if self.path.text().strip() and folder.is_dir():
            self.read(folder)
        elif self.thread is None:
            self.message.setStyleSheet("")
            self.message.setText(
                "Not a folder (yet): type or paste the whole path, or Browse…" if self.path.text() else ""
            )

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Labelled folder", self.path.text())
        if folder:
            self.path.setText(folder)
            self.read(Path(folder))

    def read(self, folder: Path) -> None:
        if self.thread is not None or self.owner.closing or folder == Path("."):
            return
        if self.owner.summary is not None and self.owner.summary.root == folder:
            return
        self.stale = False
        worker = FolderWorker(folder)
        worker.progress.connect(self._progress)  # a method, not a lambda: it must run on the GUI thread
        worker.ready.connect(self._ready)
        worker.failed.connect(self._failed)
        worker.finished.connect(self._finished)
        self.worker = worker  # the only Python reference: without it the worker is collected mid-run
        self.thread = start_in_thread(worker, self)
        # only now: updating the buttons can move the focus, and a focus change re-enters read()
        self.owner.summary = None
        self.completeChanged.emit()
        self.message.setText(f"Reading {folder}…")
        self.message.setStyleSheet("")
        self.bar.setRange(0, 0)
        self.bar.show()

    def _progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(done)

    def _ready(self, summary: FolderSummary) -> None:
        if self.stale:  # typing went on while it was read: the newer path is read next
            return
        self.owner.summary = summary
        counts = summary.counts()
        skipped = f" {len(summary.skipped)} unreadable files will be skipped." if summary.skipped else ""
        self.message.setText(f"{len(summary.files)} audio files in {len(counts)} labels: {', '.join(counts)}.{skipped}")
        self.completeChanged.emit()

    def _failed(self, reason: str) -> None:
        if self.stale:
            return
        self.message.setStyleSheet("color: #b3261e")
        self.message.setText("This folder cannot be trained on yet:\n• " + "\n• ".join(reason.splitlines()))

    def _finished(self) -> None:
        self.bar.hide()
        if self.thread is not None:
            self.thread.wait()
        self.thread, self.worker = None, None
        if self.stale and not self.owner.closing:
            self._typed_pause()  # the path changed while the last one was read

    def isComplete(self) -> bool:  # noqa: N802
        return self.owner.summary is not None
