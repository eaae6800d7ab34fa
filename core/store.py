"""The SQLite store: the one module that owns the schema, its migrations and every query.

One database holds the files seen, the models used, each run, and per (file, model) the latest
analysis: every label with its score and rank, and per-segment top-k. WAL mode lets readers
(the GUI) use their own connection while a run writes; each file's results commit in one
transaction, so a killed run leaves whole files or nothing, and a rerun resumes without
duplicates. All SQL is parameterised.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from .records import FileFailure, FileStat, FileTags, LabelScore, ResultQuery, ResultRow

MIGRATIONS: list[str] = [
    # 1: the initial schema
    """
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        size INTEGER,
        mtime REAL,
        duration_s REAL,
        sample_rate INTEGER,
        channels INTEGER,
        codec TEXT,
        missing INTEGER NOT NULL DEFAULT 0,
        seen_at REAL
    );
    CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        path TEXT,
        labels TEXT NOT NULL,
        label_groups TEXT NOT NULL,
        licence TEXT,
        UNIQUE (name, version)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES models(id),
        started_at REAL NOT NULL,
        finished_at REAL,
        status TEXT NOT NULL,
        roots TEXT NOT NULL,
        files_seen INTEGER NOT NULL DEFAULT 0,
        files_tagged INTEGER NOT NULL DEFAULT 0,
        files_failed INTEGER NOT NULL DEFAULT 0,
        files_skipped INTEGER NOT NULL DEFAULT 0,
        audio_seconds REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE analyses (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        model_id INTEGER NOT NULL REFERENCES models(id),
        model_name TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id),
        status TEXT NOT NULL CHECK (status IN ('tagged', 'error')),
        error TEXT,
        size INTEGER,
        mtime REAL,
        analysed_at REAL NOT NULL,
        UNIQUE (file_id, model_name)
    );
    CREATE TABLE labels (
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        rank INTEGER NOT NULL,
        label TEXT NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (analysis_id, rank)
    ) WITHOUT ROWID;
    CREATE INDEX labels_by_label ON labels (label, score);
    CREATE TABLE segments (
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        segment INTEGER NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        rank INTEGER NOT NULL,
        label TEXT NOT NULL,
        score REAL NOT NULL,
        PRIMARY KEY (analysis_id, segment, rank)
    ) WITHOUT ROWID;
    """,
    # 2: which runtime ran each run (torch, onnx-fp32, onnx-int8) and on what device
    """
    ALTER TABLE runs ADD COLUMN backend TEXT
    """,
    # 3: whether an analysis looked at the whole file or at excerpts of it
    """
    ALTER TABLE analyses ADD COLUMN coverage TEXT NOT NULL DEFAULT 'full'
    """,
    # 4: wake-word and keyword detections, live or in recordings
    """
    CREATE TABLE detections (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        time_s REAL NOT NULL,
        word TEXT NOT NULL,
        score REAL NOT NULL,
        model TEXT NOT NULL,
        detected_at REAL NOT NULL
    );
    CREATE INDEX detections_by_word ON detections (word, source)
    """,
]


class StoreError(Exception):
    """The database cannot be opened or written; the message says why in one line."""


@dataclass(frozen=True)
class PriorAnalysis:
    """What an earlier run recorded for a file, enough to decide whether to read it again."""

    size: int | None
    mtime: float | None
    status: str
    coverage: str = "full"

    def matches(self, stat: FileStat) -> bool:
        return self.size == stat.size and self.mtime == stat.mtime


class Store:
    """A connection to Earmark's database. One per thread: readers open their own."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(sqlite3.connect(str(self.path), timeout=30.0))
            self.db.execute("PRAGMA foreign_keys = ON")
            if self.db.journal_mode != "wal":
                self.db.enable_wal()
            self._migrate()
        except (sqlite3.DatabaseError, OSError) as error:
            raise StoreError(f"cannot open database {self.path}: {error}") from error

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema -----------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.path} was written by a newer Earmark (schema {version}); upgrade Earmark")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db.atomic():
                for statement in filter(str.strip, script.split(";")):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {int(number)}")

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
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO models (name, version, path, labels, label_groups, licence) VALUES (?, ?, ?, ?, ?, ?)",
                [name, version, str(path), json.dumps(labels), json.dumps(groups), licence],
            )
        return int(cursor.lastrowid)

    def start_run(self, model_id: int, roots: list[str], backend: str | None = None) -> int:
        with self.db.atomic():
            cursor = self.db.execute(
                "INSERT INTO runs (model_id, started_at, status, roots, backend) VALUES (?, ?, 'running', ?, ?)",
                [model_id, time.time(), json.dumps(roots), backend],
            )
        return int(cursor.lastrowid)

    def finish_run(
        self, run_id: int, status: str, seen: int, tagged: int, failed: int, skipped: int, audio_seconds: float
    ) -> None:
        with self.db.atomic():
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
        with self.db.atomic():
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

    def save_failure(self, run_id: int, model_id: int, model_name: str, failure: FileFailure) -> None:
        info = failure.info
        values = {
            "duration_s": info.duration_s if info else None,
            "sample_rate": info.sample_rate if info else None,
            "channels": info.channels if info else None,
            "codec": info.codec if info else None,
        }
        with self.db.atomic():
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
        with self.db.atomic():
            self.db.conn.executemany("UPDATE files SET missing = 1 WHERE path = ?", [(p,) for p in missing])
        return len(missing)

    # --- detections ------------------------------------------------------------------------------

    def save_detection(self, source: str, word: str, score: float, time_s: float, model: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO detections (source, time_s, word, score, model, detected_at) VALUES (?, ?, ?, ?, ?, ?)",
                [source, time_s, word, score, model, time.time()],
            )

    def detections(self, word: str | None = None) -> list[tuple[str, float, str, float, str]]:
        """(source, time_s, word, score, model), by source and time; ``word`` filters."""
        return self.db.execute(
            "SELECT source, time_s, word, score, model FROM detections WHERE (? IS NULL OR word = ?)"
            " ORDER BY source, time_s",
            [word, word],
        ).fetchall()

    # --- queries --------------------------------------------------------------------------------

    def latest_model_name(self) -> str | None:
        row = self.db.execute("SELECT model_name FROM analyses ORDER BY analysed_at DESC, id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def model_labels(self, model_name: str) -> tuple[list[str], dict[str, list[str]]]:
        row = self.db.execute(
            "SELECT labels, label_groups FROM models WHERE name = ? ORDER BY id DESC LIMIT 1", [model_name]
        ).fetchone()
        if row is None:
            raise StoreError(f"no results for model {model_name!r} in {self.path}")
        return json.loads(row[0]), json.loads(row[1])

    def results(
        self,
        model_name: str,
        labels: list[str] | None = None,
        min_score: float = 0.0,
        top_k: int = 5,
        with_label: str | None = None,
        status: str | None = None,
        run_id: int | None = None,
    ) -> list[ResultRow]:
        """Every file analysed by ``model_name`` (the CLI's listing; see :class:`ResultQuery`).

        ``top_k=0`` keeps all labels. With ``with_label``, files are ordered by that label's score.
        """
        query = ResultQuery(
            model=model_name,
            label=with_label,
            group_labels=tuple(labels) if labels is not None else None,
            min_score=min_score,
            status=status,
            sort="score" if with_label else "path",
            descending=bool(with_label),
            top_k=top_k or 1_000_000,
            run_id=run_id,
        )
        return self.page(query, 0, -1)

    def _query_filter(self, query: ResultQuery) -> tuple[str, list]:
        where = ["a.model_name = ?"]
        params: list = [query.model]
        if query.text:
            escaped = query.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append("f.path LIKE ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
        if query.status == "missing":
            where.append("f.missing = 1")
        elif query.status:
            where.append("a.status = ? AND f.missing = 0")
            params.append(query.status)
        if query.run_id is not None:
            where.append("a.run_id = ?")
            params.append(query.run_id)
        if query.label:
            group, group_params = self._group_clause(query)
            where.append(
                "? IN (SELECT x.label FROM labels x WHERE x.analysis_id = a.id AND x.score >= ?"  # noqa: S608
                f"{group} ORDER BY x.rank LIMIT ?)"
            )
            params += [query.label, query.min_score, *group_params, query.top_k]
        return " AND ".join(where), params

    @staticmethod
    def _group_clause(query: ResultQuery, column: str = "x.label") -> tuple[str, list]:
        if query.group_labels is None:
            return "", []
        return f" AND {column} IN ({','.join('?' * len(query.group_labels))})", list(query.group_labels)

    def count(self, query: ResultQuery) -> int:
        where, params = self._query_filter(query)
        sql = f"SELECT COUNT(*) FROM analyses a JOIN files f ON f.id = a.file_id WHERE {where}"  # noqa: S608
        return self.db.execute(sql, params).fetchone()[0]

    def page(self, query: ResultQuery, offset: int, limit: int) -> list[ResultRow]:
        """One page of a results view, filtered and sorted in SQL (fast with 100,000 files)."""
        where, params = self._query_filter(query)
        if query.label:
            sort_score = "(SELECT score FROM labels s WHERE s.analysis_id = a.id AND s.label = ?)"
            sort_params = [query.label]
        else:
            sort_score = "(SELECT score FROM labels s WHERE s.analysis_id = a.id AND s.rank = 1)"
            sort_params = []
        order = {
            "path": "f.path",
            "duration": "f.duration_s",
            "score": sort_score,
            "status": "f.missing, a.status",
        }.get(query.sort, "f.path")
        direction = "DESC" if query.descending else "ASC"
        sql = (
            "SELECT a.id, f.path, a.status, a.error, f.duration_s, f.missing FROM analyses a"  # noqa: S608
            f" JOIN files f ON f.id = a.file_id WHERE {where} ORDER BY {order} {direction}, f.path LIMIT ? OFFSET ?"
        )
        rows = self.db.execute(
            sql, [*params, *(sort_params if query.sort == "score" else []), limit, offset]
        ).fetchall()
        ids = [row[0] for row in rows]
        labels = self._top_labels(ids, query)
        return [
            ResultRow(path, "missing" if missing else status, error, duration, query.model, labels.get(aid, []))
            for aid, path, status, error, duration, missing in rows
        ]

    def _top_labels(self, analysis_ids: list[int], query: ResultQuery) -> dict[int, list[LabelScore]]:
        """The kept labels of each analysis, fetched in chunks (SQLite caps the number of parameters)."""
        group, group_params = self._group_clause(query, "label")
        result: dict[int, list[LabelScore]] = {}
        for start in range(0, len(analysis_ids), 500):
            chunk = analysis_ids[start : start + 500]
            sql = (
                f"SELECT analysis_id, label, score FROM labels WHERE analysis_id IN ({','.join('?' * len(chunk))})"  # noqa: S608
                f" AND score >= ?{group} ORDER BY analysis_id, rank"
            )
            for analysis_id, label, score in self.db.execute(sql, [*chunk, query.min_score, *group_params]):
                kept = result.setdefault(analysis_id, [])
                if len(kept) < query.top_k:
                    kept.append(LabelScore(label, score))
        return result

    def file_labels(self, path: str, model_name: str) -> list[LabelScore]:
        """Every label of one file, best first (the detail pane's bar chart)."""
        rows = self.db.execute(
            "SELECT l.label, l.score FROM labels l JOIN analyses a ON a.id = l.analysis_id"
            " JOIN files f ON f.id = a.file_id WHERE f.path = ? AND a.model_name = ? ORDER BY l.rank",
            [path, model_name],
        )
        return [LabelScore(label, score) for label, score in rows]

    def totals(self, model_name: str) -> tuple[int, int, float]:
        """(files tagged, files failed, seconds of audio tagged) for one model, missing files left out."""
        row = self.db.execute(
            "SELECT SUM(a.status = 'tagged'), SUM(a.status = 'error'),"
            " SUM(CASE WHEN a.status = 'tagged' THEN f.duration_s ELSE 0 END)"
            " FROM analyses a JOIN files f ON f.id = a.file_id WHERE a.model_name = ? AND f.missing = 0",
            [model_name],
        ).fetchone()
        return int(row[0] or 0), int(row[1] or 0), float(row[2] or 0.0)

    def model_names(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT DISTINCT model_name FROM analyses ORDER BY model_name")]

    def segments(self, path: str, model_name: str) -> list[tuple[int, float, float, str, float]]:
        """The timeline of one file: (segment, start, end, label, score), best first per segment."""
        return self.db.execute(
            "SELECT s.segment, s.start_s, s.end_s, s.label, s.score FROM segments s"
            " JOIN analyses a ON a.id = s.analysis_id JOIN files f ON f.id = a.file_id"
            " WHERE f.path = ? AND a.model_name = ? ORDER BY s.segment, s.rank",
            [path, model_name],
        ).fetchall()
