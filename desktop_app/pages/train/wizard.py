"""Train: the fine-tune wizard, from a labelled folder to an installed, active model.

Choose folder -> review labels -> base and settings -> train (live chart, ETA, cancel) ->
results (per-label table, confusion heat map, misclassified clips to listen to) -> finish (make
active, export to ONNX, or discard). The wizard is embedded in the window's Train page; finishing
starts it over for the next model. Everything slow runs in :mod:`.train_worker` threads.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from core.models.catalog import BUILTINS
from core.models.registry import ModelError
from core.paths import models_dir
from core.train.bases import suggest_base
from core.train.dataset import FolderSummary
from core.train.job import TrainProgress, TrainResult, check_name, default_name
from core.train.options import TrainOptions

from .detail_pane import Player
from .models_page import ExportWorker
from .results_model import format_duration
from .train_charts import ConfusionMatrix, TrainingChart
from .train_worker import FolderWorker, TrainWorker
from .worker import start_in_thread

OTHER_FOLDER = "A Hugging Face model folder…"


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return table


def _set_row(table: QTableWidget, row: int, values: list[str]) -> None:
    for column, value in enumerate(values):
        table.setItem(row, column, QTableWidgetItem(value))


class FolderPage(QWizardPage):
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
        self.path.editingFinished.connect(lambda: self.read(Path(self.path.text())))
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
        self.owner.summary = summary
        counts = summary.counts()
        skipped = f" {len(summary.skipped)} unreadable files will be skipped." if summary.skipped else ""
        self.message.setText(f"{len(summary.files)} audio files in {len(counts)} labels: {', '.join(counts)}.{skipped}")
        self.completeChanged.emit()

    def _failed(self, reason: str) -> None:
        self.message.setStyleSheet("color: #b3261e")
        self.message.setText("This folder cannot be trained on yet:\n• " + "\n• ".join(reason.splitlines()))

    def _finished(self) -> None:
        self.bar.hide()
        if self.thread is not None:
            self.thread.wait()
        self.thread, self.worker = None, None

    def isComplete(self) -> bool:  # noqa: N802
        return self.owner.summary is not None


class ClassesPage(QWizardPage):
    """Files per label with a share bar, a sample of each to play, skipped files, warnings."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Review the labels")
        self.setSubTitle("Each label needs enough examples; a label with far fewer files than the others is "
                         "weighted up while training.")  # fmt: skip
        self.table = _table(["Label", "Files", "Share", "Sample"])
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #9a6700")
        self.skipped = QListWidget()
        self.skipped.setMaximumHeight(110)
        self.skipped_title = QLabel("Skipped (unreadable) files:")
        self.player = Player()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.warnings)
        layout.addWidget(self.skipped_title)
        layout.addWidget(self.skipped)
        layout.addWidget(self.player)

    def initializePage(self) -> None:  # noqa: N802
        summary = self.owner.summary
        counts = summary.counts()
        total = sum(counts.values())
        self.table.setRowCount(len(counts))
        for row, (label, count) in enumerate(counts.items()):
            _set_row(self.table, row, [label, str(count)])
            share = QProgressBar()
            share.setRange(0, 100)
            share.setValue(round(100 * count / total))
            self.table.setCellWidget(row, 2, share)
            sample = next(f.path for f in summary.files if f.label == label)
            play = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "")
            play.setToolTip(f"Play {sample.name}")
            play.clicked.connect(lambda _=False, path=sample: (self.player.load(str(path)), self.player.play_from(0)))
            self.table.setCellWidget(row, 3, play)
        self.warnings.setText("\n".join(summary.warnings))
        self.skipped.clear()
        for skipped in summary.skipped:
            self.skipped.addItem(f"{skipped.path.name}: {skipped.reason}")
        self.skipped.setVisible(bool(summary.skipped))
        self.skipped_title.setVisible(bool(summary.skipped))


class SettingsPage(QWizardPage):
    """Base model, name and epochs up front; everything else under Advanced, with sane defaults."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Choose a base model and settings")
        self.setSubTitle("The base model already knows sound; training teaches it your labels.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Start training")
        defaults = TrainOptions()
        self.base = QComboBox()
        for name, builtin in BUILTINS.items():
            self.base.addItem(f"{name} — {builtin.purpose}", name)
        self.base.addItem(OTHER_FOLDER, "")
        self.base.activated.connect(self._base_chosen)
        self.name = QLineEdit()
        self.replace = QCheckBox("Replace an installed model of that name")
        self.epochs = QSpinBox(minimum=1, maximum=200, value=defaults.epochs)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b3261e")
        form = QFormLayout()
        form.addRow("Base model", self.base)
        form.addRow("New model's name", self.name)
        form.addRow("", self.replace)
        form.addRow("Epochs (at most)", self.epochs)

        self.batch = QSpinBox(minimum=1, maximum=256, value=defaults.batch_size)
        self.rate = QLineEdit()
        self.rate.setPlaceholderText("auto (1e-3 head only, 1e-4 whole network)")
        self.scope = QComboBox()
        for text, value in (("The base's default", None), ("Only the new head", True), ("The whole network", False)):
            self.scope.addItem(text, value)
        self.clip = QDoubleSpinBox(minimum=0.0, maximum=30.0, decimals=1, singleStep=0.5)
        self.clip.setSpecialValueText("auto")
        self.clips_per_file = QSpinBox(minimum=1, maximum=200, value=defaults.max_clips_per_file)
        self.validation = QDoubleSpinBox(minimum=0.05, maximum=0.5, singleStep=0.05, value=defaults.validation_fraction)
        self.patience = QSpinBox(minimum=1, maximum=50, value=defaults.patience)
        self.augment = QCheckBox("Light augmentation (gain, shift, noise)")
        self.augment.setChecked(defaults.augment)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=defaults.seed)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.export = QCheckBox("Export to ONNX when done")
        self.advanced = QWidget()
        advanced = QFormLayout(self.advanced)
        for label, widget in (
            ("Batch size", self.batch), ("Learning rate", self.rate), ("Train", self.scope),
            ("Clip length (s)", self.clip), ("Clips per file (max)", self.clips_per_file),
            ("Validation share", self.validation), ("Early-stop patience", self.patience), ("", self.augment),
            ("Seed", self.seed), ("Device", self.device), ("", self.export),
        ):  # fmt: skip
            advanced.addRow(label, widget)
        self.advanced.hide()
        self.toggle = QToolButton(text="Advanced ▸", checkable=True)
        self.toggle.toggled.connect(self._toggle)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.toggle)
        layout.addWidget(self.advanced)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def _toggle(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.toggle.setText("Advanced ▾" if shown else "Advanced ▸")

    def _base_chosen(self, index: int) -> None:
        if self.base.itemData(index) == "":
            folder = QFileDialog.getExistingDirectory(self, "A Hugging Face audio model folder")
            if folder:
                self.set_base_folder(Path(folder))
            else:
                self.base.setCurrentIndex(0)
        self._suggest_name()

    def set_base_folder(self, folder: Path) -> None:
        """Offer ``folder`` (wav2vec2, HuBERT, AST, Whisper...) as the base, and choose it."""
        self.base.insertItem(self.base.count() - 1, f"{folder.name} — {folder}", str(folder))
        self.base.setCurrentIndex(self.base.count() - 2)
        self._suggest_name()

    def _suggest_name(self) -> None:
        if self.owner.summary is not None:
            self.name.setText(default_name(self.owner.summary.root, self.base.currentData() or "model"))

    def initializePage(self) -> None:  # noqa: N802
        self.base.setCurrentIndex(self.base.findData(suggest_base(self.owner.summary.durations())))
        self._suggest_name()
        self.error.clear()

    def options(self) -> TrainOptions:
        rate = self.rate.text().strip()
        return TrainOptions(
            epochs=self.epochs.value(),
            batch_size=self.batch.value(),
            learning_rate=float(rate) if rate else None,
            freeze_backbone=self.scope.currentData(),
            clip_seconds=self.clip.value() or None,
            max_clips_per_file=self.clips_per_file.value(),
            validation_fraction=self.validation.value(),
            patience=self.patience.value(),
            augment=self.augment.isChecked(),
            seed=self.seed.value(),
            device=self.device.currentText(),
            export_onnx=self.export.isChecked(),
        )

    def validatePage(self) -> bool:  # noqa: N802
        try:
            check_name(self.name.text().strip(), self.replace.isChecked())
            float(self.rate.text().strip() or 0)
        except ModelError as error:
            self.error.setText(str(error))
            return False
        except ValueError:
            self.error.setText(f"learning rate {self.rate.text()!r} is not a number (e.g. 1e-4), or leave it empty")
            return False
        return True


class TrainingPage(QWizardPage):
    """The run: steps, ETA, the live chart, one line per epoch, and Cancel."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Training")
        self.status = QLabel("")
        self.bar = QProgressBar()
        self.chart = TrainingChart()
        self.log = QListWidget()
        self.log.setMaximumHeight(130)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.setToolTip("Stop after the current step; the best finished epoch is kept")
        self.cancel_button.clicked.connect(self.cancel)
        self.again = QPushButton("Start over")
        self.again.clicked.connect(wizard.restart)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.again)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.log)
        layout.addLayout(buttons)
        self.thread: QThread | None = None
        self.worker: TrainWorker | None = None

    def initializePage(self) -> None:  # noqa: N802
        settings = self.owner.settings_page
        options = settings.options()
        name = settings.name.text().strip()
        self.owner.result = None
        self.setSubTitle(f"Teaching {settings.base.currentData()} the labels of {self.owner.summary.root.name}.")
        self.status.setText("Reading clips…")
        self.chart.reset(options.epochs)
        self.log.clear()
        self.again.hide()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        worker = TrainWorker(
            self.owner.summary, settings.base.currentData(), name, options, settings.replace.isChecked()
        )
        worker.progress.connect(self._progress)
        worker.done.connect(self._done)
        worker.failed.connect(self._failed)
        worker.finished.connect(self._finished)
        self.worker = worker
        self.thread = start_in_thread(worker, self)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling after the current step…")

    def _progress(self, event: TrainProgress) -> None:
        if event.stage == "prepare":
            self.status.setText(f"Reading clips: {event.done} of {event.total}")
            self.bar.setRange(0, max(1, event.total))
            self.bar.setValue(event.done)
            return
        if event.stage != "train":
            self.status.setText(event.message[:1].upper() + event.message[1:] + "…")
            return
        self.bar.setRange(0, max(1, event.total))
        self.bar.setValue(event.done)
        eta = f" · about {format_duration(event.eta_s)} left" if event.eta_s is not None else ""
        if not self.cancel_button.isEnabled():
            return
        self.status.setText(f"Epoch {max(1, math.ceil(event.epoch))} of {self.chart.epochs} · "
                            f"step {event.done} of {event.total}{eta}")  # fmt: skip
        if event.loss is not None:
            self.chart.add_loss(event.epoch, event.loss)
        if len(event.history) > len(self.chart.accuracies):
            record = event.history[-1]
            self.chart.add_accuracy(record.epoch, record.accuracy)
            self.log.addItem(f"Epoch {record.epoch}: validation accuracy {record.accuracy:.1%}, "
                             f"loss {record.eval_loss:.3f}")  # fmt: skip
            self.log.scrollToBottom()

    def _done(self, result: TrainResult) -> None:
        self.owner.result = result
        if result.path is None:
            self.status.setText("Cancelled before the first epoch finished: nothing was installed.")
            self.again.show()
        else:
            ended = {"cancelled": "Cancelled; kept", "early stopping": "Stopped early; kept"}.get(
                result.report["stopped"], "Done; kept"
            )
            self.status.setText(f"{ended} the best epoch ({result.report['best_epoch']}) as {result.name}.")
        self.completeChanged.emit()

    def _failed(self, reason: str) -> None:
        self.status.setText(f"Training failed: {reason}")
        self.again.show()

    def _finished(self) -> None:
        self.cancel_button.hide()
        if self.thread is not None:
            self.thread.wait()
        self.thread, self.worker = None, None

    def isComplete(self) -> bool:  # noqa: N802
        return self.owner.result is not None and self.owner.result.path is not None


class ResultsPage(QWizardPage):
    """How good the model is on the files it did not train on, and which clips it got wrong."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Results on the validation files")
        self.headline = QLabel("")
        self.headline.setWordWrap(True)
        self.per_label = _table(["Label", "Precision", "Recall", "F1", "Clips"])
        self.confusion = ConfusionMatrix()
        self.wrong = _table(["Misclassified clip", "At", "Label", "Predicted", "Confidence"])
        self.wrong.cellDoubleClicked.connect(self._play)
        self.wrong_title = QLabel("")
        self.player = Player()
        top = QHBoxLayout()
        top.addWidget(self.per_label, 1)
        matrix = QVBoxLayout()
        matrix.addWidget(QLabel("Confusion (rows: true label, columns: predicted)"))
        matrix.addWidget(self.confusion)
        matrix.addStretch(1)
        top.addLayout(matrix)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addLayout(top, 1)
        layout.addWidget(self.wrong_title)
        layout.addWidget(self.wrong, 1)
        layout.addWidget(self.player)

    def initializePage(self) -> None:  # noqa: N802
        report = self.owner.result.report
        validation = report["validation"]
        data = report["data"]
        self.headline.setText(
            f"<h2>{validation['accuracy']:.1%} accuracy</h2>on {validation['examples']} clips from "
            f"{data['validation_files']} validation files (macro F1 {validation['macro_f1']:.3f}) · best epoch "
            f"{report['best_epoch']} of {len(report['history'])} · trained in "
            f"{format_duration(report['train_seconds'])} on {report['device']}"
        )
        labels = list(validation["per_label"])
        self.per_label.setRowCount(len(labels))
        for row, label in enumerate(labels):
            numbers = validation["per_label"][label]
            _set_row(self.per_label, row, [label, f"{numbers['precision']:.1%}", f"{numbers['recall']:.1%}",
                                           f"{numbers['f1']:.2f}", str(numbers["support"])])  # fmt: skip
        self.confusion.set_matrix(labels, validation["confusion"])
        wrong = report["misclassified"]
        self.wrong_title.setText(
            "Double-click a misclassified clip to hear it:" if wrong else "Every validation clip was classified right."
        )
        self.wrong.setVisible(bool(wrong))
        self.player.setVisible(bool(wrong))
        self.wrong.setRowCount(len(wrong))
        for row, clip in enumerate(wrong):
            _set_row(self.wrong, row, [Path(clip["path"]).name, format_duration(clip["start_s"]), clip["label"],
                                       clip["predicted"], f"{clip['confidence']:.2f}"])  # fmt: skip
            self.wrong.item(row, 0).setToolTip(clip["path"])

    def _play(self, row: int, _column: int) -> None:
        clip = self.owner.result.report["misclassified"][row]
        self.player.load(clip["path"])
        self.player.play_from(clip["start_s"])


class FinishPage(QWizardPage):
    """The model is installed; make it active, export it to ONNX, or discard it."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Use the new model")
        self.where = QLabel("")
        self.where.setWordWrap(True)
        self.activate = QCheckBox("Make it the active model (the Library tags with it)")
        self.activate.setChecked(True)
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
        shutil.rmtree(models_dir() / self.owner.result.name, ignore_errors=True)
        self.message.setText(f"{self.owner.result.name} was deleted.")
        self.activate.setChecked(False)
        for widget in (self.activate, self.export_button, self.discard_button):
            widget.setEnabled(False)


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
        self.folder_page = FolderPage(self)
        self.classes_page = ClassesPage(self)
        self.settings_page = SettingsPage(self)
        self.training_page = TrainingPage(self)
        self.results_page = ResultsPage(self)
        self.finish_page = FinishPage(self)
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
