"""The wizard's fourth page: the training run in a worker, with its live chart, ETA and Cancel."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QThread
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QProgressBar, QPushButton, QVBoxLayout, QWizardPage

from core.train.job import TrainProgress, TrainResult

from ...widgets.formatting import format_duration
from ...widgets.train_charts import TrainingChart
from ...workers.thread import start_in_thread
from ...workers.train import TrainWorker

if TYPE_CHECKING:
    from .wizard import TrainWizard


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
