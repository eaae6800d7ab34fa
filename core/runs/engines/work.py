"""What every engine does the same way, wherever it runs: read a file into items, score segments in batches.

Kept in one place so that a file gives the same error row, and a segment the same scores, on this
computer's threads and on a cluster's workers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from ...audio import DecodeError
from ...models.windows import window_count
from ...records import FileFailure, FileStat
from ..stages import FileEnd, FileError, Segment
from ..task import Task

log = logging.getLogger(__name__)


def read(task: Task, job: int, stat: FileStat, halted: Callable[[], bool]) -> Iterator[Segment | FileEnd | FileError]:
    """The task's decode stage over one file; a file that cannot be read ends in a :class:`FileError`."""
    try:
        yield from task.decode(job, stat, halted)
    except DecodeError as error:
        yield FileError(job, FileFailure(stat, str(error)))
    except Exception as error:  # noqa: BLE001 - one bad file must never end the batch
        # the error row says what happened; where in the code, only to someone debugging (EARMARK_DEBUG=1)
        log.debug("unexpected failure while decoding %s", stat.path, exc_info=True)
        yield FileError(job, FileFailure(stat, f"{type(error).__name__}: {error}"))


def next_batch(segments: list[Segment], size: int) -> tuple[int, int]:
    """How many of the first ``segments`` make one batch of about ``size`` model windows (whole segments),
    and how many windows they hold."""
    take, windows = 0, 0
    while take < len(segments) and windows < size:
        windows += window_count(segments[take].features)
        take += 1
    return take, windows


def score(task: Task, batch: list[Segment]) -> None:
    """Run the model once over ``batch``: each segment keeps its result and drops its inputs (not needed any more)."""
    for segment, result in zip(batch, task.infer([s.features for s in batch]), strict=True):
        segment.features, segment.result = None, result
