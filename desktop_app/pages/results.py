"""Results: the tagged files, filtered and sorted, with the selected file's detail beside them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

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

from core.records import ResultQuery, ResultRow
from core.store import Store, StoreError
from core.tagwrite import GenreChange, TagWriteError, WriteOutcome, plan_genres, summarize, write_genres

from ..widgets.detail_pane import DetailPane
from ..widgets.results_model import ResultsModel

ALL = "All"


class ResultsPage(QWidget):
    def __init__(self, store: Store | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.genre_threshold = 0.15
        self.groups: dict[str, list[str]] = {}
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
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 260)
        self.table.selectionModel().currentRowChanged.connect(self._row_selected)

        self.model_box = QComboBox()
        # keyword searches are named for their words: room for most of the name, the rest in the tooltip
        self.model_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_box.setMinimumContentsLength(22)
        self.model_box.currentTextChanged.connect(self.model_box.setToolTip)
        self.group_box = QComboBox()
        self.label_box = QComboBox()
        self.status_box = QComboBox()
        self.status_box.addItems([ALL, "tagged", "error", "missing"])
        self.min_score = QDoubleSpinBox()
        self.min_score.setRange(0.0, 1.0)
        self.min_score.setSingleStep(0.05)
        self.min_score.setPrefix("score ≥ ")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by path (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel("")
        self.write_button = QPushButton("Write genres to files…")
        self.write_button.setToolTip("Preview, then write the top genre labels into the selected files' tags")
        self.write_button.clicked.connect(self.write_genres)

        filters = QHBoxLayout()
        for caption, widget in (("Model", self.model_box), ("Group", self.group_box), ("Label", self.label_box),
                                ("Status", self.status_box)):  # fmt: skip
            filters.addWidget(QLabel(caption))
            filters.addWidget(widget)
        filters.addWidget(self.min_score)
        filters.addWidget(self.search, 1)

        self.detail = DetailPane()
        play = QShortcut(QKeySequence(Qt.Key.Key_Space), self.table, activated=self.detail.player.toggle)
        play.setContext(Qt.ShortcutContext.WidgetShortcut)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count, 1)
        bottom.addWidget(self.write_button)
        left_layout.addLayout(bottom)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        QVBoxLayout(self).addWidget(splitter)

        self._debounce = QTimer(self, singleShot=True, interval=250, timeout=self.apply_filters)
        self.search.textChanged.connect(self._debounce.start)
        self.min_score.valueChanged.connect(self._debounce.start)
        for box in (self.group_box, self.label_box, self.status_box):
            box.currentIndexChanged.connect(self._debounce.start)
        self.model_box.currentIndexChanged.connect(self._model_changed)

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
        for box, items in ((self.group_box, [ALL, *groups]), (self.label_box, [ALL, *sorted(labels, key=str.lower)])):
            keep = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems(items)
            if same_model and keep in items:
                box.setCurrentText(keep)  # the user's choice, while the same model is shown
            elif box is self.group_box and "genre" in groups:
                box.setCurrentText("genre")  # like the CLI: genres first
            box.blockSignals(False)
        self.groups = groups
        self.apply_filters()

    def current_query(self) -> ResultQuery:
        group = self.group_box.currentText()
        label = self.label_box.currentText()
        status = self.status_box.currentText()
        return replace(
            self.model.query,
            model=self.model_box.currentText(),
            text=self.search.text().strip(),
            group_labels=tuple(self.groups[group]) if group in self.groups else None,
            label=None if label in ("", ALL) else label,
            status=None if status == ALL else status,
            min_score=self.min_score.value(),
        )

    def apply_filters(self) -> None:
        self.model.set_query(self.current_query())
        if self.store is None:
            self.count.setText("No database open: choose one in Settings.")
        else:
            self.count.setText(f"{self.model.total:,} file(s)")

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
        rows = [row for row in self.selected_rows() if row.status == "tagged"]
        if not rows:
            QMessageBox.information(self, "Write genres", "Select tagged files first.")
            return
        genre_labels = set(self.groups.get("genre", [])) or None
        changes: list[GenreChange] = []
        problems: list[str] = []
        for row in rows:
            try:
                labels = [
                    i
                    for i in self.store.file_labels(row.path, row.model)
                    if genre_labels is None or i.label in genre_labels
                ]
                change = plan_genres(Path(row.path), labels, self.genre_threshold)
            except (TagWriteError, StoreError) as error:
                problems.append(str(error))
                continue
            if change.changes:
                changes.append(change)
        if not changes:
            QMessageBox.information(self, "Write genres", "Nothing would change.\n" + "\n".join(problems))
            return
        preview = "\n".join(
            f"{c.path.name}: {'; '.join(c.before) or '—'} → {'; '.join(c.after) or '—'}" for c in changes[:30]
        )
        more = f"\n… and {len(changes) - 30} more" if len(changes) > 30 else ""
        answer = QMessageBox.question(
            self,
            "Write genres",
            f"Write genre tags (score ≥ {self.genre_threshold:.2f}) into {len(changes)} file(s)?\n\n{preview}{more}",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        outcomes = [_write_one(change) for change in changes]
        QMessageBox.information(self, "Write genres", "\n".join(summarize(outcomes) + problems))

    def set_store(self, store: Store | None) -> None:
        self.store = store
        self.model.store = store
        try:
            self.reload()
        except StoreError as error:
            QMessageBox.warning(self, "Database", str(error))


def _write_one(change: GenreChange) -> WriteOutcome:
    """One file's outcome; whatever a hostile file makes mutagen raise must not skip the rest or escape the slot."""
    try:
        return write_genres(change)
    except Exception as error:  # noqa: BLE001 - reported as that file's refusal, like any other
        return WriteOutcome(change.path, "refused", f"unexpected error: {error}")
