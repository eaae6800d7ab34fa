"""The store: schema versioning, concurrent readers, atomic writes."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from core.audio import AudioInfo
from core.records import FileStat, FileTags, LabelScore
from core.store import MIGRATIONS, Store, StoreError


def tags(path: str, *labels: tuple[str, float]) -> FileTags:
    return FileTags(
        FileStat(Path(path), 10, 1.0),
        AudioInfo(16000, 1, 3.0, "WAV/PCM_16"),
        3.0,
        [LabelScore(label, score) for label, score in labels],
    )


def test_new_database_is_at_the_latest_schema_in_wal_mode(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.db.journal_mode == "wal"
    with Store(tmp_path / "s.db") as store:  # reopening migrates nothing twice
        assert store.schema_version == len(MIGRATIONS)


def test_an_old_database_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(MIGRATIONS[0])
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO files (path) VALUES ('/music/a.wav')")
        conn.execute("INSERT INTO models (name, version, labels, label_groups) VALUES ('m', 'v', '[]', '{}')")
        conn.execute(
            "INSERT INTO analyses (file_id, model_id, model_name, status, analysed_at) VALUES (1, 1, 'm', 'tagged', 0)"
        )
    with Store(db) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert store.prior_analyses("m", "v")["/music/a.wav"].coverage == "full"


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "future.db") as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer Earmark"):
        Store(tmp_path / "future.db")


def test_reader_sees_committed_files_while_a_writer_holds_a_transaction(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    with Store(db) as writer:
        model = writer.register_model("m", "v1", tmp_path, ["a", "b"], {}, None)
        run = writer.start_run(model, [str(tmp_path)])
        writer.save_tags(run, model, "m", tags("/music/one.wav", ("a", 0.9), ("b", 0.1)))
        writer.db.execute("BEGIN")
        writer.db.execute("DELETE FROM labels")  # uncommitted
        seen: list[int] = []
        reader = threading.Thread(target=lambda: seen.append(len(Store(db).results("m")[0].labels)))
        reader.start()
        reader.join(timeout=10)
        writer.db.rollback()
    assert seen == [2]


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        model = store.register_model("m", "v1", tmp_path, ["a"], {}, None)
        run = store.start_run(model, [])
        duplicate_rank = tags("/music/x.wav", ("a", 0.5))
        duplicate_rank.segments = None  # type: ignore[assignment]  # breaks half-way through the write
        with pytest.raises(TypeError):
            store.save_tags(run, model, "m", duplicate_rank)
        assert store.results("m") == []
        assert store.db.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0


def test_a_write_that_reads_first_waits_for_another_writer_instead_of_failing(tmp_path: Path) -> None:
    # The reported failure: write-tags beside `earmark tag` stopped after a few seconds with "locked":
    # a deferred transaction read, another process committed, and SQLite refused the write at once.
    db = tmp_path / "busy.db"
    with Store(db) as store:
        model = store.register_model("m", "v1", tmp_path, ["a"], {}, None)
        store.save_tags(store.start_run(model, []), model, "m", tags("/music/one.wav", ("a", 0.9)))
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO files (path) VALUES ('/music/two.wav')")  # another writer, mid-transaction

    def commit_soon() -> None:
        threading.Event().wait(0.5)
        other.execute("COMMIT")

    writer = threading.Thread(target=commit_soon)
    writer.start()
    with Store(db) as store:  # reads the file's row, then updates it: must wait for the other writer, then write
        store.follow_rewrite("/music/one.wav", FileStat(Path("/music/one.wav"), 10, 1.0), FileStat(Path("x"), 11, 2.0))
        assert store.analysed_stat("/music/one.wav", "m") == FileStat(Path("/music/one.wav"), 11, 2.0)
    writer.join()
    other.close()
