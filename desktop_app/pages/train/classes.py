"""The wizard's second page: the labels found, how many files each, a sample of each to hear."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QListWidget, QProgressBar, QPushButton, QStyle, QVBoxLayout, QWizardPage

from ...widgets.player import Player
from .tables import read_only_table, set_row

if TYPE_CHECKING:
    from .wizard import TrainWizard


class TrainClassesPage(QWizardPage):
    """Files per label with a share bar, a sample of each to play, skipped files, warnings."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Review the labels")
        self.setSubTitle("Each label needs enough examples; a label with far fewer files than the others is "
                         "weighted up while training.")  # fmt: skip
        self.table = read_only_table(["Label", "Files", "Share", "Sample"])
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #9a6700")
        self.skipped = QListWidget()
        self.skipped.setMaximumHeight(110)
        self.skipped_title = QLabel("Skipped (unreadable) files:")
        self.player = Player()
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.warnings)
        layout.addWidget(self.skipped_title)
        layout.addWidget(self.skipped)
        layout.addWidget(self.player)

    def initializePage(self) -> None:  # noqa: N802
        summary = self.owner.summary
        counts = summary.counts()
        total = sum(counts.values())
        self.table.setRowCount(len(counts))
        for row, (label, count) in enumerate(counts.items()):
            set_row(self.table, row, [label, str(count)])
            share = QProgressBar()
            share.setRange(0, 100)
            share.setValue(round(100 * count / total))
            self.table.setCellWidget(row, 2, share)
            sample = next(f.path for f in summary.files if f.label == label)
            play = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "")
            play.setToolTip(f"Play {sample.name}")
            play.clicked.connect(lambda _=False, path=sample: (self.player.load(str(path)), self.player.play_from(0)))
            self.table.setCellWidget(row, 3, play)
        self.warnings.setText("\n".join(summary.warnings))
        self.skipped.clear()
        for skipped in summary.skipped:
            self.skipped.addItem(f"{skipped.path.name}: {skipped.reason}")
        self.skipped.setVisible(bool(summary.skipped))
        self.skipped_title.setVisible(bool(summary.skipped))
