"""How a run reads files: the settings every task and engine share, checked when made."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import EarmarkError
from ..models.catalog import COVERAGES


class RequestError(EarmarkError, ValueError):
    """What the user asked for cannot be run as asked; the message says why in one line."""


@dataclass(frozen=True)
class TagOptions:
    segment_seconds: float = 30.0  # timeline resolution; also the unit of decoding
    segment_top_k: int = 5  # labels kept per segment
    batch_size: int | None = None  # windows per forward pass; None: what suits the backend
    decode_workers: int = 1
    retry_errors: bool = False  # re-read files whose earlier attempt failed, even if unchanged
    force: bool = False  # re-tag everything
    coverage: str = "full"  # full | excerpts: a few segments spread over each long file
    excerpts: int = 3

    def __post_init__(self) -> None:
        if (
            self.segment_top_k < 1
            or (self.batch_size or 1) < 1
            or self.decode_workers < 1
            or self.segment_seconds <= 0
            or self.excerpts < 1
        ):
            raise RequestError("top-k, batch size, workers and segment seconds must be positive")
        if self.coverage not in COVERAGES:
            raise RequestError(f"unknown coverage {self.coverage!r} (use {', '.join(COVERAGES)})")
