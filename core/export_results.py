"""Result rows as CSV, JSON or Parquet: what ``earmark results`` prints or saves and the app's Export saves.

One serialisation for both, so a file exported from the window reads exactly like the CLI's output;
one way of saving too (:func:`save_rows`), which never replaces the database the rows came from nor,
unless asked, any file that exists, and writes a new file whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO, TextIO

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


def save_rows(rows: Sequence[ResultRow], path: Path, fmt: str, database: Path, replace: bool = False) -> None:
    """Save ``rows`` to ``path`` as ``fmt`` (csv, json or parquet), through a copy renamed into place.

    Refused with a one-line :class:`ExportError`: the database itself (or its journal), anything but
    a regular file, and an existing file unless ``replace`` (the app's save dialog has asked). OSError
    when the folder cannot be written; nothing is left behind then.
    """
    path = Path(os.path.realpath(path))  # through a symlink: the link stays, its target gets the rows
    if _is_database(path, Path(database)):
        raise ExportError(f"{path} is the database these results come from: choose another file")
    if path.exists() and not path.is_file():
        raise ExportError(f"{path} is not a file")
    if path.exists() and not replace:
        raise ExportError(f"{path} exists: choose another file, or add --force to replace it")
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")  # made by open(): the umask's mode
    try:
        with open(temp, "xb") as out:
            if fmt == "parquet":
                _write_parquet(rows, out)
            else:
                text = io.TextIOWrapper(out, encoding="utf-8", newline="")
                WRITERS[fmt](rows, text)
                text.detach()  # flushed; ``out`` closes the file
        if path.exists():
            shutil.copymode(path, temp)  # a file replaced keeps its permissions
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _is_database(path: Path, database: Path) -> bool:
    """Whether ``path`` is the SQLite database or one of the files SQLite keeps beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(os.path.realpath(f"{database}{suffix}"))
        if candidate == path or (path.exists() and candidate.exists() and os.path.samefile(path, candidate)):
            return True
    return False


def _write_parquet(rows: Sequence[ResultRow], out: BinaryIO) -> None:
    """``rows`` as a Parquet table with the JSON's columns (one row per file), for a data lake.

    Needs pyarrow, which the Ray extra brings.
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
    pq.write_table(pa.table(columns), out)
