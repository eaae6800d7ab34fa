"""Write genre labels into audio files' own tags — only on request, previewed, and atomically.

mutagen's "easy" interface maps ``genre`` onto each format's field (ID3 TCON, Vorbis/FLAC
GENRE, MP4 ©gen), all multi-valued. The file is never edited in place: a copy beside it gets the
new tags and then replaces the original in one rename, so a crash leaves the old file or the new
one, never a half-written one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen import MutagenError

from .errors import EarmarkError
from .records import LabelScore


class TagWriteError(EarmarkError):
    """The file's tags cannot be read or written; the message says why."""


@dataclass(frozen=True)
class GenreChange:
    """What writing would do to one file: its genres now, and after."""

    path: Path
    before: list[str]
    after: list[str]

    @property
    def changes(self) -> bool:
        return self.before != self.after


def read_tags(path: Path) -> dict[str, list[str]]:
    """The file's existing tags (easy names: title, artist, album, genre...)."""
    try:
        audio = mutagen.File(str(path), easy=True)
    except (MutagenError, OSError) as error:
        raise TagWriteError(f"cannot read tags of {path.name}: {error}") from error
    if audio is None or audio.tags is None:
        return {}
    return {key: [str(v) for v in values] for key, values in audio.tags.items()}


def plan_genres(path: Path, labels: list[LabelScore], threshold: float, max_genres: int = 3) -> GenreChange:
    """The genres that writing would set: labels scoring at least ``threshold``, best first."""
    chosen = [item.label for item in labels if item.score >= threshold][:max_genres]
    return GenreChange(path, read_tags(path).get("genre", []), chosen)


def write_genres(change: GenreChange) -> None:
    """Apply one planned change atomically (copy, tag the copy, rename over the original)."""
    path = change.path
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(handle)
    temp = Path(temp_name)
    try:
        shutil.copy2(path, temp)
        audio = mutagen.File(str(temp), easy=True)
        if audio is None:
            raise TagWriteError(f"{path.name}: this format has no tags mutagen can write")
        if audio.tags is None:
            audio.add_tags()
        if change.after:
            audio["genre"] = change.after
        elif "genre" in audio:
            del audio["genre"]
        audio.save()
        os.replace(temp, path)
    except (MutagenError, OSError) as error:
        raise TagWriteError(f"cannot write tags into {path.name}: {error}") from error
    finally:
        temp.unlink(missing_ok=True)
