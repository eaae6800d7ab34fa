"""The Listen page's live score trace: each word's score over the last seconds, against its threshold."""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from .charts import label_colour
from .painting import painting

TRACE_FRAMES = 150  # 12 s of 80 ms frames


class ScoreTrace(QWidget):
    """Each word's score over the last seconds, with its threshold as a dashed line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: dict[str, deque[float]] = {}
        self.thresholds: dict[str, float] = {}
        self.setMinimumHeight(160)

    def reset(self, thresholds: dict[str, float]) -> None:
        self.thresholds = dict(thresholds)
        self.history = {word: deque(maxlen=TRACE_FRAMES) for word in thresholds}
        self.update()

    def add(self, scores: dict[str, float]) -> None:
        for word, score in scores.items():
            self.history.setdefault(word, deque(maxlen=TRACE_FRAMES)).append(score)
        self.update()  # coalesced by Qt: one repaint per event-loop pass

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        with painting(self) as painter:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            width, height = self.width(), self.height() - 4
            painter.fillRect(self.rect(), self.palette().base())
            step = width / max(1, TRACE_FRAMES - 1)
            for word, values in self.history.items():
                colour = label_colour(word)
                threshold = self.thresholds.get(word)
                if threshold is not None:
                    painter.setPen(QPen(colour, 1, Qt.PenStyle.DashLine))
                    y = 2 + height * (1 - threshold)
                    painter.drawLine(QPointF(0, y), QPointF(width, y))
                painter.setPen(QPen(colour, 2))
                points = [QPointF(i * step, 2 + height * (1 - v)) for i, v in enumerate(values)]
                for a, b in zip(points, points[1:], strict=False):
                    painter.drawLine(a, b)
            painter.setPen(self.palette().windowText().color())
            x = 6.0
            for word in self.history:
                painter.setPen(label_colour(word))
                painter.drawText(QRectF(x, 4, 140, 16), word)
                x += 110
