"""The write-genres dialog: each file's genre now and after, side by side, ticked one by one, as Picard shows.

The owner picks the mode (keep / append / replace), how many genres, the score a genre needs and
how several genres are stored; the preview follows at once (the files' tags were read once, so
changing a setting reads nothing again). Unchanged files are listed too, greyed, so it is clear
why they are left alone. Cancel is the default button: Enter never writes into anyone's files.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.tagwrite import MODES, GenreChange, GenrePolicy, WritePlan, propose

MODE_NAMES = {
    "keep": "Keep the file's genre (fill only files without one)",
    "append": "Append to the file's genres",
    "replace": "Replace the file's genres",
}
NONE = "—"
CHANGED = QColor(0, 110, 40)
UNCHANGED = QColor(128, 128, 128)


class TagDiffDialog(QDialog):
    """Preview of a genre write; :meth:`chosen` is what the owner kept ticked once accepted."""

    def __init__(self, plan: WritePlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Write genres to files")
        self.resize(1100, 560)
        self.plan = plan
        self.mode = QComboBox()
        for mode in MODES:
            self.mode.addItem(MODE_NAMES[mode], mode)
        self.mode.setCurrentIndex(MODES.index(plan.policy.mode))
        self.max_genres = QSpinBox(minimum=1, maximum=10, value=plan.policy.max_genres)
        self.threshold = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=plan.policy.threshold)
        self.separator = QLineEdit(plan.policy.separator or "")
        self.separator.setPlaceholderText("none: one value per genre")
        self.separator.setToolTip('Join the genres into one value with this, e.g. "; " for players that show one')
        settings = QFormLayout()
        settings.addRow("Mode", self.mode)
        settings.addRow("At most this many of Earmark's genres", self.max_genres)
        settings.addRow("Score a genre needs", self.threshold)
        settings.addRow("Separator", self.separator)

        self.files = QTreeWidget()
        self.files.setRootIsDecorated(False)
        self.files.setHeaderLabels(["Write", "File", "Genre now", "Genre after", "Earmark's genres"])
        header = self.files.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((50, 210, 170, 330)):
            self.files.setColumnWidth(column, width)
        self.summary = QLabel()
        problems = QLabel("\n".join(plan.problems))
        problems.setVisible(bool(plan.problems))
        problems.setWordWrap(True)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.write_button = self.buttons.addButton("Write", QDialogButtonBox.ButtonRole.AcceptRole)
        self.write_button.setAutoDefault(False)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        cancel.setFocus()
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(settings)
        layout.addWidget(self.files, 1)
        layout.addWidget(problems)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)

        self.mode.currentIndexChanged.connect(self.refresh)
        self.max_genres.valueChanged.connect(self.refresh)
        self.threshold.valueChanged.connect(self.refresh)
        self.separator.textChanged.connect(self.refresh)
        self.files.itemChanged.connect(self._ticked)
        self.refresh()

    def policy(self) -> GenrePolicy:
        return replace(
            self.plan.policy,
            mode=self.mode.currentData(),
            max_genres=self.max_genres.value(),
            threshold=self.threshold.value(),
            separator=self.separator.text() or None,
        )

    def refresh(self) -> None:
        """Recompute every file's genre after, from the genres read when the dialog opened."""
        policy = self.policy()
        self.files.blockSignals(True)
        self.files.clear()
        self.changes: list[GenreChange] = []
        for planned in self.plan.files:
            before = planned.change.before
            change = replace(planned.change, after=propose(before, planned.labels, policy))  # still as analysed
            found = ", ".join(f"{i.label} {i.score:.2f}" for i in planned.labels[:5]) or NONE
            item = QTreeWidgetItem(["", change.path.name, "; ".join(before) or NONE, "", found])
            item.setToolTip(1, str(change.path))
            item.setToolTip(4, "Earmark's genre labels for this file, best first (the score each needs is above)")
            if change.changes:
                item.setCheckState(0, Qt.CheckState.Checked)
            else:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.changes.append(change)
            self.files.addTopLevelItem(item)
            self._show_after(item, change)
        self.files.blockSignals(False)
        self._count()

    def _show_after(self, item: QTreeWidgetItem, change: GenreChange) -> None:
        """The genre after: Earmark's, bold and green, for a ticked file; what it has now, grey, for any other."""
        written = change.changes and item.checkState(0) == Qt.CheckState.Checked
        font = QFont(item.font(3))
        font.setBold(written)
        item.setFont(3, font)
        item.setText(3, "; ".join(change.after if written else change.before) or NONE)
        item.setForeground(3, QBrush(CHANGED if written else UNCHANGED))
        if not change.changes:
            item.setToolTip(3, "Nothing to change in this mode: the file keeps its genres")
        else:
            item.setToolTip(3, "" if written else f"Unticked: left as it is (ticked: {'; '.join(change.after)})")

    def chosen(self) -> list[GenreChange]:
        """The changes still ticked."""
        return [
            change
            for index, change in enumerate(self.changes)
            if change.changes and self.files.topLevelItem(index).checkState(0) == Qt.CheckState.Checked
        ]

    def _ticked(self, item: QTreeWidgetItem) -> None:
        self.files.blockSignals(True)
        self._show_after(item, self.changes[self.files.indexOfTopLevelItem(item)])
        self.files.blockSignals(False)
        self._count()

    def _count(self) -> None:
        ticked = len(self.chosen())
        self.summary.setText(
            f"{ticked} file(s) will be written; {len(self.changes) - ticked} left as they are."
            " What they held now is saved: Undo restores it."
        )
        self.write_button.setText(f"Write {ticked} file(s)")
        self.write_button.setEnabled(ticked > 0)
