"""The selected call in depth: who spoke for how long, its timeline by speaker, the player, the transcript.

The transcript follows playback (the line being played is the current one) and a click on a line
plays from its start, as a click on the timeline does.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.calls.export import render, speaker_name
from core.records import LabelScore, ResultRow, Turn
from core.store import Store

from .cells import wrap_column
from .charts import CALL_COLOURS, call_colour, speaker_colour
from .formatting import format_duration
from .player import Player
from .timeline import Timeline

EXPORTS = {"txt": "Text (*.txt)", "srt": "SubRip subtitles (*.srt)", "vtt": "WebVTT subtitles (*.vtt)",
           "json": "JSON (*.json)"}  # fmt: skip
KINDS = (("music", "hold music"), ("silence", "silence"), ("tone", "tone"), ("noise", "noise"))  # store kind, label
TRANSCRIPT = "Transcript — click a line to play it"
EARLY_S = 0.05  # a position this close before a line's start already plays that line (positions are whole ms)


def chip(colour: str, name: str, seconds: float) -> str:
    """One of a call's numbers as HTML: its colour in the timeline, its name, its time (kept on one line)."""
    return f"<span style='color:{colour}; font-size:15px'>■</span>&nbsp;{name}&nbsp;<b>{format_duration(seconds)}</b>"


class CallPane(QWidget):
    """Beside the call list: one call, to read and to hear."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path: str | None = None
        self.turns: list[Turn] = []
        self.starts: list[float] = []
        self.title = QLabel("Select a call")
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.title.setWordWrap(True)
        self.subtitle = QLabel("")
        self.subtitle.setStyleSheet("color: palette(mid);")
        self.subtitle.setWordWrap(True)
        self.numbers = QLabel("")
        self.numbers.setWordWrap(True)
        self.timeline = Timeline(colour=call_colour, whole_names=True)
        self.player = Player()
        self.timeline.seek_requested.connect(self.play_from)
        self.player.player.positionChanged.connect(self._follow)

        self.transcript = QTreeWidget()
        self.transcript.setHeaderLabels(["Time", "Speaker", "Said"])
        self.transcript.setRootIsDecorated(False)
        self.transcript.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.transcript.setColumnWidth(0, 56)
        self.transcript.setColumnWidth(1, 86)
        wrap_column(self.transcript, 2)
        self.transcript.itemClicked.connect(self._line_clicked)
        self.transcript.itemActivated.connect(self._line_clicked)
        self.export_button = QPushButton("Export transcript…")
        self.export_button.setToolTip("Save the transcript as text, subtitles (SRT, WebVTT) or JSON")
        self.export_button.clicked.connect(self.export)
        self.export_button.setEnabled(False)

        timeline_box = QGroupBox("Timeline — click to play from there")
        timeline_layout = QVBoxLayout(timeline_box)
        timeline_layout.addWidget(self.timeline)
        timeline_layout.addWidget(self.player)
        self.transcript_box = transcript_box = QGroupBox(TRANSCRIPT)
        transcript_layout = QVBoxLayout(transcript_box)
        transcript_layout.addWidget(self.transcript, 1)
        export_row = QHBoxLayout()
        export_row.addStretch(1)
        export_row.addWidget(self.export_button)
        transcript_layout.addLayout(export_row)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.numbers)
        layout.addWidget(timeline_box)
        layout.addWidget(transcript_box, 1)

    # --- what is shown ----------------------------------------------------------------------------

    def show_call(self, store: Store, row: ResultRow) -> None:
        """A row of the call list: a call, or a file the analysis could not read (then why)."""
        self._show_path(row.path)
        call = row.call
        if row.status != "tagged" or call is None:
            self.subtitle.setText(f"{row.path}\n{row.status}: {row.error or 'file not found'}")
            return
        self.subtitle.setText(f"{row.path} · {format_duration(row.duration_s)}")
        speech = call.seconds.get("speech", 0.0)
        talkers = [
            chip(speaker_colour(speaker).name(), speaker_name(speaker), talk)
            + (f"&nbsp;({talk / speech:.0%})" if speech and len(call.speakers) > 1 else "")
            for speaker, talk in sorted(call.speakers.items())
        ]
        seconds = {label: call.seconds.get(kind, 0.0) for kind, label in KINDS}
        kinds = [
            chip(CALL_COLOURS[label], label.capitalize(), time)
            for label, time in seconds.items()
            if time or label in ("hold music", "silence")  # tones and noise only when there are any
        ]
        self.numbers.setText("<br>".join("&nbsp;&nbsp; ".join(line) for line in (talkers, kinds) if line))
        segments = [(start, end, [LabelScore(label, score)]) for _, start, end, label, score in
                    store.segments(row.path, row.model)]  # fmt: skip
        self.timeline.set_segments(segments, row.duration_s or 0.0)
        self._show_transcript(call.transcript)
        if not call.transcript:
            self.transcript_box.setTitle("Transcript — no one speaks in this call")

    def show_recording(self, path: str) -> None:
        """A file a search found that was not analysed as a call (a keyword search heard it): only to hear."""
        self._show_path(path)
        self.subtitle.setText(f"{path}\nNot analysed as a call: Analyse calls on the Library page reads it.")

    def _show_path(self, path: str) -> None:
        self.path = path
        self.title.setText(Path(path).name)
        self.numbers.setText("")
        self.timeline.set_segments([], 0.0)
        self._show_transcript([])
        if Path(path).is_file():
            self.player.load(path)

    def _show_transcript(self, turns: list[Turn]) -> None:
        self.turns = turns
        self.starts = [turn.start_s for turn in turns]
        self.transcript.clear()
        bold = QFont(self.transcript.font())
        bold.setBold(True)
        for turn in turns:
            item = QTreeWidgetItem([format_duration(turn.start_s), speaker_name(turn.speaker), turn.text])
            item.setForeground(1, speaker_colour(turn.speaker))
            item.setFont(1, bold)
            for column in (0, 1, 2):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            item.setToolTip(2, f"{format_duration(turn.start_s)}–{format_duration(turn.end_s)}: {turn.text}")
            self.transcript.addTopLevelItem(item)
        self.export_button.setEnabled(bool(turns))
        self.transcript_box.setTitle(TRANSCRIPT)

    def lines(self) -> list[tuple[str, str, str]]:
        """The transcript as shown: (time, speaker, text) per line."""
        items = (self.transcript.topLevelItem(i) for i in range(self.transcript.topLevelItemCount()))
        return [(item.text(0), item.text(1), item.text(2)) for item in items]

    def current_line(self) -> int | None:
        """The line being played (or last asked for), highlighted; None before any."""
        item = self.transcript.currentItem()
        return self.transcript.indexOfTopLevelItem(item) if item is not None else None

    # --- playing ----------------------------------------------------------------------------------

    def play_from(self, seconds: float) -> None:
        """Play from ``seconds``; the line and the timeline show it at once, before the player reports back."""
        self._follow(int(round(seconds * 1000)))
        self.player.play_from(seconds)

    def _line_clicked(self, item: QTreeWidgetItem) -> None:
        self.play_from(self.turns[self.transcript.indexOfTopLevelItem(item)].start_s)

    def _follow(self, ms: int) -> None:
        seconds = ms / 1000
        self.timeline.set_position(seconds)
        line = bisect.bisect_right(self.starts, seconds + EARLY_S) - 1
        if line >= 0 and line != self.current_line():
            item = self.transcript.topLevelItem(line)
            self.transcript.setCurrentItem(item)
            self.transcript.scrollToItem(item)

    # --- export -----------------------------------------------------------------------------------

    def export(self) -> None:
        if not self.turns or self.path is None:
            return
        suggested = str(Path(self.path).with_suffix(".txt"))
        target, chosen = QFileDialog.getSaveFileName(self, "Export transcript", suggested, ";;".join(EXPORTS.values()))
        if not target:
            return
        form = Path(target).suffix.lstrip(".").lower()
        if form not in EXPORTS:
            form = next((name for name, caption in EXPORTS.items() if caption == chosen), "txt")
            target += f".{form}"
        try:
            Path(target).write_text(render(self.turns, form), encoding="utf-8")
        except OSError as error:
            QMessageBox.warning(self, "Export transcript", f"Could not write {target}: {error.strerror or error}")
