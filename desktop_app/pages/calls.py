"""Calls: the analysed call recordings, the selected one in depth, and a search over every transcript."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.calls.export import speaker_name
from core.calls.labels import ANALYSER
from core.records import ResultQuery, ResultRow, TranscriptHit
from core.store import Store

from ..widgets.call_detail import CallPane
from ..widgets.calls_model import NOTES, CallsModel
from ..widgets.cells import RichTextDelegate, marked_html
from ..widgets.charts import speaker_colour
from ..widgets.formatting import format_duration

HIT_LIMIT = 200
HIT = Qt.ItemDataRole.UserRole  # where a search result's item keeps its TranscriptHit


def who(hit: TranscriptHit) -> str:
    """A transcript line's speaker; a keyword search's hit has none (it knows what was said, not by whom)."""
    return speaker_name(hit.speaker) if hit.speaker is not None else ""


class CallsPage(QWidget):
    """Reads the window's store on the GUI thread: a page of calls, one call, or a full-text search, each quick."""

    def __init__(self, store: Store | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.model = CallsModel(store)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._row_selected)
        self.count = QLabel("")

        self.search = QLineEdit()
        self.search.setPlaceholderText('Search every transcript (Ctrl+F): words, refun* or a "whole phrase"')
        self.search.setClearButtonEnabled(True)
        self.hits = QTreeWidget()
        self.hits.setHeaderLabels(["Call", "Time", "Speaker", "Said"])
        self.hits.setRootIsDecorated(False)
        self.hits.setItemDelegateForColumn(3, RichTextDelegate(self.hits))
        self.hits.setColumnWidth(0, 150)
        self.hits.setColumnWidth(1, 50)
        self.hits.setColumnWidth(2, 80)
        self.hits.itemClicked.connect(self._open_hit)
        self.hits.itemActivated.connect(self._open_hit)
        self.hits_box = QGroupBox("Search results — click one to play it")
        QVBoxLayout(self.hits_box).addWidget(self.hits)

        self.detail = CallPane()
        play = QShortcut(QKeySequence(Qt.Key.Key_Space), self.table, activated=self.detail.player.toggle)
        play.setContext(Qt.ShortcutContext.WidgetShortcut)
        calls = QWidget()
        calls_layout = QVBoxLayout(calls)
        calls_layout.setContentsMargins(0, 0, 0, 0)
        calls_layout.addWidget(self.table, 1)
        calls_layout.addWidget(self.count)
        lists = QSplitter(Qt.Orientation.Vertical)
        lists.addWidget(calls)
        lists.addWidget(self.hits_box)
        lists.setStretchFactor(0, 3)
        lists.setStretchFactor(1, 2)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        search_row = QHBoxLayout()
        search_row.addWidget(QLabel("Search"))
        search_row.addWidget(self.search, 1)
        left_layout.addLayout(search_row)
        left_layout.addWidget(lists, 1)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        QVBoxLayout(self).addWidget(splitter)

        self._debounce = QTimer(self, singleShot=True, interval=250, timeout=self.run_search)
        self.search.textChanged.connect(self._debounce.start)

    # --- the call list ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the calls (on start, after a run, as a run commits), keeping the selected one selected."""
        shown = self.detail.path
        self.model.refresh()
        if self.store is None:
            self.count.setText("No database open: choose one in Settings.")
        elif not self.model.total:
            self.count.setText("No calls yet: add their folder on the Library page, then press Analyse calls.")
        else:
            self.count.setText(f"{self.model.total:,} call(s)")
        row = self.model.find(shown) if shown is not None else None
        if row is not None:
            self.table.selectRow(row)

    def set_store(self, store: Store | None) -> None:
        self.store = store
        self.model.store = store
        self.reload()
        self.run_search()

    def _row_selected(self, current, _previous) -> None:
        if current.isValid() and self.store is not None:
            row = self.model.row(current.row())
            if row.path != self.detail.path:  # a re-read list reselects the call shown: it keeps playing
                self.detail.show_call(self.store, row)

    def open_call(self, path: str) -> None:
        """Show the call at ``path``: selected in the list when the list has read that far, shown either way."""
        index = self.model.find(path)
        if index is not None:
            self.table.selectRow(index)
            self.table.scrollTo(self.model.index(index, 0))
        if self.detail.path != path:
            row = self.model.row(index) if index is not None else self._read_call(path)
            if row is not None and self.store is not None:
                self.detail.show_call(self.store, row)
            else:
                self.detail.show_recording(path)

    def _read_call(self, path: str) -> ResultRow | None:
        if self.store is None:
            return None
        rows = self.store.page(ResultQuery(model=ANALYSER, text=path, group_labels=NOTES, with_calls=True), 0, 50)
        return next((row for row in rows if row.path == path), None)

    # --- search -----------------------------------------------------------------------------------

    def run_search(self) -> None:
        text = self.search.text().strip()
        hits = self.store.search(text, HIT_LIMIT) if text and self.store is not None else []
        self.hits.clear()
        for hit in hits:
            item = QTreeWidgetItem(
                [Path(hit.path).name, format_duration(hit.start_s), who(hit), marked_html(hit.marked)]
            )
            item.setData(0, HIT, hit)
            item.setToolTip(0, hit.path)
            item.setToolTip(3, hit.text)
            item.setForeground(2, speaker_colour(hit.speaker))
            self.hits.addTopLevelItem(item)
        more = " (the best ones)" if len(hits) >= HIT_LIMIT else ""
        self.hits_box.setTitle(
            f"{len(hits)} hit(s) for “{text}”{more} — click one to play it" if text else "Search results"
        )

    def _open_hit(self, item: QTreeWidgetItem) -> None:
        hit: TranscriptHit = item.data(0, HIT)
        self.open_call(hit.path)
        self.detail.play_from(hit.start_s)
