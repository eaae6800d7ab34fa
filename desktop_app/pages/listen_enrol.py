"""Enrol my voice: say a wake word a few times (or choose recordings of it) and Earmark learns that voice."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.listen.enrol import MIN_CLIPS, phrase
from core.listen.verifier import SUFFIX, enrolled, verifiers_dir

from ..workers.listen import EnrolWorker
from ..workers.thread import start_in_thread

EXPLAIN = (
    "Say the wake word a few times, as you would to wake a device: Earmark learns how <i>you</i> say it, "
    "and then also hears you when the model alone scores you under its threshold. A small classifier is "
    "stored for this computer's user only; nothing leaves it."
)


class EnrolDialog(QDialog):
    """Chooses the word and the takes (live or files); runs the enrolment off the event loop."""

    def __init__(self, words: list[str], device: int | None, can_record: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Enrol my voice")
        self.device, self.can_record = device, can_record
        self.thread: QThread | None = None
        self.worker: EnrolWorker | None = None
        self.word = QComboBox()
        self.word.addItems(words)
        self.takes = QSpinBox()
        self.takes.setRange(MIN_CLIPS, 10)
        self.takes.setValue(4)
        self.record_button = QPushButton("Record with the microphone")
        self.record_button.clicked.connect(lambda: self.start([]))
        self.record_button.setEnabled(can_record)
        self.record_button.setToolTip("" if can_record else "Choose a microphone as the Listen page's input first")
        self.files_button = QPushButton("Choose recordings…")
        self.files_button.clicked.connect(self._choose)
        self.forget_button = QPushButton("Forget my voice")
        self.forget_button.clicked.connect(self.forget)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        explain = QLabel(EXPLAIN)
        explain.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Wake word", self.word)
        form.addRow("Takes to record", self.takes)
        buttons = QHBoxLayout()
        for button in (self.record_button, self.files_button, self.forget_button):
            buttons.addWidget(button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(close)
        self.word.currentTextChanged.connect(self._show_state)
        self._show_state()

    def _show_state(self) -> None:
        word = self.word.currentText()
        known = word in enrolled()
        self.forget_button.setEnabled(known)
        self.status.setText(f"Your voice is enrolled for {word}." if known else "")

    def _choose(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, f"Recordings of you saying {phrase(self.word.currentText())}")
        if paths:
            self.start([Path(p) for p in paths])

    def start(self, files: list[Path]) -> None:
        """Enrol from ``files``, or record the takes live when there are none."""
        worker = EnrolWorker(self.word.currentText(), files, self.device, self.takes.value())
        worker.prompt.connect(
            lambda take: self.status.setText(f"Say “{phrase(worker.word)}” now ({take}/{worker.takes})")
        )
        worker.enrolled.connect(self._enrolled)
        worker.failed.connect(self.status.setText)
        worker.finished.connect(self._finished)
        for button in (self.record_button, self.files_button, self.forget_button):
            button.setEnabled(False)
        self.status.setText("Learning your voice…" if files else "Get ready…")
        self.worker = worker
        self.thread = start_in_thread(worker, self)

    def _enrolled(self, result) -> None:
        scores = ", ".join(f"{p:.2f}" for p in result.peaks)
        self.status.setText(
            f"Enrolled {result.verifier.word} from {result.verifier.clips} recordings (the model alone scored "
            f"them {scores}). Listening with Earmark's tuning now also hears you from "
            f"{result.verifier.low:.2f} when your verifier agrees."
        )

    def _finished(self) -> None:
        if self.thread is not None:
            self.thread.wait()
        self.thread = self.worker = None
        self.files_button.setEnabled(True)
        self.record_button.setEnabled(self.can_record)
        self.forget_button.setEnabled(self.word.currentText() in enrolled())

    def forget(self) -> None:
        path = verifiers_dir() / f"{self.word.currentText()}{SUFFIX}"
        path.unlink(missing_ok=True)
        self._show_state()
        self.status.setText(f"Forgot your voice for {self.word.currentText()}.")

    def reject(self) -> None:
        if self.worker is not None:
            self.worker.stop.set()
        if self.thread is not None:
            self.thread.wait(10_000)
        super().reject()
