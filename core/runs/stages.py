"""The stages of a run as plain functions: decode a file into featurised segments, score, aggregate.

An engine decides where and how concurrently they run (:mod:`core.runs.engines`); a task decides
which of them it uses (:mod:`core.runs.tasks`). Items that pass between stages are plain records,
so that they can cross threads, processes or machines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..audio import AudioInfo, Span, probe, stream_segments
from ..models.windows import Features
from ..records import FileFailure, FileStat, FileTags, LabelScore, SegmentTags
from .options import TagOptions

if TYPE_CHECKING:
    from ..models.backend import Backend


@dataclass
class Segment:
    """A stretch of one file: its model inputs until scored, then what the model made of them."""

    job: int
    index: int
    start_s: float
    end_s: float
    features: Features | None  # None: the task's decode stage analysed it already
    result: object = None  # scores per window (a tagger), detections (a spotter)...
    heard: object = None  # what the task's listener made of its audio (a music tagger's guard)


@dataclass
class FileEnd:
    """A file is fully decoded into ``segments`` segments."""

    job: int
    info: AudioInfo
    duration_s: float
    segments: int


@dataclass
class FileError:
    job: int
    failure: FileFailure


@dataclass
class Pending:
    """A file whose segments are still being scored."""

    stat: FileStat
    segments: dict[int, Segment] = field(default_factory=dict)  # scored ones, by index
    end: FileEnd | None = None

    @property
    def complete(self) -> bool:
        return self.end is not None and len(self.segments) == self.end.segments

    def ordered(self) -> list[Segment]:
        return [self.segments[i] for i in sorted(self.segments)]


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


def decode_file(
    job: int,
    stat: FileStat,
    backend: Backend,
    options: TagOptions,
    listen: Callable[[np.ndarray], object] | None = None,
) -> Iterator[Segment | FileEnd]:
    """Decode one file into featurised segments, then its end marker.

    A short tail (less than one model window) is folded into the segment before it, so no
    window is made of a sliver of audio repeated. ``listen``, when given, hears each segment's
    audio too; what it returns is kept as the segment's ``heard``.
    """
    info = probe(stat.path)
    rate = backend.sampling_rate

    def segment(index: int, start_s: float, audio: np.ndarray) -> Segment:
        heard = listen(audio) if listen is not None else None
        return Segment(job, index, start_s, start_s + len(audio) / rate, backend.preprocess(audio), heard=heard)

    spans = excerpt_spans(info.duration_s, options)
    if spans is not None:
        for index, span in enumerate(spans):
            audio = np.concatenate(list(stream_segments(stat.path, info, rate, span.seconds or 0, span)))
            yield segment(index, span.start_s, audio)
        yield FileEnd(job, info, float(info.duration_s or 0.0), len(spans))
        return
    min_tail = int(backend.windowing.window_seconds * rate)
    held: np.ndarray | None = None
    index = 0
    position = 0
    for audio in stream_segments(stat.path, info, rate, options.segment_seconds):
        if held is not None and len(audio) < min_tail:
            audio = np.concatenate([held, audio])
        elif held is not None:
            yield segment(index, position / rate, held)
            index += 1
            position += len(held)
        held = audio
    assert held is not None  # stream_segments raises when it yields nothing
    yield segment(index, position / rate, held)
    yield FileEnd(job, info, (position + len(held)) / rate, index + 1)


def aggregate(pending: Pending, labels: list[str], top_k: int, keep: Sequence[bool] | None = None) -> FileTags:
    """File score = mean over the windows of its segments (those ``keep`` marks, if given); each
    segment keeps its own top-k."""
    assert pending.end is not None
    ordered = pending.ordered()
    kept = [segment for i, segment in enumerate(ordered) if keep is None or keep[i]]
    file_scores = np.concatenate([segment.result for segment in kept]).mean(axis=0)
    segments = [
        SegmentTags(index, segment.start_s, segment.end_s, ranked(labels, segment.result.mean(axis=0))[:top_k])
        for index, segment in enumerate(ordered)
    ]
    return FileTags(pending.stat, pending.end.info, pending.end.duration_s, ranked(labels, file_scores), segments)


def ranked(labels: list[str], scores: np.ndarray) -> list[LabelScore]:
    order = np.argsort(-scores, kind="stable")
    return [LabelScore(labels[i], float(scores[i])) for i in order]
