"""The training report a fine-tuned model carries in its folder, how it is built, and its one-line summary."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .dataset import Clip, FolderSummary
from .metrics import classification_report
from .trust import assess

REPORT_FILE = "training_report.json"


@dataclass
class RunFacts:
    """What the job knows of a finished run besides the validation scores."""

    name: str
    base: dict
    device: str
    train_seconds: float
    stopped: str
    best_epoch: int | None  # the epoch whose weights were kept (the Trainer's choice)
    options: dict
    parameters: dict
    clip_seconds: float
    train_clips: list[Clip]
    history: list[dict]


def build_report(facts: RunFacts, summary: FolderSummary, clips: list[Clip], logits: np.ndarray) -> dict:
    """The report of a run from its validation ``clips`` and the best epoch's ``logits`` for them.

    Clip scores give the per-label table and the confusion matrix; scores averaged per file (as
    ``earmark tag`` does) give the file accuracy and the assessment (:mod:`.trust`)."""
    labels = summary.labels
    truth = np.array([c.label_id for c in clips])
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = shifted / shifted.sum(axis=1, keepdims=True)
    predicted = probabilities.argmax(axis=1)
    files = sorted({c.path for c in clips})
    file_truth = np.array([next(c.label_id for c in clips if c.path == f) for f in files])
    file_scores = np.array([probabilities[[c.path == f for c in clips]].mean(axis=0) for f in files])
    return {
        "name": facts.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "base": facts.base,
        "device": facts.device,
        "train_seconds": round(facts.train_seconds, 1),
        "stopped": facts.stopped,
        "best_epoch": facts.best_epoch,
        "options": facts.options,
        "parameters": facts.parameters,
        "data": {
            **summary.to_json(),
            "clip_seconds": facts.clip_seconds,
            "train_files": len({c.path for c in facts.train_clips}),
            "validation_files": len(files),
            "train_clips": len(facts.train_clips),
            "validation_clips": len(clips),
        },
        "history": facts.history,
        "validation": classification_report(truth, predicted, labels),
        "validation_by_file": classification_report(file_truth, file_scores.argmax(axis=1), labels),
        "assessment": assess(file_truth, file_scores, labels).to_json(),
        "misclassified": [
            {
                "path": str(clip.path),
                "start_s": clip.start_s,
                "seconds": clip.seconds,
                "label": labels[clip.label_id],
                "predicted": labels[int(predicted[i])],
                "confidence": round(float(probabilities[i, predicted[i]]), 4),
            }
            for i, clip in enumerate(clips)
            if predicted[i] != clip.label_id
        ],
    }


def load_report(folder: Path) -> dict | None:
    """The report of the model in ``folder``, or None for models Earmark did not train (or a broken report)."""
    file = folder / REPORT_FILE
    try:
        report = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return report if isinstance(report, dict) else None


def summary_line(report: dict) -> str:
    """``fine-tuned from whisper-tiny-en on /data/commands (48 files, 4 labels) on 2026-11-25: 100.0 % ...``"""
    data, validation = report["data"], report["validation"]
    files = sum(data["files_per_label"].values())
    line = (
        f"fine-tuned from {report['base']['name']} on {data['folder']} ({files} files, "
        f"{len(data['files_per_label'])} labels) on {report['created'][:10]}: {validation['accuracy']:.1%} accuracy "
        f"on {data['validation_files']} validation files"
    )
    assessment = report.get("assessment")  # reports written before assessments existed have none
    if assessment:
        low, high = assessment["interval"]
        line += (
            f" (95 % interval {low:.0%}-{high:.0%}{'' if assessment['better_than_chance'] else ', not above chance'})"
        )
    return line
