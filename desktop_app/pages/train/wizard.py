"""Train: the fine-tune wizard, from a labelled folder to an installed, active model.

Choose folder -> review labels -> base and settings -> train (live chart, ETA, cancel) ->
results (per-label table, confusion heat map, misclassified clips to listen to) -> finish (make
active, export to ONNX, or discard). The wizard is embedded in the window's Train page; finishing
starts it over for the next model. One module per page; everything slow runs in a worker
(:mod:`desktop_app.workers.train`, :mod:`desktop_app.workers.export`) on its own thread.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget, QWizard

from core.train.dataset import FolderSummary
from core.train.job import TrainResult

from .classes import TrainClassesPage
from .finish import TrainFinishPage
from .folder import TrainFolderPage
from .results import TrainResultsPage
from .settings import TrainSettingsPage
from .training import TrainingPage


class TrainWizard(QWizard):
    """The wizard as a page of the main window: finishing announces the model and starts over."""

    model_ready = Signal(str, bool)  # model name, make it the active model

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary: FolderSummary | None = None
        self.result: TrainResult | None = None
        self.closing = False  # set by shutdown(): no new work may start (a focus change still edits the path)
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoCancelButton, True)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.folder_page = TrainFolderPage(self)
        self.classes_page = TrainClassesPage(self)
        self.settings_page = TrainSettingsPage(self)
        self.training_page = TrainingPage(self)
        self.results_page = TrainResultsPage(self)
        self.finish_page = TrainFinishPage(self)
        for page in (self.folder_page, self.classes_page, self.settings_page, self.training_page,
                     self.results_page, self.finish_page):  # fmt: skip
            self.addPage(page)

    def shutdown(self) -> None:
        """The window is closing: cancel training (the best finished epoch is kept) and wait for every thread."""
        self.closing = True
        training = self.training_page
        if training.worker is not None:
            for signal in (training.worker.progress, training.worker.done, training.worker.failed):
                signal.disconnect()  # the wizard is going: nothing may update it any more
            training.worker.cancel()
        for page in (self.folder_page, training, self.finish_page):
            if page.thread is not None:
                page.thread.wait()

    def done(self, result: int) -> None:
        """Finish: announce the model (unless discarded) and start over; the page never closes.

        The folder stays chosen (and read), for another model from the same folder.
        """
        if result and self.result is not None and self.finish_page.discard_button.isEnabled():
            self.model_ready.emit(self.result.name, self.finish_page.activate.isChecked())
        self.result = None
        self.restart()
