"""One run, whatever its task and engine: the run row, the plan, loading only when there is work, a clean stop.

The store keeps a single writer (this thread): each file's result is committed in one transaction
as the engine hands it over, so a killed run leaves whole files or nothing and a rerun resumes.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from threadpoolctl import threadpool_limits

from ..filetags import read_metadata
from ..records import FileFailure, FileStat, FileTags
from ..store import Store, StoreError
from .engines import Engine, EngineSpec, engine
from .observer import RunObserver, RunSummary
from .options import TagOptions
from .plan import plan_run
from .task import Analyser, Task

TAGS_CHUNK = 500  # files whose tags are read, then written in one transaction


class Run:
    """A task over some folders, written into the store.

    ``load`` makes the task (loads its model); it is called only once planning has found files to
    read, so a rerun over an unchanged library loads nothing.
    """

    def __init__(
        self,
        analyser: Analyser,
        load: Callable[[], Task],
        store: Store,
        options: TagOptions | None = None,
        observer: RunObserver | None = None,
        stop: threading.Event | None = None,
        engine_spec: EngineSpec | None = None,
    ) -> None:
        self.analyser = analyser
        self.load = load
        self.store = store
        self.options = options or TagOptions()
        self.observer = observer or RunObserver()
        self.stop = stop or threading.Event()
        self.engine: Engine = engine(engine_spec or EngineSpec())
        self.task: Task | None = None

    def run(self, paths: list[Path]) -> RunSummary:
        info = self.analyser
        version = info.version
        model_id = self.store.register_model(
            info.name, version, info.path, info.labels, info.label_groups, info.licence
        )
        roots = [Path(os.path.abspath(p)) for p in paths]
        self.store.close_abandoned_runs()
        run_id = self.store.start_run(model_id, [str(r) for r in roots])
        summary = RunSummary(run_id)
        started = time.monotonic()
        status = "failed"  # unless it gets to the end, or is stopped
        try:
            plan = plan_run(roots, self.store, info.name, version, self.options)
            summary.seen = len(plan.present)
            summary.skipped = plan.skipped
            summary.problems = plan.problems
            if plan.jobs:
                self.task = self.task or self.load()
                self.store.set_run_backend(run_id, self.task.describe())
                self.observer.loaded(self.task.describe())
            summary.missing = self.store.mark_missing([r for r in roots if r.is_dir()], plan.present)
            self.observer.planned(plan)
            self._read_file_tags(plan.stale_tags)
            if self.task is not None and plan.jobs:
                # numpy's BLAS threads would spin on the cores the model needs; the mel matmul is small
                with threadpool_limits(limits=1, user_api="blas"):
                    self.engine.execute(self.task, plan.jobs, self.options, self._recorder(model_id, summary),
                                        self.observer, self.stop)  # fmt: skip
            status = "completed"
        except KeyboardInterrupt:
            self.stop.set()
        except StoreError as error:  # the disk filled up, the database went away...
            if summary.decoded:
                raise StoreError(f"{error}; {summary.decoded} file(s) done are kept, rerun to resume") from error
            raise
        finally:
            summary.interrupted = self.stop.is_set()
            summary.elapsed_s = time.monotonic() - started
            self._finish(run_id, "interrupted" if summary.interrupted else status, summary)
        return summary

    def _read_file_tags(self, stats: list[FileStat]) -> None:
        """Read the own tags (artist, title...) of the files changed since they were last read, or never read.

        Cheap (a fraction of a millisecond a file), needs no model, and fills in a library analysed before
        Earmark kept these tags without analysing it again. Written in chunks, so other writers wait little.
        """
        for start in range(0, len(stats), TAGS_CHUNK):
            if self.stop.is_set():
                return
            chunk = stats[start : start + TAGS_CHUNK]
            self.store.save_file_metadata([(stat, read_metadata(stat.path)) for stat in chunk])

    def _finish(self, run_id: int, status: str, summary: RunSummary) -> None:
        failing = sys.exc_info()[1]
        try:
            self.store.finish_run(run_id, status, summary.seen, summary.tagged, summary.failed, summary.skipped,
                                  summary.audio_seconds)  # fmt: skip
        except StoreError:
            if failing is None:
                raise
            # the run is failing because the store cannot be written: the user hears that reason; the row
            # stays `running` and the next run marks it interrupted (its process is gone by then)

    def _recorder(self, model_id: int, summary: RunSummary) -> Callable[[FileTags | FileFailure], None]:
        """Commit one file's outcome, as the engine hands it over (on this thread)."""
        name, run_id = self.analyser.name, summary.run_id
        task = self.task
        assert task is not None

        def record(outcome: FileTags | FileFailure) -> None:
            if isinstance(outcome, FileTags):
                self.store.save_tags(run_id, model_id, name, outcome, task.coverage(outcome))
                summary.tagged += 1
                summary.audio_seconds += outcome.duration_s
            else:
                self.store.save_failure(run_id, model_id, name, outcome)
                summary.failed += 1
                summary.failures.append(outcome)
            self.observer.file_done(outcome)

        return record
