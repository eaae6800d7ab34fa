"""The database's schema, as numbered migrations: each one runs once, in order, inside a transaction.

A new kind of result (a transcript, a speaker turn) is one more entry at the end, never an edit of
an earlier one: a database records how far it has migrated in ``PRAGMA user_version``.
"""

from __future__ import annotations

import functools
import inspect
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
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
    # 5: which process runs a run, so that the next run can tell a killed one from one still going
    """
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN host TEXT
    """,
    # 6: a recording listened to again does not store its detections twice (a microphone's can repeat)
    """
    DELETE FROM detections WHERE source NOT LIKE 'microphone:%' AND id NOT IN
        (SELECT MIN(id) FROM detections GROUP BY source, time_s, word, model);
    CREATE UNIQUE INDEX detections_once ON detections (source, time_s, word, model)
        WHERE source NOT LIKE 'microphone:%'
    """,
    # 7: calls: time by kind of sound, talk time by speaker, the transcript and its full-text index
    # (named as sqlite-utils names an FTS table, so that its search helpers know it)
    """
    CREATE TABLE calls (
        analysis_id INTEGER PRIMARY KEY REFERENCES analyses(id) ON DELETE CASCADE,
        speech_s REAL NOT NULL, silence_s REAL NOT NULL, music_s REAL NOT NULL,
        tone_s REAL NOT NULL, noise_s REAL NOT NULL
    );
    CREATE TABLE call_speakers (
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        speaker INTEGER NOT NULL,
        talk_s REAL NOT NULL,
        PRIMARY KEY (analysis_id, speaker)
    ) WITHOUT ROWID;
    CREATE TABLE transcript (
        id INTEGER PRIMARY KEY,
        analysis_id INTEGER NOT NULL REFERENCES analyses(id) ON DELETE CASCADE,
        start_s REAL NOT NULL,
        end_s REAL NOT NULL,
        speaker INTEGER,
        text TEXT NOT NULL
    );
    CREATE INDEX transcript_by_analysis ON transcript (analysis_id, start_s);
    CREATE VIRTUAL TABLE transcript_fts USING FTS5 (text, tokenize='porter unicode61', content='transcript');
    CREATE TRIGGER transcript_ai AFTER INSERT ON transcript BEGIN
        INSERT INTO transcript_fts (rowid, text) VALUES (new.rowid, new.text);
    END;
    CREATE TRIGGER transcript_ad AFTER DELETE ON transcript BEGIN
        INSERT INTO transcript_fts (transcript_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    END;
    CREATE TRIGGER transcript_au AFTER UPDATE ON transcript BEGIN
        INSERT INTO transcript_fts (transcript_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO transcript_fts (rowid, text) VALUES (new.rowid, new.text);
    END
    """,
    # 8: every write into users' tags, with the values it replaced, so that it can be undone
    """
    CREATE TABLE tag_writes (
        id INTEGER PRIMARY KEY,
        written_at REAL NOT NULL,
        model_name TEXT,
        mode TEXT NOT NULL,
        undone_at REAL
    );
    CREATE TABLE tag_backups (
        write_id INTEGER NOT NULL REFERENCES tag_writes(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        field TEXT NOT NULL,
        before TEXT NOT NULL,
        after TEXT NOT NULL,
        PRIMARY KEY (write_id, path, field)
    ) WITHOUT ROWID
    """,
    # 9: the file's own tags (artist, title...), read at scan time, for the results view and queries
    """
    ALTER TABLE files ADD COLUMN artist TEXT;
    ALTER TABLE files ADD COLUMN title TEXT;
    ALTER TABLE files ADD COLUMN album TEXT;
    ALTER TABLE files ADD COLUMN year INTEGER;
    ALTER TABLE files ADD COLUMN track INTEGER;
    ALTER TABLE files ADD COLUMN genre TEXT;
    ALTER TABLE files ADD COLUMN tags_mtime REAL
    """,
    # 10: the language a call was spoken in, and each transcript line's (ISO 639-1 codes)
    """
    ALTER TABLE calls ADD COLUMN language TEXT;
    ALTER TABLE transcript ADD COLUMN language TEXT
    """,
]


BUSY_TIMEOUT_S = 30.0  # how long a writer waits for another one to let go of the database


def _version(conn: sqlite3.Connection, path: Path) -> int:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(f"{path} was written by a newer Earmark (schema {version}); upgrade Earmark")
    return version


def refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a SQLite file that another program made (beets' library, say): Earmark adds nothing to it.

    Earmark's databases say their schema in ``user_version``; a file at version 0 with tables is someone else's.
    Both are read in one statement, so from one snapshot: read apart, another Earmark creating the same
    database could commit its migrations in between (version 0, then tables), and this one refused it.
    """
    version, names = conn.execute(
        "SELECT (SELECT user_version FROM pragma_user_version),"
        " (SELECT json_group_array(name) FROM sqlite_master WHERE type = 'table')"
    ).fetchone()
    tables = json.loads(names)
    if not version and tables:
        conn.close()
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(f"{path} is not an Earmark database (it holds another program's tables: {shown})")


def migrate(db: sqlite_utils.Database, path: Path) -> None:
    """Bring the database up to the newest schema; refuse one written by a newer Earmark.

    Several processes may open a new database at once: the check and the migrations run in one
    ``BEGIN IMMEDIATE`` transaction, so one of them migrates and the others wait, then find it done.
    """
    conn = db.conn
    if _version(conn, path) == len(MIGRATIONS):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn, path)
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(number)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[None]:
    """One write transaction that takes the write lock first (``BEGIN IMMEDIATE``), waiting for another writer.

    A plain (deferred) BEGIN that reads before it writes cannot wait: once another process has
    committed since the read, SQLite refuses the write at once ("database is locked", whatever the
    busy timeout). Taking the lock at the start lets the busy timeout do its job. Nested: a savepoint.
    """
    conn = db.conn
    if conn.in_transaction:
        with db.atomic():
            yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def _statements(script: str) -> list[str]:
    """The statements of a script; a trigger's body (BEGIN ... END) holds semicolons of its own."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return [statement for statement in statements if statement.strip(" ;\n")]


def explain(error: sqlite3.Error, path: Path) -> str:
    """What SQLite's message means for the user, and what to do about it, in one line."""
    text = str(error)
    if "disk is full" in text:
        return f"the disk holding {path} is full"
    if "readonly" in text:
        return f"{path} is read-only (check its permissions and its folder's: SQLite writes beside it)"
    if "locked" in text or "busy" in text:
        return (
            f"{path} is in use by another program that did not let go for {BUSY_TIMEOUT_S:.0f} s;"
            " try again when it has finished"
        )
    if "malformed" in text or "not a database" in text:
        return f"{path} is damaged ({text}); move it aside (Earmark then starts a new one) or restore a backup"
    return f"database {path}: {text}"


def guarded(cls: type) -> type:
    """Every public method of ``cls`` turns SQLite's errors into a :class:`StoreError` that says what to do."""

    def guard(method):
        @functools.wraps(method)
        def call(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except sqlite3.Error as error:
                raise StoreError(explain(error, self.path)) from error

        return call

    for name in dir(cls):
        member = getattr(cls, name)
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, guard(member))
    return cls
