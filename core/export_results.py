"""Result rows as CSV or JSON: what ``earmark results --format csv|json`` prints and the app's Export saves.

One serialisation for both, so a file exported from the window reads exactly like the CLI's output.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from .records import CallDetails, ResultRow

CALL_COLUMNS = ["speech_s", "music_s", "silence_s", "speakers", "talk_s", "transcript_lines"]
METADATA_COLUMNS = ["artist", "title", "album", "year", "track", "file_genre"]  # the file's own tags, last


def _call_columns(call: CallDetails | None) -> list:
    if call is None:
        return [""] * len(CALL_COLUMNS)
    talk = "; ".join(f"{speaker}={seconds:.1f}" for speaker, seconds in sorted(call.speakers.items()))
    seconds = call.seconds
    return [f"{seconds['speech']:.1f}", f"{seconds['music']:.1f}", f"{seconds['silence']:.1f}", len(call.speakers),
            talk, len(call.transcript)]  # fmt: skip


def write_json(rows: Sequence[ResultRow], out: TextIO) -> None:
    json.dump([row.to_json() for row in rows], out, indent=2)
    out.write("\n")


def write_csv(rows: Sequence[ResultRow], out: TextIO) -> None:
    """One line per file, its labels as ``label=score`` joined by "; "; a call's numbers as extra columns
    when any row is a call."""
    calls = any(row.call for row in rows)
    writer = csv.writer(out)
    writer.writerow(["path", "status", "error", "duration_s", "model", "labels", *(CALL_COLUMNS if calls else []),
                     *METADATA_COLUMNS])  # fmt: skip
    for row in rows:
        labels_text = "; ".join(f"{i.label}={i.score:.4f}" for i in row.labels)
        extra = _call_columns(row.call) if calls else []
        meta = ["" if value is None else value for value in row.meta.to_json().values()]
        writer.writerow(
            [row.path, row.status, row.error or "", row.duration_s or "", row.model, labels_text, *extra, *meta]
        )


WRITERS: dict[str, Callable[[Sequence[ResultRow], TextIO], None]] = {"csv": write_csv, "json": write_json}


def export_rows(rows: Sequence[ResultRow], path: Path, fmt: str) -> None:
    """Save ``rows`` to ``path`` as ``fmt`` (csv or json); OSError when the file cannot be written."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        WRITERS[fmt](rows, out)
