"""Models: what is installed, licences and label groups, which one is active, ONNX export, deleting
a model the user trained (built-ins cannot be; deleting the active model makes the default active)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.models.catalog import BUILTINS, DEFAULT_MODEL
from core.models.onnx_backend import export_report
from core.models.registry import ModelError, available_names, resolve
from core.models.removal import delete_model
from core.models.runtime import choose
from core.train.report import load_report, summary_line

from ..workers.export import ExportWorker
from ..workers.thread import start_in_thread


class ModelsPage(QWidget):
    active_changed = Signal(str)
    deleted = Signal(str)  # a trained model was removed: lists of models elsewhere drop it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.active = ""
        self.device = "auto"
        self.backend = "auto"
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Model", "Labels", "Groups", "Runs on", "Licence"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setAlternatingRowColors(True)
        self.table.itemSelectionChanged.connect(self._show_details)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.details = QLabel("Select a model to see its labels.")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.use_button = QPushButton("Use for tagging")
        self.use_button.clicked.connect(self._use_selected)
        self.int8 = QCheckBox("also int8")
        self.export_button = QPushButton("Export to ONNX")
        self.export_button.clicked.connect(self._export_selected)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip("Delete the selected model you trained or installed; built-in models stay")
        self.delete_button.setEnabled(False)
        self.delete_button.clicked.connect(self._delete_selected)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addStretch(1)
        buttons.addWidget(self.int8)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Models</h2>"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self._thread: QThread | None = None
        self._worker: ExportWorker | None = None

    def reload(self) -> None:
        """List the models; built-in ones are converted on first use, so this may take a second."""
        names = available_names()
        self.table.setRowCount(len(names))
        for row, name in enumerate(names):
            try:
                info = resolve(name)
                runs_on = choose(info, self.backend, self.device)
                exported = " (ONNX exported)" if export_report(info) else ""
                cells = [name, str(len(info.labels)), ", ".join(info.label_groups) or "—", runs_on + exported,
                         info.licence or "see the model folder"]  # fmt: skip
            except ModelError as error:
                cells = [name, "—", "—", "cannot load", str(error)]
            if name == self.active:
                cells[0] += "  ✓ active"
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(BUILTINS[name].description if name in BUILTINS else text)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def _show_details(self) -> None:
        name = self._selected_name()
        if not name:
            return
        try:
            info = resolve(name)
        except ModelError as error:
            self.details.setText(str(error))
            return
        trained = load_report(info.path)
        about = BUILTINS[name].description if name in BUILTINS else f"Model folder {info.path}"
        if trained:
            about = summary_line(trained)[0].upper() + summary_line(trained)[1:]
        groups = info.label_groups or {"labels": info.labels}
        rows = "".join(f"<tr><td><b>{g}</b>&nbsp;</td><td>{', '.join(m)}</td></tr>" for g, m in groups.items())
        self.details.setText(
            f"<h3>{name}</h3><p>{about}.</p><table cellpadding='3'>{rows}</table>"
            f"<p style='color:gray'>{info.path} · version {info.version} · {info.architecture}</p>"
        )

    def _selected_name(self) -> str | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        return item.text().split("  ")[0] if item else None

    def _update_buttons(self) -> None:
        name = self._selected_name()
        self.delete_button.setEnabled(bool(name) and name not in BUILTINS)

    def _delete_selected(self) -> None:
        """Ask, then delete; the active model falls back to the default, as it does when a model goes missing."""
        name = self._selected_name()
        if not name or name in BUILTINS or self._thread is not None:
            return
        active = " It is the active model: tagging will use the default model instead." if name == self.active else ""
        asked = QMessageBox.question(
            self, "Delete model", f"Delete the model {name}? This cannot be undone.{active}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )  # fmt: skip
        if asked != QMessageBox.StandardButton.Yes:
            return
        try:
            delete_model(name)
        except ModelError as error:
            self.message.setText(str(error))
            return
        self.message.setText(f"Deleted {name}.")
        self.deleted.emit(name)
        if name == self.active:
            self.active = DEFAULT_MODEL
            self.active_changed.emit(DEFAULT_MODEL)
        self.details.setText("Select a model to see its labels.")
        self.reload()

    def _use_selected(self) -> None:
        name = self._selected_name()
        if name:
            self.active = name
            self.active_changed.emit(name)
            self.reload()

    def _export_selected(self) -> None:
        name = self._selected_name()
        if not name or self._thread is not None:
            return
        self.message.setText(f"Exporting {name}…")
        self.export_button.setEnabled(False)
        worker = ExportWorker(name, self.int8.isChecked())
        worker.done.connect(self._export_done)
        self._thread, self._worker = start_in_thread(worker, self), worker

    def _export_done(self, text: str) -> None:
        self.message.setText(text)
        self.export_button.setEnabled(True)
        if self._thread is not None:
            self._thread.wait()
        self._thread = self._worker = None
        self.reload()
