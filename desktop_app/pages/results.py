"""Results: the tagged files, filtered and sorted, with the selected file's detail beside them."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.errors import EarmarkError
from core.query import EXAMPLE, QueryError, parse_query
from core.records import ResultQuery, ResultRow
from core.store import Store, StoreError
from core.tagwrite import GenrePolicy
from core.tagwrite import plan as plan_writes

from ..widgets.detail_pane import DetailPane
from ..widgets.results_model import LABELS_COLUMN, ResultsModel
from ..widgets.tag_diff import TagDiffDialog
from ..workers.tag_write import TagWriteWorker
from ..workers.thread import start_in_thread

ALL = "All"
QUERY_HELP = (
    'All terms must match. Words search path, artist, title and album; "a phrase" in quotes.\n'
    "artist:  title:  album:  path:  filegenre: (the file's own genre tag)\n"
    "genre:jazz (among the top genres heard; genre:=rock for rock only), label:calm, score:>0.3\n"
    "year:2005, year:2000..2010, status:error; -term or ^term for not."
)
WRITE_TIP = "Preview, then write the top genre labels into the selected files' tags"


class ResultsPage(QWidget):
    def __init__(self, store: Store | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.genre_threshold = 0.15
        self.groups: dict[str, list[str]] = {}
        self.labels: list[str] = []
        self.shown_model: str | None = None
        self.model = ResultsModel(store)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(0, 220)
        self.table.setColumnWidth(LABELS_COLUMN, 300)  # what Earmark heard: beside the name, never scrolled off
        self.table.selectionModel().currentRowChanged.connect(self._row_selected)

        self.model_box = QComboBox()
        # keyword searches are named for their words: room for most of the name, the rest in the tooltip
        self.model_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_box.setMinimumContentsLength(14)
        self.model_box.currentTextChanged.connect(self.model_box.setToolTip)
        self.group_box = QComboBox()
        self.label_box = QComboBox()
        for box in (self.group_box, self.label_box):  # a long label elides (tooltip on hover), never widens the window
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(8)
            box.currentTextChanged.connect(box.setToolTip)
        self.status_box = QComboBox()
        self.status_box.addItems([ALL, "tagged", "error", "missing"])
        self.min_score = QDoubleSpinBox()
        self.min_score.setRange(0.0, 1.0)
        self.min_score.setSingleStep(0.05)
        self.min_score.setPrefix("score ≥ ")
        self.search = QLineEdit()
        self.search.setPlaceholderText(f"Query (Ctrl+F), e.g. {EXAMPLE}")
        self.search.setToolTip(QUERY_HELP)
        self.search.setClearButtonEnabled(True)
        self.query_error = QLabel("")  # what is wrong with the query, right under it; the table keeps the last rows
        self.query_error.setStyleSheet("color: #c0392b")
        self.query_error.setWordWrap(True)
        self.query_error.hide()
        self.count = QLabel("")
        self.write_button = QPushButton("Write genres to files…")
        self.write_button.setToolTip(WRITE_TIP)
        self.write_button.clicked.connect(self.write_genres)
        self.undo_button = QPushButton("Undo last write")
        self.undo_button.setToolTip("Restore the genres the last write replaced, in every file it wrote")
        self.undo_button.clicked.connect(self.undo_write)

        filters = QHBoxLayout()
        for caption, widget in (("Model", self.model_box), ("Group", self.group_box), ("Label", self.label_box),
                                ("Status", self.status_box)):  # fmt: skip
            filters.addWidget(QLabel(caption))
            filters.addWidget(widget)
        filters.addWidget(self.min_score)

        self.detail = DetailPane()
        play = QShortcut(QKeySequence(Qt.Key.Key_Space), self.table, activated=self.detail.player.toggle)
        play.setContext(Qt.ShortcutContext.WidgetShortcut)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.query_error)
        left_layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.undo_button)
        bottom.addWidget(self.write_button)
        left_layout.addLayout(bottom)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([3, 2])  # 3:2 from the start: the table's many columns would squeeze the pane to a sliver
        QVBoxLayout(self).addWidget(splitter)

        self._debounce = QTimer(self, singleShot=True, interval=250, timeout=self.apply_filters)
        self.search.textChanged.connect(self._debounce.start)
        self.min_score.valueChanged.connect(self._debounce.start)
        for box in (self.group_box, self.label_box, self.status_box):
            box.currentIndexChanged.connect(self._debounce.start)
        self.model_box.currentIndexChanged.connect(self._model_changed)
        self.group_box.currentIndexChanged.connect(lambda: self._fill_labels(keep=True))

    # --- models, groups and labels ----------------------------------------------------------------

    def reload(self, preferred_model: str | None = None) -> None:
        """Re-read the models present in the store, then the rows (after a run, or on start)."""
        names = self.store.model_names() if self.store is not None else []
        current = self.model_box.currentText() or preferred_model
        self.model_box.blockSignals(True)
        self.model_box.clear()
        self.model_box.addItems(names)
        if current in names:
            self.model_box.setCurrentText(current)
        self.model_box.blockSignals(False)
        self._model_changed()

    def _model_changed(self) -> None:
        model = self.model_box.currentText()
        labels, groups = self.store.model_labels(model) if model and self.store is not None else ([], {})
        same_model = model == self.shown_model
        self.shown_model = model
        self.groups, self.labels = groups, labels
        self.model.genres = frozenset(groups.get("genre", ()))
        keep = self.group_box.currentText()
        self.group_box.blockSignals(True)
        self.group_box.clear()
        self.group_box.addItems([ALL, *groups])
        if same_model and keep in groups:
            self.group_box.setCurrentText(keep)  # the user's choice, while the same model is shown
        elif "genre" in groups:
            self.group_box.setCurrentText("genre")  # like the CLI: genres first
        self.group_box.blockSignals(False)
        self._fill_labels(keep=same_model)
        genres = "genre" in groups  # only a genre group's labels are genres: never "technical; billing" in a call
        self.write_button.setEnabled(genres)
        self.write_button.setToolTip(WRITE_TIP if genres else f"Model {model or '(none)'} has no genre labels to write")
        self.apply_filters()

    def _fill_labels(self, keep: bool) -> None:
        """The Label list follows the Group: the chosen group's labels only, every label under All."""
        items = [ALL, *sorted(self.groups.get(self.group_box.currentText(), self.labels), key=str.lower)]
        current = self.label_box.currentText()
        self.label_box.blockSignals(True)
        self.label_box.clear()
        self.label_box.addItems(items)
        if keep and current in items:
            self.label_box.setCurrentText(current)
        self.label_box.blockSignals(False)

    def current_query(self) -> ResultQuery:
        group = self.group_box.currentText()
        label = self.label_box.currentText()
        status = self.status_box.currentText()
        return replace(
            self.model.query,
            model=self.model_box.currentText(),
            search=parse_query(self.search.text()),
            group_labels=tuple(self.groups[group]) if group in self.groups else None,
            label=None if label in ("", ALL) else label,
            status=None if status == ALL else status,
            min_score=self.min_score.value(),
        )

    def apply_filters(self) -> None:
        try:
            self.model.set_query(self.current_query())
        except QueryError as error:  # a typo in the query box: say so under it, keep the rows shown, and say whose
            self.query_error.setText(str(error))
            self.query_error.show()
            self.count.setText(f"{self.model.total:,} file(s) of the last query that could be read")
            return
        self.query_error.hide()
        if self.store is None:
            self.count.setText("No database open: choose one in Settings.")
        else:
            self.count.setText(f"{self.model.total:,} file(s)")
        self._follow_selection()

    def _follow_selection(self) -> None:
        """The detail pane shows the selected row as it reads now (another model's labels, a re-run's), or nothing."""
        current = self.table.selectionModel().currentIndex()
        row = self.model.row(current.row()) if current.isValid() and self.store is not None else None
        if row is None:
            if self.detail.shown is not None:
                self.detail.clear()
        elif row != self.detail.shown:
            self.detail.show_file(self.store, row)

    def refresh_rows(self) -> None:
        """New rows were committed: re-read what is shown, keeping the filters."""
        if not self.model_box.count():
            self.reload()
        else:
            self.apply_filters()

    # --- selection -------------------------------------------------------------------------------

    def _row_selected(self, current, _previous) -> None:
        if current.isValid():
            self.detail.show_file(self.store, self.model.row(current.row()))

    def selected_rows(self) -> list[ResultRow]:
        return [self.model.row(index.row()) for index in self.table.selectionModel().selectedRows()]

    # --- writing genres into files ----------------------------------------------------------------

    def write_genres(self) -> None:
        """Preview each file's genres now and after (the owner's mode, ticked file by file), then write."""
        rows = [row for row in self.selected_rows() if row.status == "tagged"]
        if not rows:
            QMessageBox.information(self, "Write genres", "Select tagged files first.")
            return
        policy = GenrePolicy(threshold=self.genre_threshold)
        try:
            plan = plan_writes(self.store, rows[0].model, [row.path for row in rows], policy)
        except EarmarkError as error:
            QMessageBox.information(self, "Write genres", str(error))
            return
        dialog = TagDiffDialog(plan, self)
        if dialog.exec() != TagDiffDialog.DialogCode.Accepted or not dialog.chosen():
            return
        self._start_tag_write(TagWriteWorker(self.store.path, dialog.chosen(), plan.model, dialog.policy().mode))

    def undo_write(self) -> None:
        """Restore the genres the last write replaced (a file changed since by its owner is left alone)."""
        self._start_tag_write(TagWriteWorker(self.store.path, None))

    def _start_tag_write(self, worker: TagWriteWorker) -> None:
        self.write_button.setEnabled(False)
        self.undo_button.setEnabled(False)
        worker.done.connect(self._tag_write_done)
        self._tag_writer = (worker, start_in_thread(worker, self))

    def _tag_write_done(self, lines: list[str]) -> None:
        self._tag_writer = None
        self.undo_button.setEnabled(True)
        current = self.table.selectionModel().currentIndex()
        shown = self.model.row(current.row()) if current.isValid() else None
        self._model_changed()  # the write button again, and the rows with the files' new tags
        if shown is not None:
            self.detail.show_file(self.store, shown)  # the pane shows the file's new genre
        QMessageBox.information(self, "Write genres", "\n".join(lines))

    def set_store(self, store: Store | None) -> None:
        self.store = store
        self.model.store = store
        try:
            self.reload()
        except StoreError as error:
            QMessageBox.warning(self, "Database", str(error))
