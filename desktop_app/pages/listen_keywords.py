"""The Listen page's own-keywords box: the folder format said on the page, a threshold slider per keyword,
and a warning, kept current while the folder changes, when an example does not sound like the others."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, Qt, QThread, QTimer
from PySide6.QtWidgets import QFileDialog, QGridLayout, QGroupBox, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from core.listen.examples import DEFAULT_THRESHOLD
from core.scan import AUDIO_EXTENSIONS

from ..workers.listen import ExamplesCheckWorker
from ..workers.thread import start_in_thread

FORMAT = (
    "A folder with one sub-folder per keyword, named as the keyword, holding 3 or more short recordings "
    "of just that word or phrase (any audio format, a second or two each, different voices if you can): "
    "<i>keywords/lights_on/anna.wav</i>, <i>keywords/lights_on/ben.m4a</i>, <i>keywords/play_music/…</i>. "
    "No training: each recording is matched against what is heard."
)
RECHECK_MS = 800  # a copy of many files settles before the examples are checked again


def threshold_slider(default: float) -> tuple[QSlider, QLabel]:
    """A 0.01-0.99 slider and the label that shows its value: every threshold on the Listen page."""
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(1, 99)
    slider.setValue(int(round(default * 100)))
    value = QLabel(f"{slider.value() / 100:.2f}")
    slider.valueChanged.connect(lambda v, label=value: label.setText(f"{v / 100:.2f}"))
    return slider, value


class KeywordExamplesBox(QGroupBox):
    """Chooses the examples folder; offers one slider per keyword (its sub-folders) and checks the examples."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Your own keywords, from examples", parent)
        self.folder: Path | None = None
        self.sliders: dict[str, QSlider] = {}
        self.thread: QThread | None = None
        self.worker: ExamplesCheckWorker | None = None
        explain = QLabel(FORMAT)
        explain.setWordWrap(True)
        self.choose = QPushButton("Examples folder…")
        self.choose.clicked.connect(self._choose)
        self.label = QLabel("none")
        self.label.setWordWrap(True)
        self.grid = QGridLayout()
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #b35c00")
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        row = QGridLayout()
        row.addWidget(self.choose, 0, 0)
        row.addWidget(self.label, 0, 1)
        layout.addLayout(row)
        layout.addLayout(self.grid)
        layout.addWidget(self.warning)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _path: self._settle.start())
        self._settle = QTimer(self, singleShot=True, interval=RECHECK_MS)
        self._settle.timeout.connect(self.check)
        self._pending = False

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Keyword examples: one sub-folder per keyword")
        if folder:
            self.use(Path(folder))

    def use(self, folder: Path | None) -> None:
        self.folder = folder
        self.label.setText(str(folder) if folder else "none")
        if self.watcher.directories():
            self.watcher.removePaths(self.watcher.directories())
        self.check()

    def keywords(self) -> list[str]:
        """The sub-folders that hold audio: the keywords a listener will offer."""
        if self.folder is None or not self.folder.is_dir():
            return []
        return sorted(
            p.name
            for p in self.folder.iterdir()
            if p.is_dir() and any(f.suffix.lower() in AUDIO_EXTENSIONS for f in p.iterdir())
        )

    def check(self) -> None:
        """Slider rows for the keywords as they are now, and the examples checked off the event loop."""
        self._rows()
        if self.folder is None or not self.folder.is_dir():
            self.warning.setText("")
            return
        watched = [str(self.folder), *(str(self.folder / k) for k in self.keywords())]
        missing = [p for p in watched if p not in self.watcher.directories()]
        if missing:
            self.watcher.addPaths(missing)
        if self.worker is not None:  # one check at a time; the latest state is checked after it
            self._pending = True
            return
        self.warning.setText("Checking the examples…")
        worker = ExamplesCheckWorker(self.folder)
        worker.checked.connect(self._checked)
        worker.finished.connect(self._finished)
        self.worker = worker
        self.thread = start_in_thread(worker, self)

    def _rows(self) -> None:
        """One slider per keyword; a keyword's slider keeps its value while the folder changes around it."""
        wanted = self.keywords()
        if list(self.sliders) == wanted:
            return
        values = {word: slider.value() / 100 for word, slider in self.sliders.items()}
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.sliders = {}
        for row, word in enumerate(wanted):
            slider, value = threshold_slider(values.get(word, DEFAULT_THRESHOLD))
            self.grid.addWidget(QLabel(word), row, 0)
            self.grid.addWidget(QLabel("threshold"), row, 1)
            self.grid.addWidget(slider, row, 2)
            self.grid.addWidget(value, row, 3)
            self.sliders[word] = slider

    def thresholds(self) -> dict[tuple[str, str], float]:
        """Per keyword, keyed as the detector's origins name them."""
        return {("examples", word): slider.value() / 100 for word, slider in self.sliders.items()}

    def _checked(self, warnings: list) -> None:
        self.warning.setText("\n".join(f"⚠ {w}" for w in warnings))

    def _finished(self) -> None:
        if self.thread is not None:
            self.thread.wait()
        self.thread = self.worker = None
        if self._pending:
            self._pending = False
            self.check()

    def shutdown(self) -> None:
        if self.thread is not None:
            self.thread.wait(10_000)
