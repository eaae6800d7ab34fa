"""Batches for the Trainer: augmentation of the raw audio and of the features, then the model's inputs.

Features are computed per batch, not cached, so that every epoch sees freshly augmented audio;
the extractors are numpy and cost little next to a training step.

Every run gets random gain, a circular time shift, white noise and, when the user gives a
background folder, their own background mixed in. On request (``speech_augment``) speech also gets
speed and pitch perturbation and SpecAugment-style time and frequency masks on its spectrogram.
That is off by default because it was measured to hurt: trained on one speech synthesiser's voices
and scored on another's, Whisper's frozen encoder with a new head lost 4 points of accuracy with
speed and pitch added and 9 with the masks too; a whole-network fine-tune gained from it but stayed
below the frozen encoder (the README's fine-tuning section has the numbers).

One seeded random generator draws every choice, in the order the batches come, so a run with the
same seed augments the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import librosa
import numpy as np
import soxr
import torch

SPEED_RANGE = (0.9, 1.1)
PITCH_SEMITONES = 2.0
BACKGROUND_SNR_DB = (5.0, 20.0)
BACKGROUND_SHARE = 0.5  # of training clips that get background mixed in
TIME_MASKS, TIME_MASK_SHARE = 2, 0.08  # masks per clip, widest mask as a share of the frames
FREQUENCY_MASKS, FREQUENCY_MASK_SHARE = 2, 0.1


@dataclass
class Augmenter:
    """Perturbs training clips; ``speech`` adds speed, pitch and spectrogram masks to the light set."""

    seed: int
    rate: int = 16000
    speech: bool = False
    background: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        rng = self.rng
        out = audio.astype(np.float32)
        if self.speech:
            out = soxr.resample(out, self.rate * rng.uniform(*SPEED_RANGE), self.rate).astype(np.float32)
            steps = rng.uniform(-PITCH_SEMITONES, PITCH_SEMITONES)
            out = librosa.effects.pitch_shift(out, sr=self.rate, n_steps=steps, res_type="soxr_hq")
        out = out * np.float32(10 ** (rng.uniform(-6, 6) / 20))
        out = np.roll(out, int(rng.uniform(-0.1, 0.1) * len(out)))
        power = float(np.mean(out**2))
        if self.background and rng.uniform() < BACKGROUND_SHARE:
            out = out + self._background(len(out), power, rng)
        if power > 0:
            snr = 10 ** (rng.uniform(20, 40) / 10)
            out = out + rng.normal(0.0, np.sqrt(power / snr), len(out)).astype(np.float32)
        return out.astype(np.float32)

    def _background(self, samples: int, power: float, rng: np.random.Generator) -> np.ndarray:
        """A random stretch of a random background recording, at 5-20 dB below the clip."""
        source = self.background[int(rng.integers(len(self.background)))]
        if len(source) < samples:
            source = np.tile(source, -(-samples // len(source)))
        start = int(rng.integers(len(source) - samples + 1))
        stretch = source[start : start + samples]
        level = float(np.mean(stretch**2))
        if power <= 0 or level <= 0:
            return np.zeros(samples, np.float32)
        gain = np.sqrt(power / level / 10 ** (rng.uniform(*BACKGROUND_SNR_DB) / 10))
        return (stretch * gain).astype(np.float32)

    def mask(self, features: np.ndarray) -> np.ndarray:
        """SpecAugment: a few bands of time frames and of frequency bins set to the clip's mean."""
        if not self.speech or features.ndim != 2:  # raw-waveform inputs (wav2vec2) have no spectrogram
            return features
        out = features.copy()
        bins, frames = out.shape
        fill = out.mean()
        for count, share, size, axis in ((TIME_MASKS, TIME_MASK_SHARE, frames, 1),
                                         (FREQUENCY_MASKS, FREQUENCY_MASK_SHARE, bins, 0)):  # fmt: skip
            for _ in range(count):
                width = int(self.rng.integers(0, max(1, int(share * size)) + 1))
                start = int(self.rng.integers(0, size - width + 1))
                if axis == 1:
                    out[:, start : start + width] = fill
                else:
                    out[start : start + width, :] = fill
        return out


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
        augment = [bool(self.augmenter and item.get("augment")) for item in items]
        clips = [
            self.augmenter(item["audio"]) if on else item["audio"] for item, on in zip(items, augment, strict=True)
        ]
        features = self.features(clips)
        if "input_features" in features and any(augment):
            rows = features["input_features"]
            features["input_features"] = np.stack(
                [self.augmenter.mask(row) if on else row for row, on in zip(rows, augment, strict=True)]
            )
        batch = {key: torch.from_numpy(value) for key, value in features.items()}
        batch["labels"] = torch.tensor([item["label"] for item in items], dtype=torch.long)
        return batch
