"""Keyword search through recordings: the streaming detectors over every file, hits kept with their times.

The keyword spotter is registered as a model whose labels are its words; a file's labels are the
words heard in it (best score first) and every hit is a segment (start, end, word, score), so the
results views filter by word and play a hit like any segment.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ...audio import probe
from ...listen.catalog import ListenRequest, ListenSpec, spotter_for
from ...listen.detector import FRAME_SAMPLES, SAMPLE_RATE, Detection, Spotter
from ...listen.sources import file_frames
from ...records import FileStat, FileTags, LabelScore, SegmentTags
from ...store import Store
from ..observer import RunObserver
from ..recipe import Recipe
from ..requests import KeywordRequest
from ..run import Run
from ..stages import FileEnd, Pending, Segment

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


def keyword_model(spec: ListenSpec, spotter: Spotter) -> KeywordModel:
    """Named for its words; versioned by everything that changes hits, so a changed setting re-reads files."""
    policy = spotter.policy
    settings = f"{spec.describe()};thresholds={sorted(policy.thresholds.items())};patience={policy.patience}"
    version = hashlib.sha256(f"{settings};refractory={policy.refractory_s}".encode()).hexdigest()[:16]
    licence = "; ".join(spec.notices) or None
    words = spotter.detector.words
    # one stored model per examples folder: adding a wake word or an example is a new version of it, not a new model
    name = spec.keyword_examples.name if spec.keyword_examples is not None else ",".join(words)
    return KeywordModel(f"keywords:{name}", version, list(words), licence)


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


class KeywordTask:
    """The spotter streams through each file in its decode stage: its state is per file, so one at a time."""

    max_decoders = 1
    batch_size = 1
    recipe: Recipe | None = None  # set by build(): how a cluster worker loads the same detectors

    def __init__(self, spec: ListenSpec, spotter: Spotter) -> None:
        self.spotter = spotter
        self.analyser = keyword_model(spec, spotter)

    def describe(self) -> str:
        return "keyword spotting on cpu"

    def decode(self, job: int, stat: FileStat, halted: Callable[[], bool]) -> Iterator[Segment | FileEnd]:
        info = probe(stat.path)
        self.spotter.reset()
        detections: list[Detection] = []
        for frame in file_frames(stat.path, info):
            if halted():
                return  # nothing of this file is handed over; a rerun reads it again
            detections += self.spotter.feed(frame)
        duration = self.spotter.samples / SAMPLE_RATE
        if info.duration_s:
            duration = min(duration, info.duration_s + FRAME_SAMPLES / SAMPLE_RATE)
        yield Segment(job, 0, 0.0, duration, None, detections)
        yield FileEnd(job, info, duration, 1)

    def infer(self, inputs: list) -> list:
        raise NotImplementedError("keyword segments are analysed while decoding")

    def finish(self, pending: Pending) -> FileTags:
        assert pending.end is not None
        [segment] = pending.ordered()
        labels, segments = file_hits(segment.result, pending.end.duration_s)
        return FileTags(pending.stat, pending.end.info, pending.end.duration_s, labels, segments)

    def coverage(self, tags: FileTags) -> str:
        return "full"


def build(request: KeywordRequest, store: Store, observer: RunObserver | None, stop: threading.Event | None) -> Run:
    """The detectors load now: the words they offer name the keyword model that planning looks up."""
    spec = request.listen.spec
    task = KeywordTask(spec, spotter_for(request.listen))
    task.recipe = recipe(request.listen)
    return Run(task.analyser, lambda: task, store, request.options, observer, stop, request.engine)


def recipe(listen: ListenRequest) -> Recipe:
    """Packaged detectors load from a worker's own install; the user's examples and model travel as folders."""
    folders: dict[str, Path] = {}
    if listen.spec.keyword_examples is not None:
        folders["examples"] = listen.spec.keyword_examples
    if listen.spec.model:
        from ...models.registry import resolve

        folders["model"] = resolve(listen.spec.model).path
    return Recipe(rebuild, {"listen": listen}, folders, listen.device)


def rebuild(listen: ListenRequest, device: str, examples: Path | None = None, model: Path | None = None) -> KeywordTask:
    """The task on a cluster worker, reading the copies of the folders shipped there."""
    spec = replace(listen.spec, keyword_examples=examples, model=str(model) if model else None)
    return KeywordTask(spec, spotter_for(replace(listen, spec=spec, device=device)))
