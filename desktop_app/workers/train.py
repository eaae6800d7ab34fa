"""The wizard's long work off the GUI thread: reading the folder, and the training run.

Each runs in its own thread (:func:`.thread.start_in_thread`) and speaks only through signals;
the training worker drives :class:`core.train.job.TrainJob` unchanged and forwards its progress
events. Cancelling sets the job's flag; the Trainer stops after its current step.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.models.registry import ModelError, resolve_base
from core.train.dataset import DatasetError, FolderSummary, inspect_labelled_folder
from core.train.job import TrainJob, TrainOptions, TrainProgress


class FolderWorker(QObject):
    """Reads a labelled folder (every file decoded once), which takes seconds on a large one."""

    progress = Signal(int, int)  # files read, files in all
    ready = Signal(object)  # FolderSummary
    failed = Signal(str)
    finished = Signal()

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def run(self) -> None:
        try:
            self.ready.emit(inspect_labelled_folder(self.folder, on_file=self.progress.emit))
        except DatasetError as error:
            self.failed.emit(str(error))
        finally:
            self.finished.emit()


class TrainWorker(QObject):
    """One training run, from resolving the base to the installed model; minutes to hours."""

    progress = Signal(object)  # TrainProgress
    done = Signal(object)  # TrainResult
    failed = Signal(str)
    finished = Signal()

    def __init__(self, summary: FolderSummary, base: str, name: str, options: TrainOptions, replace: bool) -> None:
        super().__init__()
        self.summary, self.base, self.name, self.options, self.replace = summary, base, name, options, replace
        self.job: TrainJob | None = None
        self._cancel_early = False

    def run(self) -> None:
        try:
            self.job = TrainJob(
                self.summary, resolve_base(self.base), self.name, self.options, self._forward, self.replace
            )
            if self._cancel_early:
                self.job.cancel()
            self.done.emit(self.job.run())
        except (ModelError, OSError, ValueError, RuntimeError) as error:
            self.failed.emit(str(error))
        finally:
            self.finished.emit()

    def _forward(self, event: TrainProgress) -> None:
        self.progress.emit(event)

    def cancel(self) -> None:
        """Called from the GUI thread: only sets flags, which the training thread reads."""
        self._cancel_early = True
        if self.job is not None:
            self.job.cancel()
