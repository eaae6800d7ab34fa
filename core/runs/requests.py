"""What a user asks a run to do, whichever front end asked: plain, checked records.

The CLI builds them from its arguments, the app from its settings; :func:`core.runs.build.build_run`
turns either into the same run. A request that cannot be run says why (:class:`RequestError`)
before anything is loaded or read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..listen.catalog import ListenRequest
from ..models.catalog import DEFAULT_MODEL
from .engines import EngineSpec
from .options import RequestError, TagOptions


def _check_paths(paths: tuple[Path, ...]) -> None:
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise RequestError(f"no such file or folder: {', '.join(missing)}")


@dataclass(frozen=True)
class TagRequest:
    """Label every audio file under ``paths`` with one model."""

    paths: tuple[Path, ...]
    model: str = DEFAULT_MODEL
    backend: str = "auto"  # a runtime of core.models.catalog.RUNTIMES
    device: str = "auto"
    threads: int | None = None  # CPU threads for the model; None: all cores
    options: TagOptions = field(default_factory=TagOptions)
    engine: EngineSpec = field(default_factory=EngineSpec)

    def __post_init__(self) -> None:
        _check_paths(self.paths)


@dataclass(frozen=True)
class CallsRequest:
    """Analyse every call recording under ``paths``: speech, hold music, speakers, the transcript."""

    paths: tuple[Path, ...]
    device: str = "auto"
    options: TagOptions = field(default_factory=TagOptions)
    engine: EngineSpec = field(default_factory=EngineSpec)
    language: str | None = None  # an ISO 639-1 code every call is transcribed in; None: each call's own

    def __post_init__(self) -> None:
        _check_paths(self.paths)
        if self.language is not None:
            from faster_whisper.tokenizer import _LANGUAGE_CODES  # Whisper's languages (faster-whisper is pinned)

            if self.language not in _LANGUAGE_CODES:
                raise RequestError(f"unknown language {self.language!r}: use a code Whisper knows, e.g. en, es, fr, de")


@dataclass(frozen=True)
class KeywordRequest:
    """Find where words are said in every recording under ``paths``; each hit is kept with its time."""

    paths: tuple[Path, ...]
    listen: ListenRequest = field(default_factory=ListenRequest)
    options: TagOptions = field(default_factory=TagOptions)
    engine: EngineSpec = field(default_factory=EngineSpec)

    def __post_init__(self) -> None:
        _check_paths(self.paths)
