"""The wizard's last page: the model is installed; make it active, export it to ONNX, or discard it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWizardPage

from core.models.registry import ModelError
from core.models.removal import delete_model

from ...workers.export import ExportWorker
from ...workers.thread import start_in_thread

if TYPE_CHECKING:
    from .wizard import TrainWizard


class TrainFinishPage(QWizardPage):
    """The model is installed; make it active, export it to ONNX, or discard it."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Use the new model")
        self.where = QLabel("")
        self.where.setWordWrap(True)
        self.activate = QCheckBox("Make it the active model (the Library tags with it)")
        self.caution = QLabel("")
        self.caution.setWordWrap(True)
        self.caution.setStyleSheet("color: #9a6700")
        self.export_button = QPushButton("Export to ONNX (faster on a CPU)")
        self.export_button.clicked.connect(self._export)
        self.discard_button = QPushButton("Discard this model")
        self.discard_button.clicked.connect(self._discard)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.discard_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.where)
        layout.addWidget(self.activate)
        layout.addWidget(self.caution)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.thread: QThread | None = None
        self.worker: ExportWorker | None = None

    def initializePage(self) -> None:  # noqa: N802
        result = self.owner.result
        self.where.setText(
            f"<b>{result.name}</b> is installed in {result.path}. Tag with it from the Library page, the "
            f"command line (<code>earmark tag --model {result.name} FOLDER</code>), or listen with it."
        )
        export = result.report.get("onnx") or {}
        exported = bool(export) and "error" not in export
        self.message.setText("Exported to ONNX." if exported else f"Not exported: {export['error']}" if export else "")
        self.export_button.setEnabled(not exported)
        self.discard_button.setEnabled(True)
        self.activate.setEnabled(True)
        trusted = result.report["assessment"]["better_than_chance"]
        self.activate.setChecked(trusted)  # ticked for the user only when the model is shown to beat guessing
        self.caution.setText(
            ""
            if trusted
            else "Not ticked: on its validation files this model is not shown to be better than guessing "
            "(see the results page). Make it active only after checking it on more recordings."
        )
        self.caution.setVisible(not trusted)

    def _export(self) -> None:
        self.export_button.setEnabled(False)
        self.message.setText("Exporting to ONNX…")
        worker = ExportWorker(self.owner.result.name, int8=False)
        worker.done.connect(self.message.setText)
        worker.finished.connect(self._exported)
        self.worker = worker
        self.thread = start_in_thread(worker, self)

    def _exported(self) -> None:
        if self.thread is not None:
            self.thread.wait()
        self.thread, self.worker = None, None

    def _discard(self) -> None:
        try:
            delete_model(self.owner.result.name)
        except ModelError as error:
            self.message.setText(str(error))
            return
        self.message.setText(f"{self.owner.result.name} was deleted.")
        self.activate.setChecked(False)
        for widget in (self.activate, self.export_button, self.discard_button):
            widget.setEnabled(False)
