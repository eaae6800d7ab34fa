"""Model folders on the move: packed into bytes on this computer, unpacked once per worker machine.

A cluster engine sends a task's model folders to its workers itself (never through a hub), and a
worker machine keeps one copy per folder content, shared by its workers: a folder is unpacked in a
scratch folder and renamed into place, so a worker never loads half of one, and a second worker
unpacking the same content at the same moment simply uses the first one's.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...models.install import staging

CACHE = "earmark-models"  # under the worker machine's temporary folder


@dataclass(frozen=True)
class Packed:
    """A folder's files by relative path, named by its content."""

    name: str  # the folder's own name, kept: a model is named after its folder
    digest: str
    files: dict[str, bytes]


def pack(folder: Path) -> Packed:
    """Every regular file under ``folder``, read into memory (model folders hold weights, not libraries)."""
    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    digest = hashlib.sha256()
    for relative, data in files.items():
        digest.update(relative.encode() + b"\0" + hashlib.sha256(data).digest())
    return Packed(folder.name, digest.hexdigest()[:24], files)


def unpacked(name: str, digest: str, fetch: Callable[[], Packed], root: Path | None = None) -> Path:
    """The local copy of a packed folder, unpacked from ``fetch()`` the first time this machine needs it."""
    target = (root or Path(tempfile.gettempdir()) / CACHE) / digest / name
    if target.is_dir():
        return target
    packed = fetch()
    with staging(target) as scratch:
        built = scratch / name
        for relative, data in packed.files.items():
            (built / relative).parent.mkdir(parents=True, exist_ok=True)
            (built / relative).write_bytes(data)
        try:
            built.rename(target)
        except OSError:
            if not target.is_dir():  # not another worker's copy of the same content: a real failure
                raise
    return target
