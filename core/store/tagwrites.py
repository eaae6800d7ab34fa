"""Writes into users' tags, remembered with the values they replaced so that they can be undone.

The backups are stored before any file is touched (a crash mid-write still leaves them), and each
file whose write is refused drops its backup, so an undo restores only what was really written.
After a file's tags change, its fingerprint in the store follows it: tags changed is not audio
changed, so the next run does not analyse the file again.
"""

from __future__ import annotations

import json
import time

import sqlite_utils

from ..query import Query
from ..records import FileStat, ResultQuery, TagBackup, TagWrite
from .schema import writing


class TagWriteQueries:
    """The tag-write part of :class:`~core.store.Store`; expects ``self.db``."""

    db: sqlite_utils.Database

    def tagged_paths(self, model: str, search: Query | None = None) -> list[str]:
        """The files ``model`` tagged (and still present) that a query matches: what a write may touch."""
        query = ResultQuery(model=model, status="tagged", search=search or Query())
        return [row.path for row in self.page(query, 0, -1)]

    def begin_tag_write(self, model: str | None, mode: str, backups: list[TagBackup]) -> int:
        """Record a write and every value it will replace, in one transaction, before writing."""
        with writing(self.db):
            cursor = self.db.execute(
                "INSERT INTO tag_writes (written_at, model_name, mode) VALUES (?, ?, ?)", [time.time(), model, mode]
            )
            write_id = int(cursor.lastrowid)
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO tag_backups (write_id, path, field, before, after) VALUES (?, ?, ?, ?, ?)",
                [(write_id, b.path, b.field, json.dumps(b.before), json.dumps(b.after)) for b in backups],
            )
        return write_id

    def drop_tag_backup(self, write_id: int, path: str) -> None:
        """Forget a file's backup: its write was refused or changed nothing."""
        with writing(self.db):
            self.db.execute("DELETE FROM tag_backups WHERE write_id = ? AND path = ?", [write_id, path])

    def finish_tag_write(self, write_id: int) -> None:
        """A write that changed no file is not a write: it leaves nothing to undo."""
        with writing(self.db):
            self.db.execute(
                "DELETE FROM tag_writes WHERE id = ? AND NOT EXISTS (SELECT 1 FROM tag_backups WHERE write_id = ?)",
                [write_id, write_id],
            )

    def last_tag_write(self) -> TagWrite | None:
        """The newest write not undone yet (what ``write-tags --undo`` restores)."""
        row = self.db.execute(
            "SELECT id, written_at, model_name, mode FROM tag_writes WHERE undone_at IS NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        backups = [
            TagBackup(path, field, json.loads(before), json.loads(after))
            for path, field, before, after in self.db.execute(
                "SELECT path, field, before, after FROM tag_backups WHERE write_id = ? ORDER BY path, field", [row[0]]
            )
        ]
        return TagWrite(row[0], row[1], row[2], row[3], backups)

    def mark_tag_write_undone(self, write_id: int) -> None:
        with writing(self.db):
            self.db.execute("UPDATE tag_writes SET undone_at = ? WHERE id = ?", [time.time(), write_id])

    def follow_rewrite(self, path: str, before: FileStat, after: FileStat) -> None:
        """The file was rewritten with the same audio: results that matched it before match it now."""
        with writing(self.db):
            row = self.db.execute("SELECT id FROM files WHERE path = ?", [path]).fetchone()
            if row is None:
                return
            self.db.execute(
                "UPDATE analyses SET size = ?, mtime = ? WHERE file_id = ? AND size = ? AND mtime = ?",
                [after.size, after.mtime, row[0], before.size, before.mtime],
            )
            self.db.execute(
                "UPDATE files SET size = ?, mtime = ? WHERE id = ? AND size = ? AND mtime = ?",
                [after.size, after.mtime, row[0], before.size, before.mtime],
            )
            self.db.execute("UPDATE files SET tags_mtime = NULL WHERE id = ?", [row[0]])  # its own tags: read again
