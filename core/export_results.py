"""Result rows as CSV or JSON: what ``earmark results --format csv|json`` prints and the app's Export saves.

One serialisation for both, so a file exported from the window reads exactly like the CLI's output.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from .errors import EarmarkError
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


class ExportError(EarmarkError):
    """Results cannot be written in the format asked for; the message says why in one line."""


def _parquet_columns() -> dict:
    """The JSON's columns with their Arrow types; a call's details and any newer field are typed from the data."""
    import pyarrow as pa

    label = pa.struct([("label", pa.string()), ("score", pa.float64())])
    text, number = pa.string(), pa.int64()
    return {"path": text, "status": text, "error": text, "duration_s": pa.float64(), "model": text,
            "labels": pa.list_(label), "artist": text, "title": text, "album": text, "year": number, "track": number,
            "file_genre": text}  # fmt: skip


def write_parquet(rows: Sequence[ResultRow], path: Path) -> None:
    """Save ``rows`` as a Parquet table with the JSON's columns (one row per file), for a data lake.

    Needs pyarrow, which the Ray extra brings; OSError when the file cannot be written.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise ExportError('Parquet needs pyarrow: pip install pyarrow (or "earmark[ray]", which brings it)') from error
    records = [row.to_json() for row in rows]
    typed = _parquet_columns()
    names = list(dict.fromkeys(key for record in records for key in record)) or list(typed)  # in the JSON's order
    columns = {name: pa.array([record.get(name) for record in records], typed.get(name)) for name in names}
    pq.write_table(pa.table(columns), path)
