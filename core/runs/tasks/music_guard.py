"""No music labels where there is no music.

A music tagger scores whatever it is given: a silent call came out "guitar 0.31, quiet 0.26". So a
model with a genre group (a music tagger) is guarded. While a file is decoded, each stretch is
measured every 32 ms: its level (RMS in dBFS) and, for what is not silent, Silero VAD's speech
regions (hysteresis and padding as :func:`core.calls.segmentation.speech_mask` does for calls).
What is neither silent nor speech is what music would be. A stretch, and a whole file, whose such
sound is under :data:`MIN_MUSIC_SHARE` of its length holds no music: its only label is
``no music``, scored with the share of it that is silence or speech. A file with some music is
scored over its stretches with music alone, so a silent intro or a spoken outro does not water
its labels down. Tones and noise count as sound that may be music: the guard only ever removes
labels for silence and speech, as asked, and leaves everything else to the model.

``no music`` joins the model's labels and every one of its groups (a genre view shows it), and
the guard's revision joins its version, so files tagged before the guard existed are tagged again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np

from ...genre_verdict import NO_MUSIC
from ...models.registry import ModelInfo
from ...records import FileTags, LabelScore, SegmentTags
from ..stages import Pending, aggregate

GUARDED_GROUP = "genre"  # models with this group are music taggers, and guarded
SILENCE_DB = -50.0  # a 32 ms chunk quieter than this is silence: below the quiet passages of mastered music
MIN_MUSIC_SHARE = 0.1  # less sound that is neither silence nor speech than this: no music
GUARD_REVISION = 1  # raise when the guard decides differently for the same audio
_RATE = 16000  # Silero VAD's rate
_STREAM_CHUNKS = 128  # Silero runs batched over streams of about 4 s (9x faster than one stream)
_MAX_STREAMS = 16


@dataclass(frozen=True)
class Heard:
    """What one stretch of audio holds, counted in 32 ms chunks."""

    chunks: int
    sound: int  # chunks louder than SILENCE_DB
    speech: int  # of those, the chunks inside speech

    @property
    def music(self) -> int:
        """Chunks that are neither silence nor speech: where music can be."""
        return self.sound - self.speech

    @property
    def has_music(self) -> bool:
        return self.music >= MIN_MUSIC_SHARE * max(self.chunks, 1)


class Listener:
    """Level and speech of decoded audio. One ONNX session, a fresh state per call: safe on any thread."""

    def __init__(self, sampling_rate: int) -> None:
        from ...listen.embedding import onnx_session, package_dir

        self.sampling_rate = sampling_rate
        self.session = onnx_session(package_dir("silero_vad", "silero-vad") / "data" / "silero_vad.onnx")

    def __call__(self, audio: np.ndarray) -> Heard:
        from ...calls.segmentation import speech_mask
        from ...listen.vad import CHUNK

        if self.sampling_rate != _RATE:
            import soxr

            audio = soxr.resample(audio, self.sampling_rate, _RATE)
        count = len(audio) // CHUNK
        chunks = np.asarray(audio[: count * CHUNK], dtype=np.float32).reshape(count, CHUNK)
        rms = np.sqrt(np.mean(chunks.astype(np.float64) ** 2, axis=1))
        loud = 20 * np.log10(np.maximum(rms, 1e-10)) >= SILENCE_DB
        if not loud.any():
            return Heard(count, 0, 0)  # nothing to listen to: Silero is skipped
        # silence is cut out before listening: it is neither speech nor music, and costs nothing then
        speech = speech_mask(self._speech_probabilities(chunks[loud]))
        return Heard(count, int(loud.sum()), int(speech.sum()))

    def _speech_probabilities(self, chunks: np.ndarray) -> np.ndarray:
        """Silero's speech probability per chunk, running parallel streams of the chunks in one batch."""
        from ...listen.vad import CONTEXT

        count = len(chunks)
        streams = max(1, min(_MAX_STREAMS, count // _STREAM_CHUNKS))
        steps = -(-count // streams)
        padded = np.zeros((streams * steps, chunks.shape[1]), dtype=np.float32)
        padded[:count] = chunks
        padded = padded.reshape(streams, steps, -1)
        state = np.zeros((2, streams, 128), dtype=np.float32)
        context = np.zeros((streams, CONTEXT), dtype=np.float32)
        rate = np.array(_RATE, dtype=np.int64)
        probabilities = np.empty((streams, steps), dtype=np.float32)
        for step in range(steps):
            chunk = padded[:, step]
            out, state = self.session.run(
                None, {"input": np.concatenate([context, chunk], axis=1), "state": state, "sr": rate}
            )
            probabilities[:, step] = out[:, 0]
            context = chunk[:, -CONTEXT:]
        return probabilities.reshape(-1)[:count]


def guarded(info: ModelInfo) -> bool:
    return GUARDED_GROUP in info.label_groups


@dataclass(frozen=True)
class GuardedModel(ModelInfo):
    """A music tagger as the store knows it: its labels and ``no music``, versioned with the guard."""

    model_version: str = ""

    @cached_property
    def version(self) -> str:
        return hashlib.sha256(f"{self.model_version}:guard-{GUARD_REVISION}".encode()).hexdigest()[:16]


def identity(info: ModelInfo) -> ModelInfo:
    """What a tags run registers for ``info``: itself, or, for a music tagger, its guarded identity."""
    if not guarded(info) or isinstance(info, GuardedModel):
        return info
    values = {field.name: getattr(info, field.name) for field in fields(ModelInfo)}
    values["labels"] = [*info.labels, NO_MUSIC]
    values["label_groups"] = {group: [*members, NO_MUSIC] for group, members in info.label_groups.items()}
    return GuardedModel(**values, model_version=info.version)


def finish(pending: Pending, labels: list[str], top_k: int) -> FileTags:
    """A file's labels from the stretches with music; ``no music`` for it or a stretch without any."""
    ordered = pending.ordered()
    heard: list[Heard] = [segment.heard for segment in ordered]
    chunks = sum(h.chunks for h in heard)
    music = [h.has_music for h in heard]
    if not any(music) or sum(h.music for h in heard) < MIN_MUSIC_SHARE * max(chunks, 1):
        assert pending.end is not None
        segments = [
            SegmentTags(i, segment.start_s, segment.end_s, [_no_music(h)])
            for i, (segment, h) in enumerate(zip(ordered, heard, strict=True))
        ]
        whole = Heard(chunks, sum(h.sound for h in heard), sum(h.speech for h in heard))
        return FileTags(pending.stat, pending.end.info, pending.end.duration_s, [_no_music(whole)], segments)
    tags = aggregate(pending, labels, top_k, keep=music)
    for segment, h in zip(tags.segments, heard, strict=True):
        if not h.has_music:
            segment.labels = [_no_music(h)]
    return tags


def _no_music(heard: Heard) -> LabelScore:
    """``no music``, scored with the share of the stretch that is silence or speech."""
    return LabelScore(NO_MUSIC, round(1.0 - heard.music / max(heard.chunks, 1), 4))
