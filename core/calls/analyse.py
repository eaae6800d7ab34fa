"""One call, start to finish: what is speech, who speaks when, what they say.

Three streaming passes over the file, so that an hour-long call costs bounded memory:

1. segmentation (:mod:`.segmentation`) of the mixed-down audio, and of each channel of a stereo
   file: a call recorder's stereo puts agent and customer on separate sides, and then each side's
   speech is one speaker's, with no clustering to get wrong;
2. for a mono call, the speech alone, a few minutes of the file at a time (cut at a pause),
   embedded utterance by utterance and clustered into speakers (:mod:`.speakers`);
3. each speaker's speech, joined across their own short pauses, transcribed by Whisper (only
   speech: it invents text on silence and music), from their own side of a two-party recording.

Transcribing each speaker's stretches apart means every line has exactly one speaker: Whisper's
segments over a conversation run from one speaker into the next, and its word times drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import AudioInfo, stream_segments
from ..models.whisper.transcriber import speech_stretches
from ..records import CallDetails, LabelScore, SegmentTags, Turn
from . import speakers
from .language import Transcribers
from .segmentation import RATE, SPEECH, Segmenter, Stretch, totals
from .speakers import Voiced

BLOCK_S = 10.0  # decoding block
BATCH_S = 300.0  # speech is transcribed and embedded a few minutes of the file at a time
DISTINCT_DB = 10.0  # stereo sides this far apart in level while someone speaks are two parties
DISTINCT_SHARE = 0.6  # ... for at least this share of the speech
TURN_GAP_S = 1.0  # a pause this long starts a new line of the transcript, even for the same speaker


@dataclass
class CallResult:
    duration_s: float
    details: CallDetails
    labels: list[LabelScore]
    segments: list[SegmentTags]


class Halted(Exception):
    """The run was stopped while this call was being analysed: nothing of it is kept."""


def _regions(stretches: list[Stretch]) -> list[tuple[float, float]]:
    return [(s.start_s, s.end_s) for s in stretches if s.kind == SPEECH]


def _blocks(path: Path, info: AudioInfo, stereo: bool) -> Iterator[np.ndarray]:
    yield from stream_segments(path, info, RATE, BLOCK_S, keep_channels=stereo)


def segment(path: Path, info: AudioInfo, halted: Callable[[], bool]) -> tuple[list[Stretch], list[list[Stretch]]]:
    """Pass 1: the mix's stretches, and each side's when a stereo file carries two parties."""
    stereo = info.channels == 2
    mix, sides = Segmenter(), [Segmenter(), Segmenter()] if stereo else []
    for block in _blocks(path, info, stereo):
        if halted():
            raise Halted
        mix.feed(block.mean(axis=1) if stereo else block)
        for side, segmenter in enumerate(sides):
            segmenter.feed(block[:, side])
    if not sides or not _distinct(mix, sides):
        return mix.stretches(), []
    return mix.stretches(), [sides[0].stretches(sides[1]), sides[1].stretches(sides[0])]


def _distinct(mix: Segmenter, sides: list[Segmenter]) -> bool:
    """Whether the two sides carry different parties: while someone speaks, one side is much louder."""
    count = min(len(mix.speech), len(sides[0].level), len(sides[1].level))
    speaking = np.array(mix.speech[:count]) >= 0.5
    if not speaking.any():
        return False
    apart = np.abs(np.array(sides[0].level[:count]) - np.array(sides[1].level[:count])) >= DISTINCT_DB
    return float(apart[speaking].mean()) >= DISTINCT_SHARE


class CallAnalyser:
    """The models a calls run loads once: Whisper for the words (:class:`.language.Transcribers`: the
    language heard picks the model), the speaker encoder for the voices."""

    def __init__(self, transcribers: Transcribers, encoder) -> None:
        self.transcribers = transcribers
        self.encoder = encoder

    def analyse(self, path: Path, info: AudioInfo, halted: Callable[[], bool]) -> CallResult:
        mix, sides = segment(path, info, halted)
        duration = mix[-1].end_s if mix else 0.0
        if sides:  # each side of a two-party recording is one speaker's
            voices = sorted(
                (Voiced(begin, end, side + 1) for side, found in enumerate(sides) for begin, end in _regions(found)),
                key=lambda voice: voice.start_s,
            )
        else:
            voices = self._voices(path, info, _regions(mix), halted)
        transcript, language = self._transcribe(path, info, voices, duration, bool(sides), halted)
        if not transcript:  # what sounded like speech held no words: a sung line, a noise; no one spoke
            mix, voices, language = _without_speech(mix), [], None
        seconds = totals(mix)
        if sides:  # speech on either side is speech, whatever the mix's detector made of it
            seconds[SPEECH] = sum(v.end_s - v.start_s for v in voices)
        talk = speakers.talk_time(voices)
        from .labels import call_labels, timeline

        details = CallDetails(seconds, talk, transcript, language)
        return CallResult(duration, details, call_labels(seconds, duration, talk, mix), timeline(mix, voices))

    def _voices(self, path: Path, info: AudioInfo, regions: list[tuple[float, float]], halted) -> list[Voiced]:
        """Pass 2 (a mono call): every speech region embedded, the embeddings clustered into speakers."""
        spans: list[tuple[float, float]] = []
        embeddings: list[np.ndarray] = []
        for start_s, audio, (batch,) in _speech_batches(path, info, [regions], False, halted):
            self._embed(audio, [(b - start_s, e - start_s) for b, e in batch], start_s, spans, embeddings)
        labels = speakers.cluster(np.array(embeddings)) if embeddings else np.zeros(0, dtype=int)
        return _cover(regions, speakers.voiced(spans, labels))

    def _transcribe(self, path, info, voices: list[Voiced], duration: float, by_side: bool, halted) -> list[Turn]:
        """Pass 3: each speaker's speech, joined across their own short pauses, transcribed apart from the
        others' (from their own side of a two-party recording): every line of the transcript has one speaker."""
        count = max((voice.speaker for voice in voices), default=0)
        streams: list[list[tuple[float, float]]] = [[] for _ in range(count)]
        for run in _runs(voices):  # a speaker's speech until someone else speaks
            streams[run[0].speaker - 1] += speech_stretches([(v.start_s, v.end_s) for v in run], duration)
        segments: list[tuple[float, float, str, int, str | None]] = []
        transcriber, language = None, None
        for start_s, audio, batch in _speech_batches(path, info, streams, by_side, halted):
            clips = [
                [(audio[:, stream] if by_side else audio)[int((b - start_s) * RATE) : int((e - start_s) * RATE)]
                 for b, e in stretches]
                for stream, stretches in enumerate(batch)
            ]  # fmt: skip
            if transcriber is None:  # the call's language, from its first speech (in time order)
                spoken = [
                    (b, clip) for st, cs in zip(batch, clips, strict=True) for (b, _e), clip in zip(st, cs, strict=True)
                ]
                spoken.sort(key=lambda pair: pair[0])
                transcriber, language = self.transcribers.for_speech([clip for _begin, clip in spoken])
            for stream, stretches in enumerate(batch):
                heard = transcriber.transcribe_clips(clips[stream], language=language)
                for (begin, _end), found in zip(stretches, heard, strict=True):
                    segments += [(s.start_s + begin, s.end_s + begin, s.text, stream + 1, s.language) for s in found]
        return _lines(sorted(segments)), language

    def _embed(self, audio, regions, offset, spans, embeddings) -> None:
        """A speaker embedding per utterance-sized piece of each speech region (none for a too short one)."""
        from ..models.speaker import normalize_volume

        for region in regions:
            for begin, end in speakers.pieces(*region):
                clip = normalize_volume(audio[int(begin * RATE) : int(end * RATE)])
                spans.append((offset + begin, offset + end))
                embeddings.append(self.encoder.embed_utterance(clip))


def _runs(voices: list[Voiced]) -> list[list[Voiced]]:
    """The voices, in time order, cut where the speaker changes."""
    runs: list[list[Voiced]] = []
    for voice in voices:
        if runs and runs[-1][-1].speaker == voice.speaker:
            runs[-1].append(voice)
        else:
            runs.append([voice])
    return runs


def _lines(segments: list[tuple[float, float, str, int, str | None]]) -> list[Turn]:
    """Whisper's segments as the transcript's lines: one speaker's segments less than TURN_GAP_S apart are one line."""
    lines: list[Turn] = []
    for begin, end, text, speaker, language in segments:
        last = lines[-1] if lines else None
        if last is not None and last.speaker == speaker and begin - last.end_s < TURN_GAP_S:
            lines[-1] = Turn(last.start_s, max(last.end_s, end), speaker, f"{last.text} {text.strip()}", last.language)
        else:
            lines.append(Turn(begin, end, speaker, text.strip(), language))
    return lines


def _without_speech(stretches: list[Stretch]) -> list[Stretch]:
    """The stretches with "speech" taken to be what the rest of the call mostly is."""
    seconds = totals(stretches)
    seconds.pop(SPEECH)
    instead = max(seconds, key=seconds.get)
    return [Stretch(s.start_s, s.end_s, instead if s.kind == SPEECH else s.kind) for s in stretches]


def _cover(regions: list[tuple[float, float]], voices: list[Voiced]) -> list[Voiced]:
    """Every speech region attributed: one too short to embed goes to the nearest voice in time."""
    if not voices:
        return [Voiced(b, e, 1) for b, e in regions]
    covered = list(voices)
    for begin, end in regions:
        if speakers.speaker_of(begin, end, voices) is None:
            nearest = min(voices, key=lambda v: min(abs(v.start_s - end), abs(begin - v.end_s)))
            covered.append(Voiced(begin, end, nearest.speaker))
    return sorted(covered, key=lambda v: v.start_s)


@dataclass(frozen=True)
class _Batch:
    start_s: float
    end_s: float
    regions: list[list[tuple[float, float]]]  # per stream, in file time


def _batches(streams: list[list[tuple[float, float]]]) -> list[_Batch]:
    """Speech regions grouped into stretches of the file of about BATCH_S (a region is never split)."""
    tagged = sorted((begin, end, stream) for stream, regions in enumerate(streams) for begin, end in regions)
    batches: list[_Batch] = []
    for begin, end, stream in tagged:
        if batches and begin - batches[-1].start_s < BATCH_S:
            last = batches[-1]
            last.regions[stream].append((begin, end))
            batches[-1] = _Batch(last.start_s, max(last.end_s, end), last.regions)
        else:
            regions: list[list[tuple[float, float]]] = [[] for _ in streams]
            regions[stream].append((begin, end))
            batches.append(_Batch(begin, end, regions))
    return batches


def _speech_batches(path, info, streams, by_side, halted) -> Iterator[tuple[float, np.ndarray, list]]:
    """Passes 2 and 3: ``(start_s, audio, regions per stream)`` for each batch of speech, in file order
    (``by_side``: the audio with its channels apart).

    Only the audio from the current batch's start on is held; decoding stops after the last batch.
    """
    batches = _batches(streams)
    held: list[np.ndarray] = []
    held_from = 0  # sample index of held[0]'s first sample
    position = 0
    index = 0
    blocks = _blocks(path, info, by_side)
    for block in blocks:
        if halted():
            raise Halted
        held.append(block)
        position += len(block)
        while index < len(batches) and position >= int(batches[index].end_s * RATE):
            batch = batches[index]
            audio = np.concatenate(held)
            first = max(0, int(batch.start_s * RATE) - held_from)
            yield batch.start_s, audio[first : int(batch.end_s * RATE) - held_from], batch.regions
            index += 1
            held, held_from = [audio], held_from
        if index == len(batches):
            blocks.close()  # the rest of the file holds no speech to read
            return
        # nothing before the next batch is needed, and nothing beyond what is decoded can be dropped yet
        keep_from = min(int(batches[index].start_s * RATE), position)
        if held and keep_from > held_from:
            audio = np.concatenate(held)
            held, held_from = [audio[keep_from - held_from :]], keep_from
    for batch in batches[index:]:  # the file ended a rounding error before its last region did
        audio = np.concatenate(held) if held else np.zeros(0, dtype=np.float32)
        yield batch.start_s, audio[max(0, int(batch.start_s * RATE) - held_from) :], batch.regions
