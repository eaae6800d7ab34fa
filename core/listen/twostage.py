"""Two stages: a first detector heard at a lower threshold, each candidate confirmed by a second one.

A wake-word model's own cut-off is set so that it alone makes few false accepts, and so misses
voices it scores just under it. Lowering the cut-off catches them but lets more else through;
a second, independent opinion — a personal verifier on speech embeddings (see
:mod:`core.listen.verifier`), or another engine's score for the same word — takes those back out.
A word's score stays the first stage's own where that already fires; a candidate (first stage at
``low`` or more) that the second stage confirms (its score for the word, best over the last
``window`` frames, at ``confirm`` or more) scores the word's threshold, so it fires.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .detector import Detector, origins_of


class TwoStage:
    """A detector: ``first``'s words and thresholds, with the words ``second`` also scores confirmed by it."""

    def __init__(
        self,
        first: Detector,
        second: Detector,
        low: dict[str, float],
        confirm: dict[str, float],
        thresholds: dict[str, float] | None = None,
        window: int = 5,
    ) -> None:
        self.first, self.second = first, second
        self.name = first.name
        self.words = first.words
        self.default_thresholds = {**first.default_thresholds, **(thresholds or {})}
        self.origins = origins_of(first)
        self.confirmed = [w for w in first.words if w in second.words and w in low and w in confirm]
        self.low, self.confirm = low, confirm
        self.window = window
        self.reset()

    def reset(self) -> None:
        self.first.reset()
        self.second.reset()
        self.recent: deque[dict[str, float]] = deque(maxlen=self.window)

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        scores = self.first.predict(frame)
        self.recent.append(self.second.predict(frame))
        for word in self.confirmed:
            if scores[word] >= self.low[word] and max(s[word] for s in self.recent) >= self.confirm[word]:
                scores[word] = max(scores[word], self.default_thresholds[word])
        return scores
