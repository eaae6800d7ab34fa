"""The wizard's third page: the base model, the new model's name, and training options (mostly Advanced)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from core.models.catalog import BUILTINS, base_names
from core.models.registry import ModelError
from core.train.bases import suggest_base
from core.train.job import check_name, default_name
from core.train.options import TrainOptions

if TYPE_CHECKING:
    from .wizard import TrainWizard

OTHER_FOLDER = "A Hugging Face model folder…"


class TrainSettingsPage(QWizardPage):
    """Base model, name and epochs up front; everything else under Advanced, with sane defaults."""

    def __init__(self, wizard: TrainWizard) -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Choose a base model and settings")
        self.setSubTitle("The base model already knows sound; training teaches it your labels.")
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Start training")
        defaults = TrainOptions()
        self.base = QComboBox()
        for name in base_names():
            self.base.addItem(f"{name} — {BUILTINS[name].purpose}", name)
        self.base.addItem(OTHER_FOLDER, "")
        self.base.activated.connect(self._base_chosen)
        self.name = QLineEdit()
        self.replace = QCheckBox("Replace an installed model of that name")
        self.epochs = QSpinBox(minimum=1, maximum=200, value=defaults.epochs)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b3261e")
        form = QFormLayout()
        form.addRow("Base model", self.base)
        form.addRow("New model's name", self.name)
        form.addRow("", self.replace)
        form.addRow("Epochs (at most)", self.epochs)

        self.batch = QSpinBox(minimum=1, maximum=256, value=defaults.batch_size)
        self.rate = QLineEdit()
        self.rate.setPlaceholderText("auto (1e-3 head only, 3e-3 for Whisper; 1e-4 whole network)")
        self.scope = QComboBox()
        for text, value in (("The base's default", None), ("Only the new head", True), ("The whole network", False)):
            self.scope.addItem(text, value)
        self.clip = QDoubleSpinBox(minimum=0.0, maximum=30.0, decimals=1, singleStep=0.5)
        self.clip.setSpecialValueText("auto")
        self.clips_per_file = QSpinBox(minimum=1, maximum=200, value=defaults.max_clips_per_file)
        self.validation = QDoubleSpinBox(minimum=0.05, maximum=0.5, singleStep=0.05, value=defaults.validation_fraction)
        self.patience = QSpinBox(minimum=1, maximum=50, value=defaults.patience)
        self.augment = QCheckBox("Light augmentation (gain, shift, noise)")
        self.augment.setChecked(defaults.augment)
        self.speech_augment = QCheckBox("Speech augmentation: speed, pitch, spectrogram masks")
        self.speech_augment.setToolTip("Helps when the whole network trains; hurt the frozen Whisper base in tests")
        self.speech_augment.setChecked(defaults.speech_augment)
        self.background = QLineEdit()
        self.background.setPlaceholderText("optional: a folder of your own background audio (room, street…)")
        self.background.setToolTip("Mixed into half of the training clips, so the model learns your labels over "
                                   "the sounds around them")  # fmt: skip
        browse_background = QToolButton(text="…")
        browse_background.clicked.connect(self._browse_background)
        background_row = QHBoxLayout()
        background_row.addWidget(self.background, 1)
        background_row.addWidget(browse_background)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=defaults.seed)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.export = QCheckBox("Export to ONNX when done")
        self.advanced = QWidget()
        advanced = QFormLayout(self.advanced)
        for label, widget in (
            ("Batch size", self.batch), ("Learning rate", self.rate), ("Train", self.scope),
            ("Clip length (s)", self.clip), ("Clips per file (max)", self.clips_per_file),
            ("Validation share", self.validation), ("Early-stop patience", self.patience), ("", self.augment),
            ("", self.speech_augment),
            ("Background audio", background_row), ("Seed", self.seed), ("Device", self.device), ("", self.export),
        ):  # fmt: skip
            advanced.addRow(label, widget)
        self.advanced.hide()
        self.toggle = QToolButton(text="Advanced ▸", checkable=True)
        self.toggle.toggled.connect(self._toggle)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.toggle)
        layout.addWidget(self.advanced)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def _toggle(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.toggle.setText("Advanced ▾" if shown else "Advanced ▸")

    def _browse_background(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Background audio", self.background.text())
        if folder:
            self.background.setText(folder)

    def _base_chosen(self, index: int) -> None:
        if self.base.itemData(index) == "":
            folder = QFileDialog.getExistingDirectory(self, "A Hugging Face audio model folder")
            if folder:
                self.set_base_folder(Path(folder))
            else:
                self.base.setCurrentIndex(0)
        self._suggest_name()

    def set_base_folder(self, folder: Path) -> None:
        """Offer ``folder`` (wav2vec2, HuBERT, AST, Whisper...) as the base, and choose it."""
        self.base.insertItem(self.base.count() - 1, f"{folder.name} — {folder}", str(folder))
        self.base.setCurrentIndex(self.base.count() - 2)
        self._suggest_name()

    def _suggest_name(self) -> None:
        if self.owner.summary is not None:
            self.name.setText(default_name(self.owner.summary.root, self.base.currentData() or "model"))

    def initializePage(self) -> None:  # noqa: N802
        self.base.setCurrentIndex(self.base.findData(suggest_base(self.owner.summary.durations())))
        self._suggest_name()
        self.error.clear()

    def options(self) -> TrainOptions:
        rate = self.rate.text().strip()
        return TrainOptions(
            epochs=self.epochs.value(),
            batch_size=self.batch.value(),
            learning_rate=float(rate) if rate else None,
            freeze_backbone=self.scope.currentData(),
            clip_seconds=self.clip.value() or None,
            max_clips_per_file=self.clips_per_file.value(),
            validation_fraction=self.validation.value(),
            patience=self.patience.value(),
            augment=self.augment.isChecked(),
            speech_augment=self.speech_augment.isChecked(),
            background=self.background.text().strip() or None,
            seed=self.seed.value(),
            device=self.device.currentText(),
            export_onnx=self.export.isChecked(),
        )

    def validatePage(self) -> bool:  # noqa: N802
        try:
            check_name(self.name.text().strip(), self.replace.isChecked())
            float(self.rate.text().strip() or 0)
            background = self.background.text().strip()
            if background and not Path(background).expanduser().is_dir():
                raise ModelError(f"background audio: {background} is not a folder")
        except ModelError as error:
            self.error.setText(str(error))
            return False
        except ValueError:
            self.error.setText(f"learning rate {self.rate.text()!r} is not a number (e.g. 1e-4), or leave it empty")
            return False
        return True
