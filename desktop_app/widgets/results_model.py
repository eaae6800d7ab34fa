"""The results table's model: a lazy Qt view of the store, smooth with 100,000 files.

It owns its own read connection (WAL lets it read while a run writes), asks the store for one
page of rows at a time as the view scrolls (``canFetchMore``/``fetchMore``), and leaves sorting
and filtering to SQL.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from core.records import ResultQuery, ResultRow
from core.store import Store

from .formatting import format_duration

PAGE = 256
COLUMNS = ("File", "Duration", "Top labels", "Status")
SORT_KEYS = ("path", "duration", "score", "status")

Index = QModelIndex | QPersistentModelIndex


class ResultsModel(QAbstractTableModel):
    columns = COLUMNS
    sort_keys = SORT_KEYS

    def __init__(self, store: Store | None, query: ResultQuery | None = None) -> None:
        super().__init__()
        self.store = store
        self.query = query or ResultQuery(model="")
        self.rows: list[ResultRow] = []
        self.total = 0

    # --- what to show -------------------------------------------------------------------------

    def set_query(self, query: ResultQuery) -> None:
        self.query = query
        self.refresh()

    def refresh(self) -> None:
        """Re-read from the first page (after a filter change, or when a run committed files)."""
        self.beginResetModel()
        self.total = self.store.count(self.query) if self.query.model and self.store is not None else 0
        self.rows = self.read_page(0) if self.total else []
        self.endResetModel()

    def read_page(self, offset: int) -> list[ResultRow]:
        """The rows from ``offset`` on, one page of them (a subclass may ask the store for other rows)."""
        return self.store.page(self.query, offset, PAGE) if self.store is not None else []

    def row(self, index: int) -> ResultRow:
        return self.rows[index]

    # --- Qt's table model -----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent: Index) -> bool:  # noqa: N802
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: Index) -> None:  # noqa: N802
        more = self.read_page(len(self.rows))
        if more:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
            self.rows.extend(more)
            self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return Path(row.path).name
            if column == 1:
                return format_duration(row.duration_s)
            if column == 2:
                return "  ".join(f"{item.label} {item.score:.2f}" for item in row.labels)
            return row.status if row.status == "tagged" else f"{row.status}: {row.error or 'file not found'}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.path if column != 3 else (row.error or row.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and row.status != "tagged" and column == 3:
            return QColor("#c0392b") if row.status == "error" else QColor("#8a8a8a")
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_query(replace(self.query, sort=self.sort_keys[column], descending=descending))
