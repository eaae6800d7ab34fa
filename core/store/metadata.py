"""The files' own tags (artist, title...) in the store: what a run read, and when the file last changed.

``files.tags_mtime`` is the mtime of the file when its tags were read: a run reads them again only
when the file's mtime differs, so an unchanged library costs one query, and a database made before
these columns existed is filled in by the next run without analysing any audio again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import sqlite_utils

from ..records import FileMetadata, FileStat
from .schema import writing


class MetadataQueries:
    """The file-tags part of :class:`~core.store.Store`; expects ``self.db``."""

    db: sqlite_utils.Database

    def tags_read_at(self) -> dict[str, float | None]:
        """Per path, the file's mtime when its tags were read (None: never read)."""
        return dict(self.db.execute("SELECT path, tags_mtime FROM files").fetchall())

    def save_file_metadata(self, read: Iterable[tuple[FileStat, FileMetadata]]) -> None:
        """Keep the tags read from each file, in one transaction; a file not seen before gets its row now."""
        rows = [
            {
                "path": str(stat.path),
                "size": stat.size,
                "mtime": stat.mtime,
                "seen_at": time.time(),
                "tags_mtime": stat.mtime,
                "artist": meta.artist,
                "title": meta.title,
                "album": meta.album,
                "year": meta.year,
                "track": meta.track,
                "genre": meta.genre,
            }  # fmt: skip
            for stat, meta in read
        ]
        with writing(self.db):
            self.db.conn.executemany(
                "INSERT INTO files (path, size, mtime, missing, seen_at, artist, title, album, year, track, genre,"
                " tags_mtime) VALUES (:path, :size, :mtime, 0, :seen_at, :artist, :title, :album, :year, :track,"
                " :genre, :tags_mtime) ON CONFLICT (path) DO UPDATE SET artist = excluded.artist,"
                " title = excluded.title, album = excluded.album, year = excluded.year, track = excluded.track,"
                " genre = excluded.genre, tags_mtime = excluded.tags_mtime",
                rows,
            )
