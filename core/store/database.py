"""The connection to Earmark's database, its migrations, and every write (one transaction per file)."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from ..liveness import process_alive, this_host
from ..records import FileFailure, FileStat, FileTags
from .calls import CallQueries
from .filters import fold
from .metadata import MetadataQueries
from .queries import ResultQueries
from .schema import BUSY_TIMEOUT_S, StoreError, explain, guarded, migrate, refuse_foreign, writing
from .tagwrites import TagWriteQueries


@dataclass(frozen=True)
class PriorAnalysis:
    """What an earlier run recorded for a file, enough to decide whether to read it again."""

    size: int | None
    mtime: float | None
    status: str
    coverage: str = "full"

    def matches(self, stat: FileStat) -> bool:
        return self.size == stat.size and self.mtime == stat.mtime


@guarded
class Store(ResultQueries, CallQueries, TagWriteQueries, MetadataQueries):
    """A connection to Earmark's database. One per thread: readers open their own."""

    def __init__(self, path: Path, create: bool = True) -> None:
        """Open (or, with ``create``, make) Earmark's database at ``path``; never another program's SQLite file."""
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"no Earmark database at {self.path}: tag a folder first (earmark tag FOLDER --db FILE)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S))
            refuse_foreign(self.db.conn, self.path)
            self.db.conn.create_function("fold", 1, fold, deterministic=True)  # queries: case in any script
            self.db.execute("PRAGMA foreign_keys = ON")
            if self.db.journal_mode != "wal":
                self.db.enable_wal()
            migrate(self.db, self.path)
        except sqlite3.OperationalError as error:  # locked, read-only, full: say what to do
            raise StoreError(f"cannot open database: {explain(error, self.path)}") from error
        except (sqlite3.DatabaseError, OSError) as error:
            raise StoreError(f"cannot open database {self.path}: {error}") from error

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema -----------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    # --- models and runs ----------------------------------------------------------------------

    def register_model(
        self, name: str, version: str, path: Path, labels: list[str], groups: dict[str, list[str]], licence: str | None
    ) -> int:
        row = self.db.execute("SELECT id FROM models WHERE name = ? AND version = ?", [name, version]).fetchone()
        if row:
            return row[0]
        with writing(self.db):
            cursor = self.db.execute(
                "INSERT INTO models (name, version, path, labels, label_groups, licence) VALUES (?, ?, ?, ?, ?, ?)",
                [name, version, str(path), json.dumps(labels), json.dumps(groups), licence],
            )
        return int(cursor.lastrowid)

    def start_run(self, model_id: int, roots: list[str], backend: str | None = None) -> int:
        with writing(self.db):
            cursor = self.db.execute(
                "INSERT INTO runs (model_id, started_at, status, roots, backend, pid, host)"
                " VALUES (?, ?, 'running', ?, ?, ?, ?)",
                [model_id, time.time(), json.dumps(roots), backend, os.getpid(), this_host()],
            )
        return int(cursor.lastrowid)

    def close_abandoned_runs(self) -> int:
        """Mark ``interrupted`` the runs left ``running`` by a process of this machine that is gone (kill -9).

        A run of another machine sharing the database, or of a process still going, is left alone.
        """
        rows = self.db.execute("SELECT id, pid, host FROM runs WHERE status = 'running'").fetchall()
        here = this_host()
        gone = [run for run, pid, host in rows if pid is None or (host == here and not process_alive(pid))]
        with writing(self.db):
            self.db.conn.executemany(
                "UPDATE runs SET status = 'interrupted' WHERE id = ? AND status = 'running'", [(run,) for run in gone]
            )
        return len(gone)

    def set_run_backend(self, run_id: int, backend: str) -> None:
        """Which runtime the run's model runs on, known once it is loaded (only when there is work)."""
        with writing(self.db):
            self.db.execute("UPDATE runs SET backend = ? WHERE id = ?", [backend, run_id])

    def finish_run(
        self, run_id: int, status: str, seen: int, tagged: int, failed: int, skipped: int, audio_seconds: float
    ) -> None:
        with writing(self.db):
            self.db.execute(
                "UPDATE runs SET finished_at = ?, status = ?, files_seen = ?, files_tagged = ?, files_failed = ?,"
                " files_skipped = ?, audio_seconds = ? WHERE id = ?",
                [time.time(), status, seen, tagged, failed, skipped, audio_seconds, run_id],
            )

    def runs(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM runs ORDER BY id"))

    # --- files ---------------------------------------------------------------------------------

    def prior_analyses(self, model_name: str, version: str) -> dict[str, PriorAnalysis]:
        """Per path, what this exact model version recorded (older versions don't count)."""
        rows = self.db.execute(
            "SELECT f.path, a.size, a.mtime, a.status, a.coverage FROM analyses a JOIN files f ON f.id = a.file_id"
            " JOIN models m ON m.id = a.model_id WHERE a.model_name = ? AND m.version = ?",
            [model_name, version],
        )
        return {row[0]: PriorAnalysis(*row[1:]) for row in rows}

    def _upsert_file(self, stat: FileStat, info_values: dict) -> int:
        self.db.execute(
            "INSERT INTO files (path, size, mtime, duration_s, sample_rate, channels, codec, missing, seen_at)"
            " VALUES (:path, :size, :mtime, :duration_s, :sample_rate, :channels, :codec, 0, :seen_at)"
            " ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime,"
            " duration_s = excluded.duration_s, sample_rate = excluded.sample_rate, channels = excluded.channels,"
            " codec = excluded.codec, missing = 0, seen_at = excluded.seen_at",
            {"path": str(stat.path), "size": stat.size, "mtime": stat.mtime, "seen_at": time.time(), **info_values},
        )
        return self.db.execute("SELECT id FROM files WHERE path = ?", [str(stat.path)]).fetchone()[0]

    def _replace_analysis(self, file_id: int, model_id: int, model_name: str, run_id: int, stat: FileStat,
                          status: str, error: str | None, coverage: str = "full") -> int:  # fmt: skip
        self.db.execute("DELETE FROM analyses WHERE file_id = ? AND model_name = ?", [file_id, model_name])
        cursor = self.db.execute(
            "INSERT INTO analyses (file_id, model_id, model_name, run_id, status, error, size, mtime, analysed_at,"
            " coverage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [file_id, model_id, model_name, run_id, status, error, stat.size, stat.mtime, time.time(), coverage],
        )
        return int(cursor.lastrowid)

    def save_tags(self, run_id: int, model_id: int, model_name: str, tags: FileTags, coverage: str = "full") -> None:
        """Store one file's labels and segments, replacing any earlier result, atomically."""
        info = {
            "duration_s": tags.duration_s,
            "sample_rate": tags.info.sample_rate,
            "channels": tags.info.channels,
            "codec": tags.info.codec,
        }
        with writing(self.db):
            file_id = self._upsert_file(tags.stat, info)
            analysis = self._replace_analysis(
                file_id, model_id, model_name, run_id, tags.stat, "tagged", None, coverage
            )
            self.db["labels"].insert_all(
                {"analysis_id": analysis, "rank": rank, "label": item.label, "score": item.score}
                for rank, item in enumerate(tags.labels, start=1)
            )
            self.db["segments"].insert_all(
                {
                    "analysis_id": analysis,
                    "segment": segment.index,
                    "start_s": segment.start_s,
                    "end_s": segment.end_s,
                    "rank": rank,
                    "label": item.label,
                    "score": item.score,
                }
                for segment in tags.segments
                for rank, item in enumerate(segment.labels, start=1)
            )
            if tags.call is not None:
                self._save_call(analysis, tags.call)

    def save_failure(self, run_id: int, model_id: int, model_name: str, failure: FileFailure) -> None:
        info = failure.info
        values = {
            "duration_s": info.duration_s if info else None,
            "sample_rate": info.sample_rate if info else None,
            "channels": info.channels if info else None,
            "codec": info.codec if info else None,
        }
        with writing(self.db):
            file_id = self._upsert_file(failure.stat, values)
            self._replace_analysis(file_id, model_id, model_name, run_id, failure.stat, "error", failure.error)

    def mark_missing(self, roots: list[Path], present: set[str]) -> int:
        """Flag files under ``roots`` that the scan no longer found; their results are kept."""
        missing: list[str] = []
        for root in roots:
            prefix = str(root).rstrip("/") + "/"
            rows = self.db.execute(
                "SELECT path FROM files WHERE missing = 0 AND (path = ? OR substr(path, 1, ?) = ?)",
                [str(root), len(prefix), prefix],
            )
            missing += [path for (path,) in rows if path not in present]
        with writing(self.db):
            self.db.conn.executemany("UPDATE files SET missing = 1 WHERE path = ?", [(p,) for p in missing])
        return len(missing)

    # --- detections ------------------------------------------------------------------------------

    def save_detection(self, source: str, word: str, score: float, time_s: float, model: str) -> None:
        """Keep a detection; the same one in the same recording, heard again, is kept once."""
        with writing(self.db):
            self.db.execute(
                "INSERT OR IGNORE INTO detections (source, time_s, word, score, model, detected_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [source, time_s, word, score, model, time.time()],
            )
