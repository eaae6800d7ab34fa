"""The settings of a fine-tuning run, light to import (the CLI builds its parser from the defaults)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..models.registry import ModelInfo


@dataclass
class TrainOptions:
    """Settings of a run; ``None`` means the base's default (see :func:`resolved`)."""

    epochs: int = 10
    batch_size: int = 16
    learning_rate: float | None = None
    freeze_backbone: bool | None = None
    clip_seconds: float | None = None
    max_clips_per_file: int = 12
    validation_fraction: float = 0.2
    patience: int = 3
    augment: bool = True
    speech_augment: bool = False  # also speed, pitch and spectrogram masks (see collate); off: measured to hurt
    background: str | None = None  # a folder of the user's background audio, mixed into training clips
    seed: int = 42
    device: str = "auto"
    export_onnx: bool = False

    def resolved(self, base: ModelInfo) -> TrainOptions:
        """Per-base defaults: musicnn and Whisper train their head on a frozen backbone at a high rate;
        other transformer bases fine-tune everything at a low one.

        Whisper's encoder stays frozen because its pretrained features generalise to voices the
        user's examples lack: trained on one speech synthesiser's voices and scored on another's,
        the head alone is right far more often than a fine-tuned encoder (``bench/train_eval.py
        --task cross``; the README's fine-tuning section has the numbers)."""
        if self.epochs < 1 or self.batch_size < 1 or self.max_clips_per_file < 1 or self.patience < 1:
            raise ValueError("epochs, batch size, clips per file and patience must be at least 1")
        if not 0 < self.validation_fraction <= 0.5:
            raise ValueError(f"validation share {self.validation_fraction} must be above 0 and at most 0.5")
        if (self.clip_seconds is not None and self.clip_seconds <= 0) or (self.learning_rate or 1) <= 0:
            raise ValueError("clip length and learning rate must be positive")
        if self.background and not Path(self.background).expanduser().is_dir():
            raise ValueError(f"background {self.background} is not a folder")
        frozen_by_default = base.architecture in ("musicnn", "whisper")
        freeze = self.freeze_backbone if self.freeze_backbone is not None else frozen_by_default
        rate = self.learning_rate or ((3e-3 if base.architecture == "whisper" else 1e-3) if freeze else 1e-4)
        return TrainOptions(**{**asdict(self), "freeze_backbone": freeze, "learning_rate": rate})
