"""A label that shortens its lines with "…" to the room it is given, instead of widening the window.

A plain QLabel asks for its whole text's width: one long model name or path in the status bar or the
detail pane, and the main window grows past the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from .painting import painting


class ElidedLabel(QLabel):
    """Plain text, each line elided to the label's width (``mode``: where the "…" goes); the whole text is
    its tooltip, and it asks for no more than a few characters' width."""

    def __init__(
        self, text: str = "", parent: QWidget | None = None, mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle
    ) -> None:
        super().__init__(parent)
        self.mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        super().setText(text)
        self.setToolTip(text)
        self.updateGeometry()

    def shown_lines(self) -> list[str]:
        """The lines as drawn at the current width."""
        width = self.contentsRect().width()
        return [self.fontMetrics().elidedText(line, self.mode, width) for line in self.text().split("\n")]

    def sizeHint(self) -> QSize:  # noqa: N802
        lines = self.text().split("\n")
        width = max((self.fontMetrics().horizontalAdvance(line) for line in lines), default=0)
        margins = self.contentsMargins()
        return QSize(width + margins.left() + margins.right(), self.minimumSizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        margins = self.contentsMargins()
        height = self.fontMetrics().lineSpacing() * max(1, self.text().count("\n") + 1)
        return QSize(self.fontMetrics().averageCharWidth() * 6, height + margins.top() + margins.bottom())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        with painting(self) as painter:
            painter.setPen(self.palette().color(self.foregroundRole()))
            rect = self.contentsRect()
            spacing = self.fontMetrics().lineSpacing()
            for i, line in enumerate(self.shown_lines()):
                row = QRect(rect.left(), rect.top() + i * spacing, rect.width(), spacing)
                painter.drawText(row, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), line)
