"""A file's labels along time: the top label of each segment as a coloured stretch; a click plays from there."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPaintEvent
from PySide6.QtWidgets import QToolTip, QWidget

from core.records import LabelScore

from .charts import label_colour
from .formatting import format_duration
from .painting import painting

Segment = tuple[float, float, list[LabelScore]]  # start s, end s, labels best first
AXIS = 16  # pixels under the bars for the 0:00 ... length axis
TOOLTIP_LABELS = 3  # labels a segment's tooltip lists


class Timeline(QWidget):
    """The top label of each segment along the file; hovering a segment names its labels, scores and times.

    With no file, or a file of no length, it says so instead of drawing: every position is a share of the
    length, which must then never be used.
    """

    seek_requested = Signal(float)  # seconds

    def __init__(
        self, parent: QWidget | None = None, colour: Callable[[str], QColor] = label_colour, whole_names: bool = False
    ) -> None:
        """``whole_names``: name a segment only where the name fits whole, not elided (a call's many short
        stretches, whose colours are named beside the timeline)."""
        super().__init__(parent)
        self.colour = colour
        self.whole_names = whole_names
        self.segments: list[Segment] = []
        self.duration = 0.0
        self.position = 0.0
        self.placeholder = "Select a file to see its timeline"
        self.setMinimumHeight(46)
        self.setMouseTracking(True)

    def set_segments(self, segments: list[Segment], duration: float, placeholder: str = "No timeline") -> None:
        """Show ``segments`` over ``duration`` seconds; ``placeholder`` is said instead when there is nothing."""
        self.segments = segments
        self.duration = max(duration, max((end for _, end, _ in segments), default=0.0), 0.0)
        self.position = 0.0
        self.placeholder = placeholder
        self.setCursor(Qt.CursorShape.PointingHandCursor if self.has_timeline() else Qt.CursorShape.ArrowCursor)
        self.update()

    def set_position(self, seconds: float) -> None:
        self.position = seconds
        self.update()

    def has_timeline(self) -> bool:
        return self.duration > 0 and bool(self.segments)

    # --- geometry -------------------------------------------------------------------------------

    def x_of(self, seconds: float) -> float:
        """Where ``seconds`` lies across the widget, held inside it (a stale player position may lie beyond)."""
        return min(max(seconds / self.duration, 0.0), 1.0) * self.width() if self.duration > 0 else 0.0

    def seconds_at(self, x: float) -> float:
        return min(max(x / max(1, self.width()), 0.0), 1.0) * self.duration

    def segment_at(self, x: float) -> Segment | None:
        seconds = self.seconds_at(x)
        return next((s for s in self.segments if s[0] <= seconds < s[1]), None)

    def runs(self) -> list[tuple[float, float, str]]:
        """Neighbouring segments that share their top label, as one stretch (start, end, label): named once,
        a long stretch of "jazz" reads "jazz", not "ja…" in every 30 s segment."""
        merged: list[tuple[float, float, str]] = []
        for start, end, labels in self.segments:
            if not labels:
                continue
            if merged and merged[-1][2] == labels[0].label and abs(merged[-1][1] - start) < 1e-6:
                merged[-1] = (merged[-1][0], end, labels[0].label)
            else:
                merged.append((start, end, labels[0].label))
        return merged

    def names(self) -> list[tuple[QRectF, str, str]]:
        """Each stretch's (rect, text drawn, label): its name elided with "…" to its room, left out where not even a
        letter and the ellipsis fit (or, with ``whole_names``, where the whole name does not)."""
        metrics = self.fontMetrics()
        placed = []
        for start, end, name in self.runs():
            rect = QRectF(self.x_of(start) + 3, 0, self.x_of(end) - self.x_of(start) - 6, self.height() - AXIS)
            room = int(rect.width())
            if self.whole_names:
                text = name if metrics.horizontalAdvance(name) <= room else ""
            else:
                text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, room)
                text = "" if text in ("", "…") else text
            if text:
                placed.append((rect, text, name))
        return placed

    def tooltip_at(self, x: float) -> str:
        """The hovered segment: its best labels with their scores, and where it lies in the file."""
        segment = self.segment_at(x) if self.has_timeline() else None
        if segment is None:
            return ""
        start, end, labels = segment
        scores = ", ".join(f"{item.label} {item.score:.2f}" for item in labels[:TOOLTIP_LABELS])
        return f"{scores}\n{format_duration(start)}–{format_duration(end)}"

    # --- events ---------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        with painting(self) as painter:
            palette = self.palette()
            width, bars = self.width(), self.height() - AXIS
            painter.fillRect(0, 0, width, bars, palette.mid().color())
            if not self.has_timeline():
                painter.setPen(palette.windowText().color())
                painter.drawText(QRectF(0, 0, width, bars), Qt.AlignmentFlag.AlignCenter, self.placeholder)
                return
            for start, end, labels in self.segments:
                if labels:
                    x0, x1 = self.x_of(start), self.x_of(end)
                    painter.fillRect(QRectF(x0, 0, max(1.0, x1 - x0 - 1), bars), self.colour(labels[0].label))
            for rect, text, label in self.names():
                fill = self.colour(label)
                painter.setPen(QColor("white") if fill.lightness() < 170 else QColor("black"))
                painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter, text)
            painter.setPen(palette.windowText().color())
            axis = QRectF(0, bars + 1, width, AXIS - 1)
            painter.drawText(axis, Qt.AlignmentFlag.AlignLeft, "0:00")
            painter.drawText(axis, Qt.AlignmentFlag.AlignRight, format_duration(self.duration))
            x = round(self.x_of(self.position))
            painter.setPen(palette.highlight().color())
            painter.drawLine(x, 0, x, bars)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(event.pos().x())
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if not self.has_timeline():
            return
        segment = self.segment_at(event.position().x())
        self.seek_requested.emit(segment[0] if segment is not None else self.seconds_at(event.position().x()))
