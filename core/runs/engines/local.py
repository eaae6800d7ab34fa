"""This computer: decoding threads feed a bounded queue, the calling thread batches and scores.

Decoding and featurising run in worker threads (so memory stays bounded for hour-long files) while
the calling thread batches segments across files, runs the model once per batch and hands over each
file as soon as all its segments are scored. Stopping sets an Event: workers finish their current
segment, nothing half-done is handed over, and a rerun resumes.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ...models.windows import window_count
from ...records import FileFailure, FileStat, FileTags
from ..observer import RunObserver
from ..options import TagOptions
from ..stages import FileError, Pending, Segment
from ..task import Task
from .work import next_batch, read, score

if TYPE_CHECKING:
    from . import EngineSpec

_DONE = object()


class LocalEngine:
    def __init__(self, spec: EngineSpec | None = None) -> None:
        """Nothing to choose beyond the run's options (its decoding threads)."""

    def execute(
        self,
        task: Task,
        jobs: list[FileStat],
        options: TagOptions,
        record: Callable[[FileTags | FileFailure], None],
        observer: RunObserver,
        stop: threading.Event,
    ) -> None:
        if jobs:
            _Execution(task, jobs, options, record, observer, stop).run()


class _Execution:
    """One execution's threads and queue."""

    def __init__(self, task, jobs, options, record, observer, stop) -> None:
        self.task: Task = task
        self.jobs: list[FileStat] = jobs
        self.record = record
        self.observer: RunObserver = observer
        self.stop: threading.Event = stop
        self.halt = threading.Event()  # tells workers to quit: set on stop, or when the run fails
        decoders = max(1, options.decode_workers)
        self.decoders = min(decoders, task.max_decoders or decoders)
        self.items: queue.Queue = queue.Queue(maxsize=max(4, 4 * self.decoders))
        self.next_job = iter(range(len(jobs)))
        self.job_lock = threading.Lock()

    def halted(self) -> bool:
        return self.stop.is_set() or self.halt.is_set()

    def run(self) -> None:
        workers = [threading.Thread(target=self._decode_worker, daemon=True) for _ in range(self.decoders)]
        for worker in workers:
            worker.start()
        pending: dict[int, Pending] = {}
        waiting: list[Segment] = []
        running = len(workers)
        try:
            while running:
                item = self.items.get()
                batch_ready = False
                while True:
                    if item is _DONE:
                        running -= 1
                    elif isinstance(item, FileError):
                        self.record(item.failure)
                        pending.pop(item.job, None)
                        waiting = [s for s in waiting if s.job != item.job]
                    elif isinstance(item, Segment):
                        file = pending.setdefault(item.job, Pending(self.jobs[item.job]))
                        if item.features is None:
                            file.segments[item.index] = item
                        else:
                            waiting.append(item)
                    else:
                        pending.setdefault(item.job, Pending(self.jobs[item.job])).end = item
                    batch_ready = sum(window_count(s.features) for s in waiting) >= self.task.batch_size
                    if batch_ready or not running:
                        break
                    try:
                        item = self.items.get_nowait()
                    except queue.Empty:
                        break
                if self.stop.is_set():
                    break
                waiting = self._infer(waiting, pending, flush=not batch_ready)
                for job in [job for job, p in pending.items() if p.complete]:
                    self.record(self.task.finish(pending.pop(job)))
        finally:
            self.halt.set()
            for worker in workers:
                while worker.is_alive():
                    _drain(self.items)
                    worker.join(timeout=0.05)

    def _infer(self, waiting: list[Segment], pending: dict[int, Pending], flush: bool) -> list[Segment]:
        """Score whole segments in batches of about ``batch_size`` windows; return the unscored."""
        size = self.task.batch_size
        while waiting:
            take, windows = next_batch(waiting, size)
            if windows < size and not flush:
                break
            batch, waiting = waiting[:take], waiting[take:]
            score(self.task, batch)
            for segment in batch:
                pending[segment.job].segments[segment.index] = segment
        return waiting

    def _decode_worker(self) -> None:
        try:
            self._decode_jobs()
        finally:  # always say so, or a model thread waiting for more audio would wait forever
            self._put(_DONE, force=True)

    def _decode_jobs(self) -> None:
        while not self.halted():
            with self.job_lock:
                job = next(self.next_job, None)
            if job is None:
                return
            stat = self.jobs[job]
            self.observer.file_started(stat)
            for item in read(self.task, job, stat, self.halted):
                if not self._put(item):
                    return

    def _put(self, item: object, force: bool = False) -> bool:
        """Queue an item, giving up when the run is stopped (unless ``force``)."""
        while force or not self.halted():
            try:
                self.items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


def _drain(items: queue.Queue) -> None:
    try:
        while True:
            items.get_nowait()
    except queue.Empty:
        return
