"""The selected file in depth: ranked labels, timeline, its own tags, and audio preview."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtWidgets import QFormLayout, QFrame, QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from core.records import LabelScore, ResultRow
from core.store import Store
from core.tagwrite import TagWriteError, read_tags

from .charts import LabelBars
from .elided_label import ElidedLabel
from .formatting import format_duration
from .player import Player
from .timeline import Timeline

WIDTH = 400  # pixels the pane asks for beside the table


class DetailPane(QWidget):
    """Beside the results table: what Earmark heard in one file, and the file itself to check it by ear."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = ElidedLabel("Select a file")  # a long name or path is elided: the window keeps its width
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.subtitle = ElidedLabel("")
        self.subtitle.setStyleSheet("color: palette(mid);")
        self.bars = LabelBars()
        self.timeline = Timeline()
        self.player = Player()
        self.tags = QFormLayout()
        self.shown: ResultRow | None = None  # the row shown, as it was read
        self.timeline.seek_requested.connect(self.player.play_from)
        self.player.player.positionChanged.connect(lambda ms: self.timeline.set_position(ms / 1000))

        labels_box = QGroupBox("Labels")
        QVBoxLayout(labels_box).addWidget(self.bars)
        timeline_box = QGroupBox("Timeline — click a segment to play it")
        timeline_layout = QVBoxLayout(timeline_box)
        timeline_layout.addWidget(self.timeline)
        timeline_layout.addWidget(self.player)
        tags_box = QGroupBox("Tags in the file")
        tags_box.setLayout(self.tags)

        boxes = QWidget()
        boxes_layout = QVBoxLayout(boxes)
        boxes_layout.setContentsMargins(0, 0, 0, 0)
        for box in (labels_box, timeline_box, tags_box):
            boxes_layout.addWidget(box)
        boxes_layout.addStretch(1)
        scroll = QScrollArea()  # a model with many label groups on a small screen: the pane scrolls, never clips
        scroll.setWidget(boxes)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(boxes.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(scroll, 1)

    def sizeHint(self) -> QSize:  # noqa: N802
        """Room for the bars and the timeline beside a table with many columns, which would take it all."""
        return QSize(WIDTH, super().sizeHint().height())

    def show_file(self, store: Store, row: ResultRow) -> None:
        """``row`` in full; the player keeps playing when it is the file already loaded (a refresh, a re-run)."""
        loaded = self.shown is not None and self.shown.path == row.path
        self.shown = row
        self.title.setText(Path(row.path).name)
        detail = f"{row.path}\n{format_duration(row.duration_s)} · {row.model}"
        self.subtitle.setText(detail if row.status == "tagged" else f"{detail}\n{row.status}: {row.error or ''}")
        _labels, groups = store.model_labels(row.model)
        self.bars.set_labels(store.file_labels(row.path, row.model), groups)
        self.timeline.set_segments(self._segments(store, row), row.duration_s or 0.0, f"No timeline: {row.status}")
        self._show_tags(Path(row.path))
        if not loaded and Path(row.path).is_file():
            self.player.load(row.path)

    def clear(self) -> None:
        """Nothing selected: nothing shown (not the file that was, from another model or an earlier run)."""
        self.shown = None
        self.title.setText("Select a file")
        self.subtitle.setText("")
        self.bars.set_labels([])
        self.timeline.set_segments([], 0.0)
        self._show_tags(None)
        self.player.player.stop()
        self.player.player.setSource(QUrl())

    @staticmethod
    def _segments(store: Store, row: ResultRow) -> list[tuple[float, float, list[LabelScore]]]:
        segments: dict[int, tuple[float, float, list[LabelScore]]] = {}
        for index, start, end, label, score in store.segments(row.path, row.model):
            segments.setdefault(index, (start, end, []))[2].append(LabelScore(label, score))
        return [segments[i] for i in sorted(segments)]

    def _show_tags(self, path: Path | None) -> None:
        while self.tags.rowCount():
            self.tags.removeRow(0)
        if path is None:
            return
        try:
            tags = read_tags(path) if path.is_file() else {}
        except TagWriteError as error:
            message = QLabel(str(error))
            message.setWordWrap(True)
            self.tags.addRow(message)
            return
        for key in ("title", "artist", "album", "genre", "year"):
            if key in tags:
                value = ElidedLabel("; ".join(tags[key]), mode=Qt.TextElideMode.ElideRight)
                self.tags.addRow(f"{key.capitalize()}:", value)
        if not self.tags.rowCount():
            self.tags.addRow(QLabel("No tags"))
