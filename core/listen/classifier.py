"""Any Earmark classification model as a keyword detector, run over a sliding window.

The window is the model's own clip length (a fine-tuned keyword model: about a second); every
``hop_frames`` 80 ms frames the latest window is scored. Labels that name "nothing" (background,
silence, unknown, ...) are not words to fire on.
"""

from __future__ import annotations

import numpy as np
import soxr

from ..models.backend import Backend
from .detector import FRAME_SAMPLES, SAMPLE_RATE

NOT_WORDS = {"_background_noise_", "_silence_", "_unknown_", "background", "noise", "silence", "unknown", "other"}
DEFAULT_THRESHOLD = 0.8


class ClassifierDetector:
    def __init__(self, backend: Backend, hop_frames: int = 1, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.backend = backend
        self.name = backend.info.name
        self.hop_frames = max(1, hop_frames)
        self.words = [label for label in backend.labels if label.lower() not in NOT_WORDS]
        self._columns = [backend.labels.index(word) for word in self.words]
        self.default_thresholds = dict.fromkeys(self.words, threshold)
        seconds = backend.windowing.window_seconds
        self.window = int(round(seconds * SAMPLE_RATE / FRAME_SAMPLES)) * FRAME_SAMPLES
        self.reset()

    def reset(self) -> None:
        self.audio = np.zeros(0, dtype=np.float32)
        self.frames = 0
        self.scores = dict.fromkeys(self.words, 0.0)

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        self.audio = np.concatenate([self.audio, frame.astype(np.float32) / 32768.0])[-self.window :]
        self.frames += 1
        if len(self.audio) == self.window and self.frames % self.hop_frames == 0:
            audio = self.audio
            if self.backend.sampling_rate != SAMPLE_RATE:
                audio = soxr.resample(audio, SAMPLE_RATE, self.backend.sampling_rate)
            probabilities = self.backend.forward(self.backend.preprocess(audio))[0]
            self.scores = {word: float(probabilities[c]) for word, c in zip(self.words, self._columns, strict=True)}
        return self.scores
