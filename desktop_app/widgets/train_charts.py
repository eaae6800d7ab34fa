"""The wizard's two painted widgets: the live training curve and the confusion-matrix heat map."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from .painting import painting

LOSS_COLOUR = QColor("#d9822b")
ACCURACY_COLOUR = QColor("#2b8cd9")


class TrainingChart(QWidget):
    """Training loss (as logged, several points an epoch) and validation accuracy (one per epoch).

    x: epochs from 0 to the planned maximum; loss is scaled to its largest value, accuracy to 0-100 %.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.epochs = 1
        self.losses: list[tuple[float, float]] = []
        self.accuracies: list[tuple[float, float]] = []
        self.setMinimumHeight(200)

    def reset(self, epochs: int) -> None:
        self.epochs = max(1, epochs)
        self.losses, self.accuracies = [], []
        self.update()

    def add_loss(self, epoch: float, loss: float) -> None:
        if not self.losses or epoch > self.losses[-1][0]:
            self.losses.append((epoch, loss))
            self.update()

    def add_accuracy(self, epoch: float, accuracy: float) -> None:
        self.accuracies.append((epoch, accuracy))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        with painting(self) as painter:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            palette = self.palette()
            painter.fillRect(self.rect(), palette.base())
            left, top, right, bottom = 44, 22, self.width() - 44, self.height() - 24
            plot = QRectF(left, top, right - left, bottom - top)
            painter.setPen(QPen(palette.mid().color(), 1))
            for fraction in (0.0, 0.5, 1.0):
                y = bottom - fraction * plot.height()
                painter.drawLine(QPointF(left, y), QPointF(right, y))
            painter.setPen(palette.windowText().color())
            for epoch in range(self.epochs + 1):
                x = left + epoch / self.epochs * plot.width()
                if self.epochs <= 12 or epoch % 5 == 0:
                    painter.drawText(QRectF(x - 15, bottom + 4, 30, 16), Qt.AlignmentFlag.AlignCenter, str(epoch))
            painter.setPen(ACCURACY_COLOUR)
            painter.drawText(QRectF(right + 4, top - 8, 40, 16), Qt.AlignmentFlag.AlignLeft, "100%")
            painter.drawText(QRectF(right + 4, bottom - 8, 40, 16), Qt.AlignmentFlag.AlignLeft, "0%")
            painter.drawText(QRectF(right - 200, 2, 200, 16), Qt.AlignmentFlag.AlignRight, "validation accuracy")
            painter.setPen(LOSS_COLOUR)
            painter.drawText(QRectF(left, 2, 200, 16), Qt.AlignmentFlag.AlignLeft, "training loss")
            peak = max((loss for _, loss in self.losses), default=1.0) or 1.0
            painter.drawText(QRectF(0, top - 8, left - 4, 16), Qt.AlignmentFlag.AlignRight, f"{peak:.2f}")

            def point(epoch: float, value: float) -> QPointF:
                return QPointF(left + epoch / self.epochs * plot.width(), bottom - value * plot.height())

            for series, colour, scale in ((self.losses, LOSS_COLOUR, peak), (self.accuracies, ACCURACY_COLOUR, 1.0)):
                painter.setPen(QPen(colour, 2))
                points = [point(epoch, value / scale) for epoch, value in series]
                for a, b in zip(points, points[1:], strict=False):
                    painter.drawLine(a, b)
                painter.setBrush(colour)
                for p in points if series is self.accuracies else points[-1:]:
                    painter.drawEllipse(p, 3, 3)


class ConfusionMatrix(QWidget):
    """Rows: true label; columns: predicted. A cell's shade is its share of the row (its recall)."""

    CELL = 46

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.counts: list[list[int]] = []

    def set_matrix(self, labels: list[str], counts: list[list[int]]) -> None:
        self.labels, self.counts = labels, counts
        margin = self._margin()
        size = len(labels) * self.CELL
        self.setMinimumSize(margin + size + 8, margin + size + 8)
        self.update()

    def _margin(self) -> int:
        longest = max((self.fontMetrics().horizontalAdvance(label) for label in self.labels), default=20)
        return min(160, longest + 12)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        with painting(self) as painter:
            palette = self.palette()
            margin, cell = self._margin(), self.CELL
            highlight = palette.highlight().color()
            for i, row in enumerate(self.counts):
                total = max(1, sum(row))
                for j, count in enumerate(row):
                    share = count / total
                    colour = QColor(highlight)
                    colour.setAlphaF(0.08 + 0.92 * share)
                    rect = QRectF(margin + j * cell, margin + i * cell, cell - 2, cell - 2)
                    painter.fillRect(rect, colour)
                    painter.setPen(QColor("white") if share > 0.5 else palette.windowText().color())
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count))
            painter.setPen(palette.windowText().color())
            for i, label in enumerate(self.labels):
                painter.drawText(
                    QRectF(0, margin + i * cell, margin - 6, cell),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    label,
                )
                painter.save()
                painter.translate(margin + i * cell + cell / 2, margin - 6)
                painter.rotate(-60)
                painter.drawText(
                    QRectF(0, -8, margin, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label
                )
                painter.restore()
