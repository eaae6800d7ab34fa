"""Score a model on a labelled folder it never saw: one prediction per file, as the tagger makes it.

Each file goes through the same backend and windowing as ``earmark tag`` (windows scored, scores
averaged over the file), so the accuracy printed here is the accuracy a user gets from tagging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..audio import probe, stream_segments
from ..models.backend import Backend
from ..models.registry import ModelError
from .dataset import FolderSummary
from .metrics import classification_report


@dataclass(frozen=True)
class FilePrediction:
    path: str
    label: str
    predicted: str
    confidence: float


def file_scores(backend: Backend, path) -> np.ndarray:
    """Mean label probabilities over all windows of one file."""
    audio = np.concatenate(list(stream_segments(path, probe(path), backend.sampling_rate, 600.0)))
    return backend.forward(backend.preprocess(audio)).mean(axis=0)


def evaluate_folder(
    backend: Backend, summary: FolderSummary, on_file: Callable[[int, int], None] | None = None
) -> tuple[dict, list[FilePrediction]]:
    """Classification report over ``summary``'s files (labels matched to the model's by name)."""
    labels = backend.labels
    unknown = sorted(set(summary.labels) - set(labels))
    if unknown:
        raise ModelError(f"the model has no label {', '.join(map(repr, unknown))} (its labels: {', '.join(labels)})")
    truth, predicted, predictions = [], [], []
    for done, file in enumerate(summary.files, start=1):
        scores = file_scores(backend, file.path)
        best = int(scores.argmax())
        truth.append(labels.index(file.label))
        predicted.append(best)
        predictions.append(FilePrediction(str(file.path), file.label, labels[best], float(scores[best])))
        if on_file:
            on_file(done, len(summary.files))
    return classification_report(np.array(truth), np.array(predicted), labels), predictions
