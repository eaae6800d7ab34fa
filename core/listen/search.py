"""Keyword search through recordings: the streaming detectors over every file of a folder.

It is a batch run like tagging (:class:`~core.pipeline.Run`): the same planning, resume and
error rows, the same store. The keyword spotter is registered as a model whose labels are its
words; a file's labels are the words heard in it (best score first) and every hit is a segment
(start, end, word, score), so the results views filter by word and play a hit like any segment.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass

from ..audio import DecodeError, probe
from ..pipeline import Run, RunObserver, RunSummary, TagOptions
from ..records import FileFailure, FileStat, FileTags, LabelScore, SegmentTags
from ..store import Store
from .catalog import ListenSpec
from .detector import FRAME_SAMPLES, SAMPLE_RATE, Detection, Detector, Spotter, TriggerPolicy

log = logging.getLogger(__name__)

HIT_LEAD_S = 1.5  # a hit's segment starts this long before the frame that fired: the phrase itself


@dataclass(frozen=True)
class KeywordModel:
    """The keyword spotter as the store sees a model."""

    name: str
    version: str
    labels: list[str]
    licence: str | None = None
    path: str | None = None

    @property
    def label_groups(self) -> dict[str, list[str]]:
        return {"keywords": self.labels}


def keyword_model(spec: ListenSpec, detector: Detector, policy: TriggerPolicy) -> KeywordModel:
    """Named for its words; versioned by everything that changes hits, so a changed setting re-reads files."""
    settings = f"{spec.describe()};thresholds={sorted(policy.thresholds.items())};patience={policy.patience}"
    version = hashlib.sha256(f"{settings};refractory={policy.refractory_s}".encode()).hexdigest()[:16]
    licence = "; ".join(spec.notices) or None
    return KeywordModel(f"keywords:{','.join(detector.words)}", version, list(detector.words), licence)


def file_hits(detections: list[Detection], duration_s: float) -> tuple[list[LabelScore], list[SegmentTags]]:
    """A file's words (best score each, best first) and its hits as timeline segments."""
    best: dict[str, float] = {}
    for hit in detections:
        best[hit.word] = max(best.get(hit.word, 0.0), hit.score)
    labels = [LabelScore(word, score) for word, score in sorted(best.items(), key=lambda item: -item[1])]
    segments = []
    for i, hit in enumerate(detections):
        start = max(0.0, hit.time_s - HIT_LEAD_S)
        segments.append(SegmentTags(i, start, min(hit.time_s, duration_s), [LabelScore(hit.word, hit.score)]))
    return labels, segments


class KeywordRun(Run):
    def __init__(
        self,
        spec: ListenSpec,
        detector: Detector,
        store: Store,
        policy: TriggerPolicy | None = None,
        options: TagOptions | None = None,
        observer: RunObserver | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        super().__init__(store, options, observer, stop)
        self.policy = policy or TriggerPolicy()
        self.spotter = Spotter(detector, self.policy)
        self._info = keyword_model(spec, detector, self.policy)

    @property
    def info(self) -> KeywordModel:
        return self._info

    def describe(self) -> str:
        return "keyword spotting on cpu"

    def _tag(self, jobs: list[FileStat], model_id: int, run_id: int, summary: RunSummary) -> None:
        from .sources import file_frames

        for stat in jobs:
            if self.stop.is_set():
                return
            self.observer.file_started(stat)
            try:
                info = probe(stat.path)
                self.spotter.reset()
                detections: list[Detection] = []
                for frame in file_frames(stat.path, info):
                    if self.stop.is_set():
                        return  # nothing of this file is written; a rerun reads it again
                    detections += self.spotter.feed(frame)
            except DecodeError as error:
                self._commit_failure(FileFailure(stat, str(error)), model_id, run_id, summary)
                continue
            except Exception as error:  # noqa: BLE001 - one bad file must never end the batch
                log.exception("unexpected failure while searching %s", stat.path)
                self._commit_failure(FileFailure(stat, f"{type(error).__name__}: {error}"), model_id, run_id, summary)
                continue
            duration = self.spotter.samples / SAMPLE_RATE
            if info.duration_s:
                duration = min(duration, info.duration_s + FRAME_SAMPLES / SAMPLE_RATE)
            labels, segments = file_hits(detections, duration)
            self._commit(FileTags(stat, info, duration, labels, segments), model_id, run_id, summary, "full")
