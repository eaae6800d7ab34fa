"""Batches for the Trainer: light augmentation of the raw audio, then the base's feature extractor.

Features are computed per batch, not cached, so that every epoch sees freshly augmented audio;
the extractors are numpy and cost little next to a training step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class Augmenter:
    """Random gain (+-6 dB), a circular time shift (up to 10 %) and white noise (20-40 dB SNR)."""

    seed: int

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        rng = self.rng
        out = audio * np.float32(10 ** (rng.uniform(-6, 6) / 20))
        out = np.roll(out, int(rng.uniform(-0.1, 0.1) * len(out)))
        power = float(np.mean(out**2))
        if power > 0:
            snr = 10 ** (rng.uniform(20, 40) / 10)
            out = out + rng.normal(0.0, np.sqrt(power / snr), len(out)).astype(np.float32)
        return out.astype(np.float32)


class Collator:
    """``[{"audio", "label", "augment"}, ...]`` -> model inputs + ``labels``, one feature row per clip.

    Only training items (``augment`` true) are perturbed; the Trainer feeds validation batches
    through the same collator.

    ``clip_samples`` pads (or trims) every clip to the base's input length; ``None`` leaves the
    length to the extractor (musicnn repeats a short clip until it fills a patch).
    """

    def __init__(self, feature_extractor, clip_samples: int | None, augmenter: Augmenter | None = None) -> None:
        self.feature_extractor = feature_extractor
        self.clip_samples = clip_samples
        self.augmenter = augmenter

    def features(self, clips: list[np.ndarray]) -> dict[str, np.ndarray]:
        rate = self.feature_extractor.sampling_rate
        if self.clip_samples is None:
            return dict(self.feature_extractor(clips, sampling_rate=rate, return_tensors="np"))
        padded = [np.pad(c[: self.clip_samples], (0, max(0, self.clip_samples - len(c)))) for c in clips]
        features = self.feature_extractor(padded, sampling_rate=rate, return_tensors="np")
        return {key: np.asarray(value) for key, value in features.items() if key != "attention_mask"}

    def __call__(self, items: list[dict]) -> dict[str, torch.Tensor]:
        clips = [
            self.augmenter(item["audio"]) if self.augmenter and item.get("augment") else item["audio"] for item in items
        ]
        batch = {key: torch.from_numpy(value) for key, value in self.features(clips).items()}
        batch["labels"] = torch.tensor([item["label"] for item in items], dtype=torch.long)
        return batch
