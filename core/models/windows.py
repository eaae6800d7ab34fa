"""Model inputs as plain arrays: how audio becomes windows, and batches of windows.

Light to import (numpy only), so that the run stages that cut and batch windows do not pull in
the runtimes that score them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Features = dict[str, np.ndarray]  # one row per window, per model input


@dataclass(frozen=True)
class Windowing:
    """How one stretch of audio becomes model inputs."""

    clip_samples: int | None  # None: the extractor cuts patches itself
    window_seconds: float


def window_count(features: Features) -> int:
    return len(next(iter(features.values())))


def concat_features(parts: list[Features]) -> Features:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
