"""The call list's model: the results table's lazy paging, with a call's own numbers as columns.

Rows come from the store a page at a time (:meth:`core.store.Store.page`, each with its call), sorted
in SQL by any column, the call's findings included (hold music, speakers, the longest talker).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from core.calls.labels import ANALYSER, NO_SPEECH, VOICEMAIL
from core.records import ResultQuery, ResultRow
from core.store import Store

from .formatting import format_duration
from .results_model import Index, ResultsModel

NOTES = (VOICEMAIL, NO_SPEECH)  # the labels a call's Notes column shows; its other labels are columns already
NUMBERS = range(1, 5)  # the columns of one time or count each, right-aligned
NOTES_COLUMN, LANGUAGE_COLUMN = 6, 7


def talk_summary(row: ResultRow) -> str:
    """Each speaker's talk time, speaker 1 first: ``S1 0:14 · S2 0:06``."""
    speakers = row.call.speakers if row.call is not None else {}
    return " · ".join(f"S{speaker} {format_duration(talk)}" for speaker, talk in sorted(speakers.items()))


class CallsModel(ResultsModel):
    """Every file the call analysis read: the calls, and the files it could not read with why."""

    columns = ("Call", "Length", "Speech", "Hold", "Speakers", "Talk time", "Notes", "Language")
    sort_keys = ("path", "duration", "speech", "hold", "speakers", "talk", "status", "language")

    def __init__(self, store: Store | None) -> None:
        super().__init__(store, ResultQuery(model=ANALYSER, group_labels=NOTES, with_calls=True))

    def find(self, path: str) -> int | None:
        """The row of ``path`` among those read so far (the list is read lazily: a call further down is not)."""
        return next((i for i, row in enumerate(self.rows) if row.path == path), None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (row.error or row.status) if column == NOTES_COLUMN and row.status != "tagged" else row.path
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBERS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and row.status != "tagged" and column == NOTES_COLUMN:
            return QColor("#c0392b") if row.status == "error" else QColor("#8a8a8a")
        return None

    @staticmethod
    def _text(row: ResultRow, column: int) -> str:
        call = row.call
        if column == 0:
            return Path(row.path).name
        if column == 1:
            return format_duration(row.duration_s)
        if column == NOTES_COLUMN:
            if row.status != "tagged":
                return f"{row.status}: {row.error or 'file not found'}"
            return ", ".join(item.label for item in row.labels)
        if call is None:
            return ""
        if column == 2:
            return format_duration(call.seconds.get("speech", 0.0))
        if column == 3:
            hold = call.seconds.get("music", 0.0)
            return format_duration(hold) if hold else "—"
        if column == 4:
            return str(len(call.speakers)) if call.speakers else "—"
        if column == LANGUAGE_COLUMN:
            return call.language or "—"
        return talk_summary(row)
