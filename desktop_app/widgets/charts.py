"""Label colours shared by every chart, and the detail pane's bar chart of a file's labels by group."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from core.records import LabelScore

from .painting import painting


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


@dataclass(frozen=True)
class BarRow:
    """One line of the chart: a group's heading (``label`` empty), or a label with its bar's share of the width."""

    group: str
    label: str = ""
    score: float = 0.0
    fraction: float = 0.0  # of the bar's full width: the score itself (0 to 1), the same scale for every group


OTHER = "other"  # the labels no group holds
FIRST = "genre"  # shown first, as the CLI and the Results page do


def bar_rows(labels: list[LabelScore], groups: dict[str, list[str]], per_group: int) -> list[BarRow]:
    """A file's labels by group (genres first, then the model's order), each group's best ``per_group`` first.

    Every bar is drawn at its score, on one scale: a group scaled to its own best drew a 0.01 "speech"
    as a full bar, as sure-looking as a 0.9 genre. Without groups, one unnamed group holds every label.
    """
    group_of = {label: name for name, members in groups.items() for label in members}
    by_group: dict[str, list[LabelScore]] = {name: [] for name in sorted(groups, key=lambda name: name != FIRST)}
    for item in labels:
        by_group.setdefault(group_of.get(item.label, OTHER if groups else ""), []).append(item)
    rows = []
    for name, items in by_group.items():
        shown = sorted(items, key=lambda i: -i.score)[:per_group]
        if not shown:
            continue
        if name:
            rows.append(BarRow(name))
        rows += [BarRow(name, i.label, i.score, min(max(i.score, 0.0), 1.0)) for i in shown]
    return rows


class LabelBars(QWidget):
    """A file's labels as horizontal bars, group by group, each as long as its score; the score beside it."""

    ROW = 18
    TEXT = 130  # pixels for the label names
    SCORE = 44  # pixels for the scores

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[BarRow] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(self.TEXT + self.SCORE + 40)

    @property
    def labels(self) -> list[LabelScore]:
        """The labels shown, group after group."""
        return [LabelScore(row.label, row.score) for row in self.rows if row.label]

    def set_labels(self, labels: list[LabelScore], groups: dict[str, list[str]] | None = None, per_group: int = 5):
        self.rows = bar_rows(labels, groups or {}, per_group)
        self.setFixedHeight(max(1, len(self.rows)) * self.ROW + 4)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        with painting(self) as painter:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            palette = self.palette()
            bar_space = max(10, self.width() - self.TEXT - self.SCORE - 6)
            metrics = self.fontMetrics()
            for i, row in enumerate(self.rows):
                y = 2 + i * self.ROW
                painter.setPen(palette.windowText().color())
                if not row.label:
                    heading = QFont(self.font())
                    heading.setBold(True)
                    painter.setFont(heading)
                    painter.drawText(QRectF(0, y, self.width(), self.ROW), Qt.AlignmentFlag.AlignVCenter, row.group)
                    painter.setFont(self.font())
                    continue
                name = metrics.elidedText(row.label, Qt.TextElideMode.ElideRight, self.TEXT - 8)
                align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                painter.drawText(QRectF(0, y, self.TEXT - 8, self.ROW), align, name)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(palette.mid().color())
                painter.drawRoundedRect(QRectF(self.TEXT, y + 4, bar_space, self.ROW - 8), 3, 3)
                painter.setBrush(label_colour(row.label))
                width = max(2.0, bar_space * row.fraction)
                painter.drawRoundedRect(QRectF(self.TEXT, y + 4, width, self.ROW - 8), 3, 3)
                painter.setPen(palette.windowText().color())
                score = QRectF(self.TEXT + bar_space + 6, y, self.SCORE, self.ROW)
                painter.drawText(score, Qt.AlignmentFlag.AlignVCenter, f"{row.score:.2f}")
