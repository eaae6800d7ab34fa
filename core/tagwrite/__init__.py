"""Careful writing into users' files: genres previewed, in the owner's chosen mode, atomically, undoable.

:mod:`.files` reads tags and writes one file (atomic, through symlinks, owner and mode kept,
refused when the file changed since the preview); :mod:`.policy` decides which genres to write
(keep / append / replace, how many, their names); :mod:`.batch` plans many files from the store,
writes them with a backup of what they held, and undoes the last write.
"""

from .batch import (
    PlannedFile,
    WritePlan,
    apply,
    genre_labels,
    pending_undo,
    plan,
    summarize,
    undo_last,
    undo_summary,
    written_files,
)
from .files import GenreChange, TagWriteError, WriteOutcome, read_genres, read_tags, write_genres
from .policy import MODES, GenrePolicy, load_canonical, propose

__all__ = [
    "MODES",
    "GenreChange",
    "GenrePolicy",
    "PlannedFile",
    "TagWriteError",
    "WriteOutcome",
    "WritePlan",
    "apply",
    "genre_labels",
    "load_canonical",
    "pending_undo",
    "plan",
    "propose",
    "read_genres",
    "read_tags",
    "summarize",
    "undo_last",
    "undo_summary",
    "write_genres",
    "written_files",
]
