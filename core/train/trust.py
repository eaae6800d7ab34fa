"""Whether a trained model's validation numbers can be believed, and whether the model beats guessing.

A handful of validation files makes any accuracy look good: 2 of 2 right is "100 %", yet its 95 %
confidence interval runs from 34 % to 100 %, and a two-label model that scores every file 0.50/0.50
can reach it by a rounding error. The assessment counts validation *files*, not clips: the clips of
one recording are not independent examples, so files are the honest sample size (and never more
than the clips). The wizard pre-ticks "make it the active model" only when the assessment says the
model is better than chance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .metrics import wilson_interval

MIN_VALIDATION_FILES = 20
MIN_VALIDATION_PER_LABEL = 5
INDISTINCT_SPREAD = 0.05  # every score moves less than this from file to file: the model ignores its input


@dataclass(frozen=True)
class Assessment:
    """The accuracy on validation files with its 95 % Wilson interval, and what follows from it."""

    files: int
    right: int
    accuracy: float
    interval: tuple[float, float]
    chance: float
    better_than_chance: bool
    warnings: list[str]

    def to_json(self) -> dict:
        return {"basis": "validation files", **asdict(self), "interval": list(self.interval)}


def assess(truth: np.ndarray, scores: np.ndarray, labels: list[str]) -> Assessment:
    """``truth[i]``: the label id of validation file ``i``; ``scores[i]``: its mean label probabilities."""
    files = len(truth)
    right = int(np.sum(scores.argmax(axis=1) == truth)) if files else 0
    low, high = wilson_interval(right, files)
    chance = 1.0 / len(labels)
    warnings = []
    if files < MIN_VALIDATION_FILES:
        warnings.append(
            f"only {files} validation files: {right} of {files} right could be anything from {low:.0%} to {high:.0%} "
            f"(95 % confidence interval); {MIN_VALIDATION_FILES} or more make the accuracy a measurement "
            "— add files or raise the validation share"
        )
    few = {label: int(np.sum(truth == i)) for i, label in enumerate(labels)}
    few = {label: count for label, count in few.items() if count < MIN_VALIDATION_PER_LABEL}
    if few:
        listed = ", ".join(f"{label!r} {count}" for label, count in few.items())
        warnings.append(
            f"fewer than {MIN_VALIDATION_PER_LABEL} validation files for {listed}: "
            "their recall rests on too few examples to mean much"
        )
    spread = float(np.max(scores.max(axis=0) - scores.min(axis=0))) if files else 0.0
    indistinct = spread < INDISTINCT_SPREAD
    if indistinct:
        warnings.append(
            f"the model gives every validation file nearly the same scores (they differ by at most {spread:.2f}): "
            "it has not learnt to tell the labels apart"
        )
    elif low <= chance:
        warnings.append(
            f"no better than chance: the interval's lower end, {low:.0%}, is not above the {chance:.0%} "
            f"that guessing among {len(labels)} labels gets"
        )
    better = low > chance and not indistinct
    return Assessment(files, right, right / files if files else 0.0, (low, high), chance, better, warnings)
