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
from ..workers.cluster import ClusterCheckWorker
from ..workers.thread import start_in_thread

ENGINES = {"local": "This computer", "ray": "Ray cluster at…"}  # the engine setting -> what the page shows


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
        engine_row = self._engine_row(settings)

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
        form.addRow("Runs on", engine_row)
        form.addRow("", self.cluster_status)
        self.db.editingFinished.connect(self._store)
        for box in (self.device, self.backend, self.coverage):
            box.currentTextChanged.connect(self._store)
        self.top_k.valueChanged.connect(self._store)
        self.threads.valueChanged.connect(self._store)
        self.threshold.valueChanged.connect(self._store)

    def _engine_row(self, settings: AppSettings) -> QHBoxLayout:
        """This computer, or a Ray cluster's address with a connection check (README: Scaling out with Ray)."""
        self.engine = QComboBox()
        for key, text in ENGINES.items():
            self.engine.addItem(text, key)
        self.engine.setCurrentIndex(list(ENGINES).index(settings.engine if settings.engine in ENGINES else "local"))
        self.ray_address = QLineEdit(settings.ray_address)
        self.ray_address.setPlaceholderText("host:port (empty: Ray on this computer)")
        self.check = QPushButton("Check connection")
        self.check.clicked.connect(self._check_cluster)
        self.cluster_status = QLabel("")
        self.cluster_status.setWordWrap(True)
        self.engine.currentIndexChanged.connect(self._store)
        self.ray_address.editingFinished.connect(self._store)
        row = QHBoxLayout()
        row.addWidget(self.engine)
        row.addWidget(self.ray_address, 1)
        row.addWidget(self.check)
        self._show_engine()
        return row

    def _show_engine(self) -> None:
        ray = self.engine.currentData() == "ray"
        self.ray_address.setEnabled(ray)
        self.check.setEnabled(ray)

    def _check_cluster(self) -> None:
        self._store()
        self.check.setEnabled(False)
        self.cluster_status.setText("Connecting…")
        worker = ClusterCheckWorker(self.settings.engine_spec.address)
        worker.done.connect(self._cluster_checked)
        self.checker = worker  # kept until it finishes
        start_in_thread(worker, self)

    def _cluster_checked(self, _reachable: bool, text: str) -> None:
        self.cluster_status.setText(text)
        self._show_engine()

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
        s.engine = self.engine.currentData()
        s.ray_address = self.ray_address.text().strip()
        self._show_engine()
        self.changed.emit()
