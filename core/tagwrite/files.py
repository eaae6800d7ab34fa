"""Read and write genres in audio files' own tags — previewed, atomically, never at the owner's expense.

mutagen's "easy" interface maps ``genre`` onto each format's field (ID3 TCON, Vorbis/FLAC
GENRE, MP4 ©gen), all multi-valued. The file is never edited in place: a copy beside it gets the
new tags and then replaces the original in one rename, so a crash leaves the old file or the new
one, never a half-written one.

These are the user's files, so writing follows the project's rule — atomic, through symlinks,
keeping owner and mode, never losing what the owner wrote — and each file gets its own outcome
rather than an exception, so one refused file never stops the rest of a batch.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import mutagen
from mutagen import MutagenError

from ..errors import EarmarkError
from ..filetags import read_fields
from ..liveness import process_alive, this_host
from ..records import FileStat
from ..scan import file_stat
from . import genre_field


class TagWriteError(EarmarkError):
    """The file's tags cannot be read or written; the message says why."""


class _Refused(Exception):
    """Internal: this file is left as it is, for the reason in the message."""


class _OwnerChanged(_Refused):
    """Internal: the owner changed the genres since they were read; their values stay, for good."""


@dataclass(frozen=True)
class GenreChange:
    """What writing would do to one file: its genres now, and after.

    ``since`` names the moment ``before`` was read, for the refusal when the file no longer has
    those genres (the owner changed them since the preview, or since Earmark wrote them).
    ``analysed`` is the file's (size, mtime) when the genres were found: a file that is no longer
    that audio (a song replaced by a voice memo under the same name) is refused, not labelled.
    """

    path: Path
    before: list[str]
    after: list[str]
    since: str = "the preview"
    analysed: FileStat | None = None

    @property
    def changes(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class WriteOutcome:
    """What writing did to one file. Anything but ``written`` means the file was not touched."""

    path: Path
    status: Literal["written", "unchanged", "refused"]
    reason: str = ""
    rewritten: tuple[FileStat, FileStat] | None = None  # the file's (size, mtime) before and after writing
    owner_changed: bool = False  # refused because the owner changed the genres since: nothing to try again

    def __str__(self) -> str:
        return f"{self.path.name}: {self.status}" + (f" — {self.reason}" if self.reason else "")


def read_tags(path: Path) -> dict[str, list[str]]:
    """The file's own tags that Earmark shows (title, artist, album, year, track, genre), for any format."""
    try:
        return read_fields(path)
    except (MutagenError, OSError) as error:
        raise TagWriteError(f"cannot read tags of {path.name}: {error}") from error
    except Exception as error:  # noqa: BLE001 - whatever a damaged tag makes mutagen raise is that file's error
        raise TagWriteError(f"cannot read tags of {path.name}: {type(error).__name__}: {error}") from error


def read_genres(path: Path) -> list[str]:
    """The genres the file holds, read where writing puts them (:mod:`.genre_field`)."""
    try:
        audio = mutagen.File(str(path))
        return genre_field.genres(audio.tags if audio is not None else None)
    except (MutagenError, OSError) as error:
        raise TagWriteError(f"cannot read tags of {path.name}: {error}") from error
    except Exception as error:  # noqa: BLE001 - whatever a damaged tag makes mutagen raise is that file's error
        raise TagWriteError(f"cannot read tags of {path.name}: {type(error).__name__}: {error}") from error


NOT_ANALYSED = "it is not the audio Earmark analysed (it changed since): tag it again first"


def same_audio(now: FileStat, analysed: FileStat) -> bool:
    """Whether the file is still what was analysed: the same (size, mtime), as incremental runs decide."""
    return (now.size, now.mtime) == (analysed.size, analysed.mtime)


def write_genres(change: GenreChange) -> WriteOutcome:
    """Apply one previewed change, or refuse it; never raises for a problem with this one file.

    The change is written into the symlink's real target (the link stays a link) by copying it
    beside itself, re-reading the copy's genres, tagging the copy, and renaming it over the target.
    What the owner may have done since the preview is never lost: if the genres are no longer the
    ones the preview showed, or the file changes while we write, the file is refused.

    A file with several hard links is refused, not written in place: a rename would split the
    links, and copying the tagged bytes back over the original is not atomic — an interruption
    would leave a half-written file under every name at once. Refusing loses nothing and says why.
    """
    if not change.changes:
        return WriteOutcome(change.path, "unchanged")
    before = file_stat(change.path)
    if change.analysed is not None and not same_audio(before, change.analysed):
        return WriteOutcome(change.path, "refused", NOT_ANALYSED)
    try:
        written = _write_atomically(change)
    except _Refused as refusal:
        return WriteOutcome(change.path, "refused", str(refusal), owner_changed=isinstance(refusal, _OwnerChanged))
    except (MutagenError, OSError) as error:
        return WriteOutcome(change.path, "refused", f"cannot write tags: {error}")
    except Exception as error:  # noqa: BLE001 - whatever a hostile file makes mutagen raise is that file's refusal
        return WriteOutcome(change.path, "refused", f"unexpected error: {error}")
    if not written:
        return WriteOutcome(change.path, "unchanged", "the file already has these genres")
    return WriteOutcome(change.path, "written", rewritten=(before, file_stat(change.path)))


def _fingerprint(info: os.stat_result) -> tuple[int, ...]:
    """What must stay the same between copying the file and replacing it; ctime covers chmod/chown too."""
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _target(path: Path) -> tuple[Path, os.stat_result]:
    """The real file behind ``path`` and its status, or the reason it must not be replaced."""
    try:
        real = path.resolve(strict=True)
    except RuntimeError as error:  # a symlink loop, on Python 3.11
        raise _Refused(f"cannot follow its symlink: {error}") from error
    info = real.stat()
    if not stat.S_ISREG(info.st_mode):
        raise _Refused("not a regular file")
    if info.st_nlink > 1:
        raise _Refused(f"it has {info.st_nlink} hard links, which replacing it would split")
    # Root may write anywhere, but a file or folder without write bits was made read-only on purpose.
    if not info.st_mode & 0o222 or not os.access(real, os.W_OK):
        raise _Refused("the file is read-only")
    if not real.parent.stat().st_mode & 0o222:
        raise _Refused("its folder is read-only")
    return real, info


def _temporary(real: Path) -> Path:
    """A new scratch copy's name beside ``real``; first, the copies that writes killed (kill -9) left there.

    The name says which process made it (``.song.flac.earmark-HOST-PID-XXXX.flac``): a copy whose
    process on this computer is gone is removed, one a live process is writing is left alone.
    """
    prefix = f".{real.name}.earmark-"
    host = this_host()
    for left in real.parent.glob(f"{glob.escape(prefix)}*"):
        owner, _, pid = left.name[len(prefix) :].rpartition("-")[0].rpartition("-")
        if owner == host and pid.isdigit() and not process_alive(int(pid)):
            left.unlink(missing_ok=True)
    handle, name = tempfile.mkstemp(dir=real.parent, prefix=f"{prefix}{host}-{os.getpid()}-", suffix=real.suffix)
    os.close(handle)
    return Path(name)


def _write_atomically(change: GenreChange) -> bool:
    """Replace the real file with a tagged copy; False when it already had the new genres."""
    real, info = _target(change.path)
    try:
        temp = _temporary(real)
    except OSError as error:
        raise _Refused(f"cannot create a temporary file in its folder: {error.strerror or error}") from error
    try:
        shutil.copy2(real, temp)  # bytes, mode, timestamps and extended attributes
        made = temp.stat()
        if (made.st_uid, made.st_gid) != (info.st_uid, info.st_gid):
            try:
                os.chown(temp, info.st_uid, info.st_gid)
            except PermissionError as error:
                raise _Refused("cannot keep its owner (replacing it would change who owns it)") from error
        os.chmod(temp, stat.S_IMODE(info.st_mode))  # again: chown clears set-id bits
        if not _tag_copy(temp, change):
            return False
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
        if _fingerprint(real.stat()) != _fingerprint(info):
            raise _Refused("it changed while the tags were being written")
        os.replace(temp, real)
        _sync_folder(real.parent)
    finally:
        temp.unlink(missing_ok=True)
    return True


def _tag_copy(temp: Path, change: GenreChange) -> bool:
    """Set the genres on the copy, unless its current genres show the owner changed them.

    The copy is read, not the original, so the genres compared are exactly those the rename will
    replace; False when the copy already has the new genres and there is nothing to write.
    """
    audio = mutagen.File(str(temp))
    if audio is None:
        raise _Refused("this format has no tags mutagen can write")
    if audio.tags is None:
        audio.add_tags()
    current = genre_field.genres(audio.tags)
    if genre_field.same(audio.tags, current, change.after):
        return False
    if not genre_field.same(audio.tags, current, change.before):
        raise _OwnerChanged(f"changed since {change.since}: genres are now {'; '.join(current) or 'none'}")
    genre_field.set_genres(audio.tags, change.after)
    genre_field.save(audio)
    return True


def _sync_folder(folder: Path) -> None:
    """Make the rename durable, so a power cut cannot bring the old file back.

    Best effort: the file is already replaced, and some filesystems cannot sync a folder.
    """
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
