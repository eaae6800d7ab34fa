"""Listen: wake words on a live microphone (or a recording), with levels, score traces and a log."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QThread
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSlider,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.listen.catalog import ListenRequest, ListenSpec
from core.listen.detector import Detection, ListenModelError
from core.listen.micro import MicroWakeWordDetector, available_words
from core.listen.oww import available_heads
from core.listen.session import MICROPHONE, microphone_source
from core.listen.sources import AudioSourceError, input_devices
from core.models.catalog import BUILTINS
from core.models.registry import available_names

from ..widgets.charts import label_colour
from ..widgets.score_trace import TRACE_FRAMES, ScoreTrace
from ..workers.listen import ListenWorker
from ..workers.thread import start_in_thread
from .listen_enrol import EnrolDialog
from .listen_keywords import KeywordExamplesBox, threshold_slider

CHOOSE_HINT = "Choose an input and at least one wake word, keyword examples folder or model."
NO_MICROPHONE = "No microphone found. You can listen through a recording instead (Recording…)."


class ListenPage(QWidget):
    """Chooses detectors and thresholds; the same choice serves Find keywords on the Library page."""

    def __init__(self, db: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.thread: QThread | None = None
        self.worker: ListenWorker | None = None
        self.source = QComboBox()
        self.source.setMinimumWidth(320)
        choose = QPushButton("Recording…")
        choose.setToolTip("Listen through a recording instead of a microphone")
        choose.clicked.connect(self._choose_recording)
        self.start_button = QPushButton("Start listening")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("Input"))
        top.addWidget(self.source, 1)
        top.addWidget(choose)
        top.addWidget(self.start_button)
        top.addWidget(self.stop_button)

        self.level = QProgressBar()
        self.level.setRange(-60, 0)
        self.level.setFormat("%v dBFS")
        self.level.setValue(-60)  # silence until something is heard (a fresh bar would read its -1 "no value")
        self.message = QLabel("")
        self.message.setWordWrap(True)

        self.checks: dict[tuple[str, str], QCheckBox] = {}
        self.sliders: dict[tuple[str, str], QSlider] = {}
        words_box = QGroupBox("Wake words (microWakeWord, Apache-2.0)")
        grid = QGridLayout(words_box)
        defaults = self._default_thresholds()
        for row, word in enumerate(available_words()):
            self._word_row(grid, row, ("microwakeword", word), word, True, defaults.get(word, 0.5))
        oww_box = QGroupBox("openWakeWord — NON-COMMERCIAL use only (CC BY-NC-SA 4.0)")
        oww_grid = QGridLayout(oww_box)
        # timer is one head with six classes and no single threshold: the CLI offers it
        for row, head in enumerate(h for h in available_heads() if h != "timer"):
            self._word_row(oww_grid, row, ("openwakeword", head), head, False, 0.5)
        self.enrol_button = QPushButton("Enrol my voice…")
        self.enrol_button.setToolTip("Say a wake word a few times: Earmark learns how you say it")
        self.enrol_button.clicked.connect(self.open_enrolment)
        grid.addWidget(self.enrol_button, len(self.checks), 0, 1, 4)
        self.keywords = KeywordExamplesBox()
        more_box = QGroupBox("A model you trained, and how scores count")
        more = QGridLayout(more_box)
        self.model = QComboBox()
        self.model.setToolTip(
            "A model you trained on keywords (Train page), run on a sliding window; "
            "its background/other label never fires"
        )
        self.refresh_models()
        self.vad = QCheckBox("Only while someone speaks (Silero VAD)")
        self.tuning = QCheckBox("Earmark's tuning: calibrated thresholds, one word per phrase, your enrolled voice")
        self.tuning.setChecked(True)
        self.tuning.toggled.connect(self._tuning_changed)
        more.addWidget(QLabel("A model you trained:"), 0, 0)
        more.addWidget(self.model, 0, 1)
        more.addWidget(self.vad, 1, 0, 1, 2)
        more.addWidget(self.tuning, 2, 0, 1, 2)
        # the detectors keep their natural height (the examples format is read whole) and scroll when short
        column = QWidget()
        detectors = QVBoxLayout(column)
        detectors.setContentsMargins(0, 0, 0, 0)
        for box in (words_box, oww_box, self.keywords, more_box):
            detectors.addWidget(box)
        detectors.addStretch(1)
        scroller = QScrollArea()
        scroller.setWidget(column)
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QScrollArea.Shape.NoFrame)
        scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroller.setMinimumWidth(column.sizeHint().width() + scroller.verticalScrollBar().sizeHint().width())

        self.trace = ScoreTrace()
        self.log = QTreeWidget()
        self.log.setHeaderLabels(["Time", "Word", "Score", "Source"])
        self.log.setRootIsDecorated(False)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Listen</h2>"))
        layout.addLayout(top)
        layout.addWidget(self.level)
        layout.addWidget(self.message)
        middle = QHBoxLayout()
        middle.addWidget(scroller, 2)
        trace_box = QGroupBox("Scores, last 12 s")
        QVBoxLayout(trace_box).addWidget(self.trace)
        middle.addWidget(trace_box, 3)
        layout.addLayout(middle, 3)
        log_box = QGroupBox("Detections")
        QVBoxLayout(log_box).addWidget(self.log)
        layout.addWidget(log_box, 1)
        self.refresh_devices()

    def _word_row(self, grid: QGridLayout, row: int, key: tuple[str, str], text: str, on: bool, default: float) -> None:
        check = QCheckBox(text)
        check.setChecked(on)
        slider, value = threshold_slider(default)
        grid.addWidget(check, row, 0)
        grid.addWidget(QLabel("threshold"), row, 1)
        grid.addWidget(slider, row, 2)
        grid.addWidget(value, row, 3)
        self.checks[key], self.sliders[key] = check, slider

    def refresh_models(self) -> None:
        """Offer the installed models that are not the built-in music taggers (those hear no words)."""
        current = self.model.currentData()
        self.model.clear()
        self.model.addItem("none", None)
        for name in available_names():
            if name not in BUILTINS:
                self.model.addItem(name, name)
        self.model.setCurrentIndex(max(0, self.model.findData(current)))

    @property
    def examples(self) -> Path | None:
        return self.keywords.folder

    def use_examples(self, folder: Path | None) -> None:
        self.keywords.use(folder)

    @staticmethod
    def _default_thresholds(earmark: bool = True) -> dict[str, float]:
        try:
            return MicroWakeWordDetector(earmark_cutoffs=earmark).default_thresholds
        except ListenModelError:
            return {}

    def _tuning_changed(self, earmark: bool) -> None:
        """The wake words' sliders move to the chosen tuning's thresholds."""
        for word, threshold in self._default_thresholds(earmark).items():
            self.sliders[("microwakeword", word)].setValue(int(round(threshold * 100)))

    def open_enrolment(self) -> None:
        """Enrol with the microphone chosen as input (or from recordings when the input is one)."""
        source = self.source.currentData() or ""
        name = source[len(MICROPHONE) :] if source.startswith(MICROPHONE) else None
        device = int(name) if name and name != "default" else None
        words = [word for model, word in self.checks if model == "microwakeword"]
        dialog = EnrolDialog(words, device, name is not None, self)
        self.enrolment = dialog
        dialog.open()

    def refresh_devices(self) -> None:
        self.source.clear()
        try:
            devices = input_devices()
        except AudioSourceError as error:
            self.message.setText(str(error))
            devices = []
        for device in devices:
            self.source.addItem(f"Microphone: {device.name}", microphone_source(device.index))
        if not devices and not self.message.text():
            self.message.setText(NO_MICROPHONE)

    def _choose_recording(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Listen through a recording")
        if path:
            self.use_recording(path)

    def use_recording(self, path: str) -> None:
        self.source.insertItem(0, f"Recording: {Path(path).name}", str(path))
        self.source.setCurrentIndex(0)
        if self.message.text() in (CHOOSE_HINT, NO_MICROPHONE):  # answered: the hint would only mislead now
            self.message.setText("")

    def choice(self) -> ListenRequest | None:
        """What to listen for and at which thresholds, as chosen here (also for keyword search)."""
        chosen = [key for key, check in self.checks.items() if check.isChecked()]
        trained = self.model.currentData()
        if not (chosen or self.examples or trained):
            return None
        spec = ListenSpec(
            wake=tuple(w for model, w in chosen if model == "microwakeword"),
            openwakeword=tuple(w for model, w in chosen if model == "openwakeword"),
            keyword_examples=self.examples,
            model=trained,
            vad=self.vad.isChecked(),
            tuning="earmark" if self.tuning.isChecked() else "model",
        )
        return ListenRequest(
            spec, {key: self.sliders[key].value() / 100 for key in chosen} | self.keywords.thresholds()
        )

    def start(self) -> None:
        source = self.source.currentData()
        choice = self.choice()
        if not source or choice is None:
            self.message.setText(CHOOSE_HINT)
            return
        self.message.setText("Loading the detectors…")
        worker = ListenWorker(choice, source, self.db, TRACE_FRAMES)
        worker.ready.connect(self._ready)
        worker.scores.connect(self._scores)
        worker.detected.connect(self._detected)
        worker.failed.connect(self.message.setText)
        worker.finished.connect(self._finished)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.worker = worker
        self.thread = start_in_thread(worker, self)

    def _ready(self, thresholds: dict) -> None:
        self.trace.reset(thresholds)
        self.message.setText(f"Listening for {', '.join(thresholds)}…")

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop.set()

    def _scores(self, level: float, frames: list) -> None:
        self.level.setValue(int(max(-60.0, min(0.0, level))))
        for scores in frames:
            self.trace.add(scores)

    def _detected(self, detection: Detection) -> None:
        minutes, seconds = divmod(detection.time_s, 60)
        item = QTreeWidgetItem([f"{int(minutes)}:{seconds:05.2f}", detection.word, f"{detection.score:.2f}",
                                self.source.currentText()])  # fmt: skip
        item.setForeground(1, QColor(label_colour(detection.word)))
        self.log.insertTopLevelItem(0, item)

    def _finished(self) -> None:
        if self.thread is not None:
            self.thread.wait()
        self.thread = self.worker = None
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        if self.message.text().startswith("Listening"):
            self.message.setText(f"Stopped. {self.log.topLevelItemCount()} detection(s).")

    def shutdown(self) -> None:
        """Stop listening before the window closes."""
        if self.worker is not None and self.thread is not None:
            self.worker.stop.set()  # the run ends, and with it the thread
            self.thread.wait(5000)
        self.keywords.shutdown()
