"""The results table's model: a lazy Qt view of the store, smooth with 100,000 files.

It owns its own read connection (WAL lets it read while a run writes), asks the store for one
page of rows at a time as the view scrolls (``canFetchMore``/``fetchMore``), and leaves sorting
and filtering to SQL. Each column sorts by what it shows: the File column shows the path below
the folder that holds every file (so the path order is the shown order), Top labels sorts by the
score of the first label shown (the best of the selected group), Album keeps an album's tracks
together and in order (the table's "group by album").
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from core.genre_verdict import describe
from core.records import ResultQuery, ResultRow
from core.store import Store

from .formatting import format_duration

PAGE = 256
# (header, sort key of core.store.filters, tooltip of the header)
COLUMN_SPECS = (
    ("File", "path", "The path below the folder that holds every file (the full path in the cell's tooltip)"),
    ("Top labels", "score", "What Earmark heard, best first; sorts by the score of the first label shown"),
    ("Artist", "artist", "The file's own artist tag"),
    ("Title", "title", "The file's own title tag"),
    ("Album", "album", "The file's own album tag; sorting by it keeps each album's tracks together, in order"),
    ("#", "track", "The file's own track number"),
    ("Year", "year", "The file's own year (or date) tag"),
    ("Genre tag", "genre", "The genre already in the file's own tags (what Earmark heard is in Top labels)"),
    ("Duration", "duration", "Length of the file"),
    ("Status", "status", "tagged, error (with the reason) or missing"),
)
COLUMNS = tuple(spec[0] for spec in COLUMN_SPECS)
SORT_KEYS = tuple(spec[1] for spec in COLUMN_SPECS)
TOOLTIPS = {spec[0]: spec[2] for spec in COLUMN_SPECS}
LABELS_COLUMN = COLUMNS.index("Top labels")
NUMBERS = {"track", "year", "duration"}  # right-aligned

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
        self.folder = ""  # what every path starts with; the File column shows the rest
        self.genres: frozenset[str] = frozenset()  # the model's genre group: its top genre may be a guess

    # --- what to show -------------------------------------------------------------------------

    def set_query(self, query: ResultQuery) -> None:
        self.query = query
        self.refresh()

    def refresh(self) -> None:
        """Re-read from the first page (after a filter change, or when a run committed files).

        A query the store refuses (a genre the model lacks) raises before anything shown changes.
        """
        ready = bool(self.query.model) and self.store is not None
        total = self.store.count(self.query) if ready else 0
        rows = self.read_page(0) if total else []
        folder = self.store.common_folder(self.query.model) if ready else ""
        self.beginResetModel()
        self.total, self.rows, self.folder = total, rows, folder
        self.endResetModel()

    def shown_path(self, row: ResultRow) -> str:
        """A file as the File column shows it: its path below the folder that holds every file."""
        return row.path[len(self.folder) :] if self.folder and row.path.startswith(self.folder) else row.path

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
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return TOOLTIPS.get(self.columns[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        key = self.sort_keys[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (row.error or row.status) if key == "status" else self._text(row, key) if key != "path" else row.path
        if role == Qt.ItemDataRole.TextAlignmentRole and key in NUMBERS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and row.status != "tagged" and key == "status":
            return QColor("#c0392b") if row.status == "error" else QColor("#8a8a8a")
        return None

    def _text(self, row: ResultRow, key: str) -> str:
        meta = row.meta
        if key == "path":
            return self.shown_path(row)
        if key == "duration":
            return format_duration(row.duration_s)
        if key == "score":
            return "  ".join(describe(row.labels, self.genres))  # "jazz 0.18 (low confidence)", "no music"
        if key == "status":
            return row.status if row.status == "tagged" else f"{row.status}: {row.error or 'file not found'}"
        value = {"artist": meta.artist, "title": meta.title, "album": meta.album, "track": meta.track,
                 "year": meta.year, "genre": meta.genre}[key]  # fmt: skip
        return "" if value is None else str(value)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        descending = order == Qt.SortOrder.DescendingOrder
        self.set_query(replace(self.query, sort=self.sort_keys[column], descending=descending))
