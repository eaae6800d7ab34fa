"""The wizard's fifth page: how the new model does on the validation files, and the clips it got wrong."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWizardPage

from ...widgets.formatting import format_duration
from ...widgets.player import Player
from ...widgets.train_charts import ConfusionMatrix
from .tables import read_only_table, set_row

if TYPE_CHECKING:
    from .wizard import TrainWizard


class TrainResultsPage(QWizardPage):
    """How good the model is on the files it did not train on, and which clips it got wrong."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Results on the validation files")
        self.headline = QLabel("")
        self.headline.setWordWrap(True)
        self.warnings = QLabel("")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #9a6700")
        self.per_label = read_only_table(["Label", "Precision", "Recall", "F1", "Clips"])
        self.confusion = ConfusionMatrix()
        self.wrong = read_only_table(["Misclassified clip", "At", "Label", "Predicted", "Confidence"])
        self.wrong.cellDoubleClicked.connect(self._play)
        self.wrong_title = QLabel("")
        self.player = Player()
        top = QHBoxLayout()
        top.addWidget(self.per_label, 1)
        matrix = QVBoxLayout()
        matrix.addWidget(QLabel("Confusion (rows: true label, columns: predicted)"))
        matrix.addWidget(self.confusion)
        matrix.addStretch(1)
        top.addLayout(matrix)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.warnings)
        layout.addLayout(top, 1)
        layout.addWidget(self.wrong_title)
        layout.addWidget(self.wrong, 1)
        layout.addWidget(self.player)

    def initializePage(self) -> None:  # noqa: N802
        report = self.owner.result.report
        validation = report["validation"]
        assessment = report["assessment"]
        low, high = assessment["interval"]
        self.headline.setText(
            f"<h2>{assessment['accuracy']:.1%} of validation files right</h2>{assessment['right']} of "
            f"{assessment['files']} files (each file's clips voting): 95 % confidence interval {low:.1%}–{high:.1%} "
            f"(Wilson score; guessing gets {assessment['chance']:.0%}) · by clip, as in the table below: "
            f"{validation['accuracy']:.1%} of {validation['examples']} clips right, macro F1 "
            f"{validation['macro_f1']:.3f} · best epoch {report['best_epoch']} of "
            f"{len(report['history'])} · trained in {format_duration(report['train_seconds'])} on {report['device']}"
        )
        self.warnings.setText("\n".join(f"⚠ {w[:1].upper()}{w[1:]}." for w in assessment["warnings"]))
        self.warnings.setVisible(bool(assessment["warnings"]))
        labels = list(validation["per_label"])
        self.per_label.setRowCount(len(labels))
        for row, label in enumerate(labels):
            numbers = validation["per_label"][label]
            set_row(self.per_label, row, [label, f"{numbers['precision']:.1%}", f"{numbers['recall']:.1%}",
                                           f"{numbers['f1']:.2f}", str(numbers["support"])])  # fmt: skip
        self.confusion.set_matrix(labels, validation["confusion"])
        wrong = report["misclassified"]
        self.wrong_title.setText(
            "Double-click a misclassified clip to hear it:" if wrong else "Every validation clip was classified right."
        )
        self.wrong.setVisible(bool(wrong))
        self.player.setVisible(bool(wrong))
        self.wrong.setRowCount(len(wrong))
        for row, clip in enumerate(wrong):
            set_row(self.wrong, row, [Path(clip["path"]).name, format_duration(clip["start_s"]), clip["label"],
                                       clip["predicted"], f"{clip['confidence']:.2f}"])  # fmt: skip
            self.wrong.item(row, 0).setToolTip(clip["path"])

    def _play(self, row: int, _column: int) -> None:
        clip = self.owner.result.report["misclassified"][row]
        self.player.load(clip["path"])
        self.player.play_from(clip["start_s"])
