"""Two small painted widgets: a ranked label bar chart and a per-segment label timeline."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.records import LabelScore


def label_colour(label: str) -> QColor:
    """A stable colour per label, so that a label looks the same in the chart and the timeline."""
    hue = int(hashlib.md5(label.encode("utf-8")).hexdigest()[:4], 16) % 360  # noqa: S324 - a colour, not security
    return QColor.fromHsl(hue, 150, 120)


SPEAKER_COLOURS = ("#2f6fb3", "#d9822b", "#2e9a5e", "#b8447a", "#7b5cc4", "#1f9aa8", "#a8892b")
CALL_COLOURS = {"hold music": "#8e44ad", "silence": "#c8c8c8", "tone": "#e0b000", "noise": "#8d7b68"}


def speaker_colour(speaker: int | None) -> QColor:
    """Speaker 1, 2... in colours far apart (hashed ones can come out alike); grey when no one was told apart."""
    return QColor(SPEAKER_COLOURS[(speaker - 1) % len(SPEAKER_COLOURS)] if speaker else "#7f7f7f")


def call_colour(label: str) -> QColor:
    """A call timeline's label ("speaker 2", "hold music", "silence"...): its speaker's colour, or its kind's."""
    number = label.removeprefix("speaker ")
    if number != label and number.isdigit():
        return speaker_colour(int(number))
    return QColor(CALL_COLOURS[label]) if label in CALL_COLOURS else label_colour(label)


class LabelBars(QWidget):
    """Every label of a file as a horizontal bar, best first."""

    ROW = 20

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[LabelScore] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_labels(self, labels: list[LabelScore], limit: int = 15) -> None:
        self.labels = labels[:limit]
        self.setFixedHeight(max(1, len(self.labels)) * self.ROW + 4)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text_width = 130
        bar_space = max(10, self.width() - text_width - 50)
        for i, item in enumerate(self.labels):
            y = 2 + i * self.ROW
            painter.setPen(palette.windowText().color())
            painter.drawText(
                QRectF(0, y, text_width - 8, self.ROW),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                item.label,
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.mid().color())
            painter.drawRoundedRect(QRectF(text_width, y + 4, bar_space, self.ROW - 8), 3, 3)
            painter.setBrush(label_colour(item.label))
            painter.drawRoundedRect(QRectF(text_width, y + 4, max(2.0, bar_space * item.score), self.ROW - 8), 3, 3)
            painter.setPen(palette.windowText().color())
            painter.drawText(
                QRectF(text_width + bar_space + 6, y, 44, self.ROW), Qt.AlignmentFlag.AlignVCenter, f"{item.score:.2f}"
            )
        painter.end()


class Timeline(QWidget):
    """The top label of each segment along the file; a click asks to play from there."""

    seek_requested = Signal(float)  # seconds

    def __init__(
        self, parent: QWidget | None = None, colour: Callable[[str], QColor] = label_colour, whole_names: bool = False
    ) -> None:
        """``whole_names``: name a segment only where the name fits whole, not cut off at its end (a call's many
        short stretches, whose colours are named beside the timeline)."""
        super().__init__(parent)
        self.colour = colour
        self.whole_names = whole_names
        self.segments: list[tuple[float, float, list[LabelScore]]] = []
        self.duration = 1e-6  # never 0: positions are drawn as a share of it
        self.position = 0.0
        self.setMinimumHeight(46)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_segments(self, segments: list[tuple[float, float, list[LabelScore]]], duration: float) -> None:
        self.segments = segments
        self.duration = max(duration, max((end for _, end, _ in segments), default=0.0), 1e-6)
        self.position = 0.0
        self.update()

    def set_position(self, seconds: float) -> None:
        self.position = seconds
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        palette = self.palette()
        width, height = self.width(), self.height()
        painter.fillRect(0, 0, width, height - 16, palette.mid().color())
        for start, end, labels in self.segments:
            x0, x1 = start / self.duration * width, end / self.duration * width
            if labels:
                fill = self.colour(labels[0].label)
                painter.fillRect(QRectF(x0, 0, max(1.0, x1 - x0 - 1), height - 16), fill)
                name = labels[0].label
                if not self.whole_names or self.fontMetrics().horizontalAdvance(name) <= x1 - x0 - 4:
                    painter.setPen(QColor("white") if fill.lightness() < 170 else QColor("black"))
                    painter.drawText(QRectF(x0 + 3, 0, x1 - x0 - 4, height - 16), Qt.AlignmentFlag.AlignVCenter, name)
        painter.setPen(palette.windowText().color())
        painter.drawText(QRectF(0, height - 15, width, 15), Qt.AlignmentFlag.AlignLeft, "0:00")
        minutes, seconds = divmod(int(self.duration), 60)
        painter.drawText(QRectF(0, height - 15, width, 15), Qt.AlignmentFlag.AlignRight, f"{minutes}:{seconds:02d}")
        x = self.position / self.duration * width
        painter.setPen(palette.highlight().color())
        painter.drawLine(int(x), 0, int(x), height - 16)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        seconds = event.position().x() / max(1, self.width()) * self.duration
        for start, end, _ in self.segments:
            if start <= seconds < end:
                self.seek_requested.emit(start)
                return
        self.seek_requested.emit(seconds)
