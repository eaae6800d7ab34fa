"""Read a file's own tags (artist, title, album, year, track, genre) for the results view and queries.

Read-only and forgiving: these are whatever taggers over the years left in the user's files, and a
tag that cannot be read is empty metadata, never a failed file (the audio may still be fine).

mutagen's "easy" names cover MP3, MP4, Ogg and FLAC; WAV and AIFF carry raw ID3 frames, WMA its
own names and WavPack/Musepack APEv2 keys, so each field lists the names it goes by.
"""

from __future__ import annotations

import io
import os
import re
import stat
from pathlib import Path

import mutagen

from .records import FileMetadata

# each field's names: mutagen's easy name, the ID3 frame, WMA's, APEv2's (case-insensitive there)
KEYS = {
    "artist": ("artist", "TPE1", "Author", "albumartist", "TPE2", "WM/AlbumArtist"),
    "title": ("title", "TIT2", "Title"),
    "album": ("album", "TALB", "WM/AlbumTitle"),
    "year": ("date", "TDRC", "WM/Year", "year", "originaldate", "TDOR"),
    "track": ("tracknumber", "TRCK", "WM/TrackNumber", "track"),
    "genre": ("WM/Genre", "genre", "TCON"),  # WMA: the standard attribute before a stray "genre"
}
MAX_CHARS = 500  # a tag longer than this is garbage or an attack on the table's layout, not a title
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def read_metadata(path: Path) -> FileMetadata:
    """The file's own tags; empty for a file without tags, or with tags that cannot be read."""
    try:
        values = {name: [] for name in KEYS} | read_fields(path)
    except Exception:  # noqa: BLE001 - any damaged tag (mutagen raises many kinds) is just no metadata
        return FileMetadata()
    return FileMetadata(
        artist=_text(values["artist"][:1]),
        title=_text(values["title"][:1]),
        album=_text(values["album"][:1]),
        year=_number(values["year"], r"\d{4}"),
        track=_number(values["track"], r"\d{1,5}"),
        genre=_text(list(dict.fromkeys(values["genre"]))),
    )


def read_fields(path: Path) -> dict[str, list[str]]:
    """Each field of :data:`KEYS` the file has, with its values; raises what mutagen raises for a damaged tag."""
    with _open_regular(path) as file:
        audio = mutagen.File(file, easy=True)
    tags = audio.tags if audio is not None else None
    if tags is None:
        return {}
    values = {name: _values(tags, keys) for name, keys in KEYS.items()}
    return {name: found for name, found in values.items() if found}


def _open_regular(path: Path) -> io.BufferedReader:
    """The file, opened without waiting (a named pipe would block forever), if it is a regular file.

    Checked on the open file itself, so a file swapped for a pipe or a device after the scan is refused too.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    raw = io.FileIO(fd, "rb")  # owns the descriptor from here on
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raw.close()
        raise OSError(f"{path}: not a regular file")
    raw.name = str(path)  # mutagen tells formats apart partly by the name's extension
    return io.BufferedReader(raw)


def _values(tags, keys: tuple[str, ...]) -> list[str]:
    """The strings stored under the first of ``keys`` that the file has."""
    for key in keys:
        if hasattr(tags, "getall"):  # raw ID3 (WAV, AIFF): frames by id
            frames = tags.getall(key) if key.isupper() and len(key) == 4 else []
            found = [str(v) for frame in frames for v in (frame.genres if key == "TCON" else frame.text)]
        else:
            stored = tags.get(key)
            stored = stored if isinstance(stored, list) else [stored] if stored is not None else []
            found = [part for value in stored for part in str(value).split("\x00")]  # APEv2 joins values with NUL
        found = [value for value in found if value.strip()]
        if found:
            return found
    return []


def _text(values: list[str]) -> str | None:
    text = "; ".join(CONTROL.sub(" ", value).strip() for value in values)
    return text[:MAX_CHARS] or None


def _number(values: list[str], pattern: str) -> int | None:
    """The first number in the tag: 2005 of ``2005-03-01``, 3 of ``3/12``."""
    for value in values:
        if match := re.search(pattern, value):
            return int(match.group())
    return None
