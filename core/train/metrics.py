"""How good a classifier is: accuracy with its confidence interval, macro F1, per-label precision/recall
and the confusion matrix."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


def classification_report(truth: np.ndarray, predicted: np.ndarray, labels: list[str]) -> dict:
    """All the numbers the report, the CLI and the wizard's results page show, JSON-ready.

    ``confusion[i][j]`` counts examples of label ``i`` predicted as label ``j``.
    """
    ids = list(range(len(labels)))
    right = int(np.sum(np.asarray(truth) == np.asarray(predicted)))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=ids, zero_division=0)
    return {
        "examples": int(len(truth)),
        "accuracy": float(accuracy_score(truth, predicted)),
        "accuracy_ci": list(wilson_interval(right, len(truth))),
        "macro_f1": float(f1_score(truth, predicted, labels=ids, average="macro", zero_division=0)),
        "per_label": {
            label: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(labels)
        },
        "confusion": confusion_matrix(truth, predicted, labels=ids).tolist(),
    }


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion: honest at 0 %, 100 % and a handful of trials,
    where the plain p +- 1.96 sqrt(p(1-p)/n) claims certainty (2 of 2 right gives 34-100 %, not 100 %)."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z / (1 + z * z / trials) * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return max(0.0, centre - half), min(1.0, centre + half)


def trainer_metrics(eval_prediction) -> dict[str, float]:
    """The Trainer's ``compute_metrics``: the scalars it logs and picks the best epoch by.

    ``selection`` is macro F1 with ties broken by the lower cross-entropy: a small validation set
    is often 100 % right from the second epoch on, and on F1 alone the Trainer would keep that
    barely trained epoch and stop early, where the falling loss shows the model still improving."""
    logits, truth = eval_prediction.predictions, eval_prediction.label_ids
    if isinstance(logits, tuple):
        logits = logits[0]
    logits = np.asarray(logits, dtype=np.float64)
    predicted = logits.argmax(axis=-1)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    cross_entropy = float(-log_probabilities[np.arange(len(truth)), truth].mean())
    macro_f1 = float(f1_score(truth, predicted, average="macro", zero_division=0))
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": macro_f1,
        "selection": macro_f1 - 1e-4 * min(cross_entropy, 10.0),  # a tie-break: below what one file moves F1 by
    }
