"""The database's schema, as numbered migrations: each one runs once, in order, inside a transaction.

A new kind of result (a transcript, a speaker turn) is one more entry at the end, never an edit of
an earlier one: a database records how far it has migrated in ``PRAGMA user_version``.
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from ..errors import EarmarkError


class StoreError(EarmarkError):
    """The database cannot be opened or written; the message says why in one line."""


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


def migrate(db: sqlite_utils.Database, path: Path) -> None:
    """Bring the database up to the newest schema; refuse one written by a newer Earmark."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(f"{path} was written by a newer Earmark (schema {version}); upgrade Earmark")
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        with db.atomic():
            for statement in filter(str.strip, script.split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {int(number)}")
