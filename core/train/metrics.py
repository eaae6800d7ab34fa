"""How good a classifier is: accuracy, macro F1, per-label precision/recall and the confusion matrix."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


def classification_report(truth: np.ndarray, predicted: np.ndarray, labels: list[str]) -> dict:
    """All the numbers the report, the CLI and the wizard's results page show, JSON-ready.

    ``confusion[i][j]`` counts examples of label ``i`` predicted as label ``j``.
    """
    ids = list(range(len(labels)))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=ids, zero_division=0)
    return {
        "examples": int(len(truth)),
        "accuracy": float(accuracy_score(truth, predicted)),
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


def trainer_metrics(eval_prediction) -> dict[str, float]:
    """The Trainer's ``compute_metrics``: the scalars it logs and picks the best epoch by."""
    logits, truth = eval_prediction.predictions, eval_prediction.label_ids
    if isinstance(logits, tuple):
        logits = logits[0]
    predicted = np.asarray(logits).argmax(axis=-1)
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
    }
