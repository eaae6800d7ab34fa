"""Find the audio files under the folders a user points at, and their fingerprints for planning.

Recursive, by extension, hidden files and folders skipped, in a stable (sorted) order, and safe
against symlink loops: each real directory is walked once. Files named explicitly are taken
as they are, whatever their extension.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .records import FileStat

AUDIO_EXTENSIONS = frozenset(
    {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".m4a", ".aac", ".aif", ".aiff", ".aifc", ".wma"}
)


def is_audio_name(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in AUDIO_EXTENSIONS


def file_stat(path: Path) -> FileStat:
    """(size, mtime) of a file; -1 for both when it cannot be stat'ed (a dangling link)."""
    try:
        st = os.stat(path)
    except OSError:
        return FileStat(path, -1, -1.0)
    return FileStat(path, st.st_size, st.st_mtime)


def scan(paths: Iterable[Path], problems: list[str] | None = None) -> Iterator[Path]:
    """Yield absolute paths of audio files under ``paths`` (each at most once).

    Folders that cannot be listed are skipped; a line saying why is appended to ``problems``.
    """
    problems = problems if problems is not None else []
    seen_files: set[Path] = set()
    visited_dirs: set[tuple[int, int]] = set()
    for root in paths:
        root = Path(os.path.abspath(root))
        if root.is_dir():
            for path in _walk(root, visited_dirs, problems):
                if path not in seen_files:
                    seen_files.add(path)
                    yield path
        elif root not in seen_files:
            seen_files.add(root)
            yield root


def _walk(directory: Path, visited: set[tuple[int, int]], problems: list[str]) -> Iterator[Path]:
    try:
        stat = directory.stat()
    except OSError as error:
        problems.append(f"{directory}: {error.strerror or error}")
        return
    key = (stat.st_dev, stat.st_ino)
    if key in visited:  # a symlink loop, or a folder reached twice
        return
    visited.add(key)
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as error:
        problems.append(f"{directory}: cannot list folder ({error.strerror or error})")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=True)
        except OSError:  # a link to itself, or a loop of links: not a folder; a file's error row says why
            is_dir = False
        if is_dir:
            yield from _walk(path, visited, problems)
        elif is_audio_name(entry.name):
            yield path  # dangling links included: they get an error row that says so
