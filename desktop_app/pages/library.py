"""Library: the folders to tag, the Tag button, and a run's live progress and errors."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.runs.observer import RunSummary

from ..workers.tag import Progress


def format_eta(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


BAR_FORMAT = "%v / %m files"
NO_FOLDER_HINT = "Add a folder, then press Tag."
FOLDER_HINT = "Press Tag to tag the audio in these folders (or add another)."


class LibraryPage(QWidget):
    tag_requested = Signal()
    keywords_requested = Signal()  # search the folders for the words chosen on the Listen page
    calls_requested = Signal()  # analyse the folders' call recordings (the Calls page shows them)
    pause_requested = Signal(bool)  # True: pause, False: resume
    cancel_requested = Signal()
    folders_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.total = 0  # files the current run will read
        self.headline = QLabel("<h2>Your library</h2>")
        self.summary = QLabel("Add the folders that hold your music or recordings, then press Tag.")
        self.summary.setWordWrap(True)
        self.folders = QListWidget()
        self.folders.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.folders.setToolTip("Drop folders here")
        self.folders.setMaximumHeight(150)
        add = QPushButton("Add folder…")
        add.clicked.connect(self._choose_folder)
        self.remove = QPushButton("Remove")
        self.remove.clicked.connect(self._remove_selected)
        self.tag_button = QPushButton("Tag")
        self.tag_button.setDefault(True)
        self.tag_button.setShortcut("Ctrl+T")
        self.tag_button.setToolTip("Tag every audio file in these folders (Ctrl+T)")
        self.tag_button.clicked.connect(self.tag_requested)
        self.keywords_button = QPushButton("Find keywords")
        self.keywords_button.setToolTip("Find where the words chosen on the Listen page are said; hits are playable")
        self.keywords_button.clicked.connect(self.keywords_requested)
        self.calls_button = QPushButton("Analyse calls")
        self.calls_button.setToolTip("Find who spoke when, hold music and silence, and transcribe each call recording")
        self.calls_button.clicked.connect(self.calls_requested)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)

        buttons = QHBoxLayout()
        for widget in (add, self.remove):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        for widget in (self.tag_button, self.keywords_button, self.calls_button, self.pause_button, self.cancel_button):
            buttons.addWidget(widget)
        folders_box = QGroupBox("Folders")
        folders_layout = QVBoxLayout(folders_box)
        folders_layout.addWidget(self.folders)
        folders_layout.addLayout(buttons)

        self.bar = QProgressBar()
        self.bar.setFormat(BAR_FORMAT)
        self.status = QLabel(NO_FOLDER_HINT)
        self.current = QLabel("")
        self.current.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.errors = QTreeWidget()
        self.errors.setHeaderLabels(["File", "Why it could not be tagged"])
        self.errors.setRootIsDecorated(False)
        self.errors.setColumnWidth(0, 320)
        progress_box = QGroupBox("Progress")
        progress_layout = QVBoxLayout(progress_box)
        for widget in (self.bar, self.status, self.current):
            progress_layout.addWidget(widget)
        errors_box = QGroupBox("Errors")
        QVBoxLayout(errors_box).addWidget(self.errors)

        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.summary)
        layout.addWidget(folders_box)
        layout.addWidget(progress_box)
        layout.addWidget(errors_box, 1)
        self.set_running(False)

    # --- folders -------------------------------------------------------------------------------

    def set_folders(self, folders: list[str]) -> None:
        self.folders.clear()
        for folder in folders:
            self._add_item(folder)
        self._hint()

    def _hint(self) -> None:
        """Before any run, what to do next: add a folder, or press Tag (not "add a folder" beside one)."""
        if self.status.text() in (NO_FOLDER_HINT, FOLDER_HINT):
            self.status.setText(FOLDER_HINT if self.folders.count() else NO_FOLDER_HINT)

    def _add_item(self, folder: str) -> None:
        item = QListWidgetItem(self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon), folder)
        if not Path(folder).is_dir():
            item.setToolTip("This folder is not there any more")
            item.setForeground(QColor("#c0392b"))
        self.folders.addItem(item)

    def show_library(self, tagged: int, failed: int, hours: float, model: str) -> None:
        """The headline numbers of what the store holds for the active model."""
        if tagged or failed:
            self.summary.setText(
                f"<b>{tagged:,}</b> files tagged with <b>{model}</b> · {hours:.1f} h of audio"
                + (f" · <span style='color:#c0392b'>{failed:,} could not be read</span>" if failed else "")
            )

    def folder_list(self) -> list[str]:
        return [self.folders.item(i).text() for i in range(self.folders.count())]

    def add_folder(self, folder: str) -> None:
        if folder and folder not in self.folder_list():
            self._add_item(folder)
            self._hint()
            self.folders_changed.emit(self.folder_list())

    def _choose_folder(self) -> None:
        self.add_folder(QFileDialog.getExistingDirectory(self, "Add a folder to tag"))

    def _remove_selected(self) -> None:
        for item in self.folders.selectedItems():
            self.folders.takeItem(self.folders.row(item))
        self._hint()
        self.folders_changed.emit(self.folder_list())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            if path.is_dir():
                self.add_folder(str(path))

    # --- a run -----------------------------------------------------------------------------------

    def set_running(self, running: bool) -> None:
        self.tag_button.setEnabled(not running)
        self.keywords_button.setEnabled(not running)
        self.calls_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        if not running:
            self.pause_button.setChecked(False)

    def _pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pause_requested.emit(paused)

    def run_started(self) -> None:
        self.errors.clear()
        self.bar.setFormat(BAR_FORMAT)
        self.bar.setRange(0, 0)
        self.status.setText("Scanning…")
        self.current.setText("")
        self.set_running(True)

    def preparing(self, step: str) -> None:
        """A model's first run: converting or exporting takes a while, and says so rather than sit at 0 files."""
        self.status.setText(f"{step[:1].upper()}{step[1:]}…")

    def planned(self, total: int, skipped: int) -> None:
        self.total = total
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(0)
        self.status.setText(f"{total} file(s) to tag; {skipped} unchanged since last time (not decoded again)")

    def show_progress(self, progress: Progress) -> None:
        self.bar.setValue(progress.done)
        self.status.setText(
            f"{progress.done} of {progress.total} files · {progress.files_per_s:.2f} files/s · "
            f"{progress.audio_hours_per_s * 3600:.0f}x realtime · about {format_eta(progress.eta_s)} left"
        )

    def show_current(self, path: str) -> None:
        self.current.setText(f"Now: {path}")

    def add_error(self, path: str, reason: str) -> None:
        item = QTreeWidgetItem([Path(path).name, reason])
        item.setToolTip(0, path)
        item.setToolTip(1, reason)
        self.errors.addTopLevelItem(item)

    def run_finished(self, summary: RunSummary, hits: tuple[int, int] | None = None) -> None:
        """What the run did; ``hits``: a keyword search's (hits, files with one), said first."""
        self.set_running(False)
        self.current.setText("")
        found = f"{hits[0]} keyword hit(s) in {hits[1]} file(s) · " if hits is not None else ""
        if summary.interrupted:
            self.status.setText(f"{found}Stopped: {summary.tagged} file(s) tagged and kept. Press Tag to resume.")
        elif summary.decoded == 0:
            self.status.setText(f"Nothing to tag: {summary.skipped} file(s) unchanged (nothing decoded).")
        else:
            self.status.setText(
                f"{found}Done: {summary.tagged} tagged, {summary.failed} failed, {summary.skipped} unchanged, "
                f"{summary.missing} missing · {summary.elapsed_s:.1f} s"
            )
        if not self.total:  # not "1 / 1 files" when there was nothing to do
            self.bar.setFormat("nothing to tag")
        total = max(self.total, 1)
        self.bar.setRange(0, total)
        self.bar.setValue(total if not summary.interrupted else summary.decoded)

    def run_failed(self, reason: str) -> None:
        self.set_running(False)
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.status.setText(f"Could not tag: {reason}")
