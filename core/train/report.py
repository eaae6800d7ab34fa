"""The training report a fine-tuned model carries in its folder, and its one-line summary."""

from __future__ import annotations

import json
from pathlib import Path

REPORT_FILE = "training_report.json"


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
    return (
        f"fine-tuned from {report['base']['name']} on {data['folder']} ({files} files, "
        f"{len(data['files_per_label'])} labels) on {report['created'][:10]}: {validation['accuracy']:.1%} accuracy "
        f"on {data['validation_files']} validation files"
    )
