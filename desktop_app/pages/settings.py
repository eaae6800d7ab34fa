"""Settings: where the database lives, how models run, and thresholds."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.models.catalog import COVERAGES, DEVICES, RUNTIMES

from ..settings import AppSettings, settings_path


class SettingsPage(QWidget):
    changed = Signal()

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.db = QLineEdit(settings.db_path)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_db)
        db_row = QHBoxLayout()
        db_row.addWidget(self.db, 1)
        db_row.addWidget(browse)
        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        self.device.setCurrentText(settings.device)
        self.backend = QComboBox()
        self.backend.addItems(list(RUNTIMES))
        for index, runtime in enumerate(RUNTIMES.values()):
            self.backend.setItemData(index, runtime.description, Qt.ItemDataRole.ToolTipRole)
        self.backend.setCurrentText(settings.backend)
        self.coverage = QComboBox()
        self.coverage.addItems(list(COVERAGES))
        self.coverage.setCurrentText(settings.coverage)
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("all cores")
        self.threads.setValue(settings.threads)
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 50)
        self.top_k.setValue(settings.top_k)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setValue(settings.genre_threshold)

        box = QGroupBox("Tagging")
        box.setMaximumWidth(720)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Settings</h2>"))
        kept = QLabel(f"Changes apply to the next run and are kept for the next launch, in {settings_path()}.")
        kept.setWordWrap(True)
        layout.addWidget(kept)
        layout.addWidget(box)
        layout.addStretch(1)
        form.addRow("Database", db_row)
        form.addRow("Device", self.device)
        form.addRow("Runtime", self.backend)
        form.addRow("Coverage of long files", self.coverage)
        form.addRow("CPU threads for the model", self.threads)
        form.addRow("Labels kept per segment", self.top_k)
        form.addRow("Score needed to write a genre tag", self.threshold)
        self.db.editingFinished.connect(self._store)
        for box in (self.device, self.backend, self.coverage):
            box.currentTextChanged.connect(self._store)
        self.top_k.valueChanged.connect(self._store)
        self.threads.valueChanged.connect(self._store)
        self.threshold.valueChanged.connect(self._store)

    def _choose_db(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Database file", self.db.text(), "SQLite (*.db *.sqlite)")
        if path:
            self.db.setText(path)
            self._store()

    def _store(self) -> None:
        s = self.settings
        s.db_path = self.db.text().strip() or s.db_path
        s.device = self.device.currentText()
        s.backend = self.backend.currentText()
        s.coverage = self.coverage.currentText()
        s.top_k = self.top_k.value()
        s.threads = self.threads.value()
        s.genre_threshold = self.threshold.value()
        self.changed.emit()
