"""The batch tagging pipeline: scan -> plan -> decode -> window -> infer -> aggregate -> store.

Stages are plain functions; :class:`TagRun` decides concurrency. Decoding and featurising run
in worker threads that feed a bounded queue (so memory stays bounded for hour-long files) while
the calling thread batches windows across files, runs the model once per batch and commits each
file as soon as all its windows are scored. Stopping (Ctrl-C, the GUI's cancel) sets an Event:
workers finish their current segment, nothing half-done is written, and a rerun resumes.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from .audio import AudioInfo, DecodeError, Span, probe, stream_segments
from .models.backend import Backend
from .models.registry import ModelInfo
from .models.windows import Features, concat_features, window_count
from .records import FileFailure, FileStat, FileTags, LabelScore, SegmentTags
from .scan import scan
from .store import Store

log = logging.getLogger(__name__)


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


@dataclass
class Plan:
    """What a run will do: the files to read, and what it can skip."""

    jobs: list[FileStat]
    skipped: int
    present: set[str]
    problems: list[str]


@dataclass
class RunSummary:
    run_id: int
    seen: int = 0
    tagged: int = 0
    failed: int = 0
    skipped: int = 0
    missing: int = 0
    audio_seconds: float = 0.0
    elapsed_s: float = 0.0
    interrupted: bool = False
    problems: list[str] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)

    @property
    def decoded(self) -> int:
        return self.tagged + self.failed


class RunObserver:
    """What a front end hears about a run (the CLI's progress bar, the GUI's signals).

    The base class hears nothing; front ends override what they show.
    """

    def planned(self, plan: Plan) -> None:
        """The files to read are known (called once, before decoding starts)."""

    def file_started(self, stat: FileStat) -> None:
        """A decoding thread opened a file (called from that thread)."""

    def file_done(self, outcome: FileTags | FileFailure) -> None:
        """A file's result was committed (called from the thread running the model)."""


def warm_up() -> None:
    """Pay the DSP stack's one-time costs (lazy imports, compiled kernels) on the calling thread.

    The first STFT in a process imports half of librosa and its compiled helpers, holding the GIL
    for a few hundred ms. A GUI calls this before its event loop runs, so that the first tagging
    run in a worker thread cannot freeze the window.
    """
    import librosa
    import soxr

    librosa.stft(np.zeros(2048, dtype=np.float32), n_fft=512, hop_length=256)
    soxr.resample(np.zeros(4410, dtype=np.float32), 44100, 16000)


def file_stat(path: Path) -> FileStat:
    """(size, mtime) of a file; -1 for both when it cannot be stat'ed (a dangling link)."""
    try:
        st = os.stat(path)
    except OSError:
        return FileStat(path, -1, -1.0)
    return FileStat(path, st.st_size, st.st_mtime)


def plan_run(paths: Iterable[Path], store: Store, name: str, version: str, options: TagOptions) -> Plan:
    """Scan ``paths`` and keep the files that this model version has not seen as they are now."""
    problems: list[str] = []
    prior = {} if options.force else store.prior_analyses(name, version)
    jobs: list[FileStat] = []
    present: set[str] = set()
    skipped = 0
    for path in scan(paths, problems):
        stat = file_stat(path)
        present.add(str(path))
        earlier = prior.get(str(path))
        covered = earlier is not None and earlier.coverage in ("full", options.coverage)
        if earlier and covered and earlier.matches(stat) and (earlier.status == "tagged" or not options.retry_errors):
            skipped += 1
        else:
            jobs.append(stat)
    return Plan(jobs, skipped, present, problems)


# --- the decode stage (worker threads) ---------------------------------------------------------


@dataclass
class _Segment:
    job: int
    index: int
    start_s: float
    end_s: float
    features: Features


@dataclass
class _FileEnd:
    job: int
    info: AudioInfo
    duration_s: float
    segments: int


@dataclass
class _FileError:
    job: int
    failure: FileFailure


def excerpt_spans(duration_s: float | None, options: TagOptions) -> list[Span] | None:
    """Where the excerpts of a file lie: ``options.excerpts`` segments centred on equal parts of it.

    None (decode everything) in full mode, when the length is unknown, or when the file is too
    short for excerpts to save anything.
    """
    length = options.segment_seconds
    if options.coverage != "excerpts" or not duration_s or duration_s <= options.excerpts * length * 1.5:
        return None
    centres = [(2 * k + 1) * duration_s / (2 * options.excerpts) for k in range(options.excerpts)]
    return [Span(max(0.0, min(centre - length / 2, duration_s - length)), length) for centre in centres]


def decode_file(job: int, stat: FileStat, backend: Backend, options: TagOptions) -> Iterator[_Segment | _FileEnd]:
    """Decode one file into featurised segments, then its end marker.

    A short tail (less than one model window) is folded into the segment before it, so no
    window is made of a sliver of audio repeated.
    """
    info = probe(stat.path)
    rate = backend.sampling_rate
    spans = excerpt_spans(info.duration_s, options)
    if spans is not None:
        for index, span in enumerate(spans):
            audio = np.concatenate(list(stream_segments(stat.path, info, rate, span.seconds or 0, span)))
            yield _Segment(job, index, span.start_s, span.start_s + len(audio) / rate, backend.preprocess(audio))
        yield _FileEnd(job, info, float(info.duration_s or 0.0), len(spans))
        return
    min_tail = int(backend.windowing.window_seconds * rate)
    held: np.ndarray | None = None
    index = 0
    position = 0
    for audio in stream_segments(stat.path, info, rate, options.segment_seconds):
        if held is not None and len(audio) < min_tail:
            audio = np.concatenate([held, audio])
        elif held is not None:
            yield _Segment(job, index, position / rate, (position + len(held)) / rate, backend.preprocess(held))
            index += 1
            position += len(held)
        held = audio
    assert held is not None  # stream_segments raises when it yields nothing
    yield _Segment(job, index, position / rate, (position + len(held)) / rate, backend.preprocess(held))
    yield _FileEnd(job, info, (position + len(held)) / rate, index + 1)


# --- aggregation ----------------------------------------------------------------------------------


@dataclass
class _Pending:
    """A file whose windows are still being scored."""

    stat: FileStat
    scores: dict[int, tuple[float, float, np.ndarray]] = field(default_factory=dict)
    end: _FileEnd | None = None

    @property
    def complete(self) -> bool:
        return self.end is not None and len(self.scores) == self.end.segments


def aggregate(pending: _Pending, labels: list[str], top_k: int) -> FileTags:
    """File score = mean over all its windows; each segment keeps its own top-k."""
    assert pending.end is not None
    ordered = [pending.scores[i] for i in sorted(pending.scores)]
    file_scores = np.concatenate([scores for _, _, scores in ordered]).mean(axis=0)
    segments = []
    for index, (start, end, scores) in enumerate(ordered):
        mean = scores.mean(axis=0)
        segments.append(SegmentTags(index, start, end, _ranked(labels, mean)[:top_k]))
    return FileTags(pending.stat, pending.end.info, pending.end.duration_s, _ranked(labels, file_scores), segments)


def _ranked(labels: list[str], scores: np.ndarray) -> list[LabelScore]:
    order = np.argsort(-scores, kind="stable")
    return [LabelScore(labels[i], float(scores[i])) for i in order]


# --- the run ------------------------------------------------------------------------------------


_DONE = object()


class Analyser(Protocol):
    """What a run registers in the store: a model's identity (a :class:`ModelInfo`, or a keyword spec)."""

    name: str
    path: str | None
    labels: list[str]
    label_groups: dict[str, list[str]]
    licence: str | None

    @property
    def version(self) -> str: ...


class Run:
    """What every batch run shares: the run row, planning against the store, and a clean stop.

    Subclasses say what they analyse (:attr:`info`, :meth:`describe`) and analyse the planned
    files in :meth:`_tag`, committing each file whole through the store.
    """

    def __init__(
        self,
        store: Store,
        options: TagOptions | None = None,
        observer: RunObserver | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.options = options or TagOptions()
        self.observer = observer or RunObserver()
        self.stop = stop or threading.Event()

    @property
    def info(self) -> Analyser:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def run(self, paths: list[Path]) -> RunSummary:
        info = self.info
        version = info.version
        model_id = self.store.register_model(
            info.name, version, info.path, info.labels, info.label_groups, info.licence
        )
        roots = [Path(os.path.abspath(p)) for p in paths]
        run_id = self.store.start_run(model_id, [str(r) for r in roots], self.describe())
        summary = RunSummary(run_id)
        started = time.monotonic()
        try:
            plan = plan_run(roots, self.store, info.name, version, self.options)
            summary.seen = len(plan.present)
            summary.skipped = plan.skipped
            summary.problems = plan.problems
            summary.missing = self.store.mark_missing([r for r in roots if r.is_dir()], plan.present)
            self.observer.planned(plan)
            # numpy's BLAS threads would spin on the cores the model needs; the mel matmul is small
            with threadpool_limits(limits=1, user_api="blas"):
                self._tag(plan.jobs, model_id, run_id, summary)
        except KeyboardInterrupt:
            self.stop.set()
        finally:
            summary.interrupted = self.stop.is_set()
            summary.elapsed_s = time.monotonic() - started
            self.store.finish_run(
                run_id,
                "interrupted" if summary.interrupted else "completed",
                summary.seen,
                summary.tagged,
                summary.failed,
                summary.skipped,
                summary.audio_seconds,
            )
        return summary

    def _tag(self, jobs: list[FileStat], model_id: int, run_id: int, summary: RunSummary) -> None:
        raise NotImplementedError

    def _commit(self, tags: FileTags, model_id: int, run_id: int, summary: RunSummary, coverage: str) -> None:
        self.store.save_tags(run_id, model_id, self.info.name, tags, coverage)
        summary.tagged += 1
        summary.audio_seconds += tags.duration_s
        self.observer.file_done(tags)

    def _commit_failure(self, failure: FileFailure, model_id: int, run_id: int, summary: RunSummary) -> None:
        self.store.save_failure(run_id, model_id, self.info.name, failure)
        summary.failed += 1
        summary.failures.append(failure)
        self.observer.file_done(failure)


class TagRun(Run):
    """One run of one model over some folders, writing into the store."""

    def __init__(
        self,
        backend: Backend,
        store: Store,
        options: TagOptions | None = None,
        observer: RunObserver | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        super().__init__(store, options, observer, stop)
        self.backend = backend
        self.batch_size = self.options.batch_size or backend.preferred_batch_size
        self._halt = threading.Event()  # tells workers to quit: set on stop, or when the run fails

    @property
    def info(self) -> ModelInfo:
        return self.backend.info

    def describe(self) -> str:
        return self.backend.describe()

    def _halted(self) -> bool:
        return self.stop.is_set() or self._halt.is_set()

    def _tag(self, jobs: list[FileStat], model_id: int, run_id: int, summary: RunSummary) -> None:
        if not jobs:
            return
        self._halt.clear()
        items: queue.Queue = queue.Queue(maxsize=max(4, 4 * self.options.decode_workers))
        next_job = iter(range(len(jobs)))
        job_lock = threading.Lock()
        workers = [
            threading.Thread(target=self._decode_worker, args=(jobs, next_job, job_lock, items), daemon=True)
            for _ in range(max(1, self.options.decode_workers))
        ]
        for worker in workers:
            worker.start()
        pending: dict[int, _Pending] = {}
        waiting: list[_Segment] = []
        running = len(workers)
        try:
            while running:
                item = items.get()
                batch_ready = False
                while True:
                    if item is _DONE:
                        running -= 1
                    elif isinstance(item, _FileError):
                        self._commit_failure(item.failure, model_id, run_id, summary)
                        pending.pop(item.job, None)
                        waiting = [s for s in waiting if s.job != item.job]
                    elif isinstance(item, _Segment):
                        pending.setdefault(item.job, _Pending(jobs[item.job]))
                        waiting.append(item)
                    else:
                        pending.setdefault(item.job, _Pending(jobs[item.job])).end = item
                    batch_ready = sum(window_count(s.features) for s in waiting) >= self.batch_size
                    if batch_ready or not running:
                        break
                    try:
                        item = items.get_nowait()
                    except queue.Empty:
                        break
                if self.stop.is_set():
                    break
                waiting = self._infer(waiting, pending, flush=not batch_ready)
                for job in [job for job, p in pending.items() if p.complete]:
                    tags = aggregate(pending.pop(job), self.backend.labels, self.options.segment_top_k)
                    self._commit(tags, model_id, run_id, summary, self._coverage(tags))
        finally:
            self._halt.set()
            for worker in workers:
                while worker.is_alive():
                    _drain(items)
                    worker.join(timeout=0.05)

    def _infer(self, waiting: list[_Segment], pending: dict[int, _Pending], flush: bool) -> list[_Segment]:
        """Score whole segments in batches of about ``batch_size`` windows; return the unscored."""
        while waiting:
            take, windows = 0, 0
            while take < len(waiting) and windows < self.batch_size:
                windows += window_count(waiting[take].features)
                take += 1
            if windows < self.batch_size and not flush:
                break
            batch, waiting = waiting[:take], waiting[take:]
            scores = self.backend.forward(concat_features([s.features for s in batch]))
            offset = 0
            for segment in batch:
                count = window_count(segment.features)
                pending[segment.job].scores[segment.index] = (
                    segment.start_s,
                    segment.end_s,
                    scores[offset : offset + count],
                )
                offset += count
        return waiting

    def _coverage(self, tags: FileTags) -> str:
        return "excerpts" if excerpt_spans(tags.info.duration_s, self.options) else "full"

    def _decode_worker(
        self, jobs: list[FileStat], next_job: Iterator[int], lock: threading.Lock, items: queue.Queue
    ) -> None:
        try:
            self._decode_jobs(jobs, next_job, lock, items)
        finally:  # always say so, or a model thread waiting for more audio would wait forever
            self._put(items, _DONE, force=True)

    def _decode_jobs(
        self, jobs: list[FileStat], next_job: Iterator[int], lock: threading.Lock, items: queue.Queue
    ) -> None:
        while not self._halted():
            with lock:
                job = next(next_job, None)
            if job is None:
                return
            stat = jobs[job]
            self.observer.file_started(stat)
            try:
                for item in decode_file(job, stat, self.backend, self.options):
                    if not self._put(items, item):
                        return
            except DecodeError as error:
                self._put(items, _FileError(job, FileFailure(stat, str(error))))
            except Exception as error:  # noqa: BLE001 - one bad file must never end the batch
                log.exception("unexpected failure while decoding %s", stat.path)
                self._put(items, _FileError(job, FileFailure(stat, f"{type(error).__name__}: {error}")))

    def _put(self, items: queue.Queue, item: object, force: bool = False) -> bool:
        """Queue an item, giving up when the run is stopped (unless ``force``)."""
        while force or not self._halted():
            try:
                items.put(item, timeout=0.1)
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
