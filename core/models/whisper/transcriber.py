"""Speech to timed text: Whisper on CTranslate2 (through faster-whisper), int8 on a CPU, float16 on CUDA.

The packaged CTranslate2 folders (:mod:`.sources`) are run as they are: the same weights that
faster-whisper runs, at its speed, with no conversion to transformers.

Whisper writes text for whatever it hears, and invents some on silence, noise and music. So the
transcriber is meant for the speech stretches a voice-activity step found, and guards against
inventing text three ways: stretches shorter than ``MIN_SPEECH_S`` or quieter than
``SILENCE_DBFS`` are not transcribed at all; a window that Whisper itself judges to hold no speech
(its no-speech probability, OpenAI's rule, above ``NO_SPEECH_THRESHOLD``) loses its text — a window
of ``CONFIDENT_SPEECH_S`` of detected speech or more is not second-guessed; and text with no letter
or digit in it (``.``, ``♪``) is dropped. Unguarded, tiny.en writes " you" for digital silence and
"I'm going to go to the next one." for noise or a melody.

Whisper reads 30 s at a time, whatever the length of the speech. So one voice's speech regions are
padded and joined across short pauses into *stretches* of up to ``STRETCH_S`` (the pauses kept, as
they were said), and stretches go side by side, a short silence apart, into windows of up to 28 s:
one encoder pass per window. Only one voice's speech shares a window: windows joining two voices
made tiny.en lose whole sentences and misplace its timestamps on synthetic calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..backend import pick_device
from ..registry import ModelError
from .sources import TranscriberInfo

SAMPLING_RATE = 16000
WINDOW_S = 30.0  # what Whisper's encoder reads at once
STRETCH_S = 28.0  # a stretch stays a little under 30 s, so its last words keep their closing timestamp
MIN_SPEECH_S = 0.3  # shorter than a syllable or two: Whisper would guess
SILENCE_DBFS = -60.0  # RMS below this is no speech, whatever Whisper would make of it
CONFIDENT_SPEECH_S = 4.0  # a stretch with this much detected speech is not checked for "no speech" again
NO_SPEECH_THRESHOLD = 0.6  # OpenAI's threshold on the probability of <|nocaptions|> at the first step
REGION_PAD_S = 0.2  # context either side of a detected region: detectors clip word edges
MERGE_GAP_S = 2.0  # regions closer than this are one stretch, the pause kept: people pause between turns
SEPARATOR_S = 1.5  # silence between clips packed into one window: Whisper ends its segments at it more often
SPLIT_MIN_S = 0.3  # a segment holding this much of two clips is split between them


Piece = tuple[int, float, float]  # a clip packed into a window: its index, where it starts, how long it is


@dataclass(frozen=True)
class Word:
    """One word as Whisper timed it, in seconds from the start of the audio given."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class Segment:
    """A stretch of transcribed speech; times in seconds from the start of the audio given."""

    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = field(default=(), compare=False)
    language: str | None = field(default=None, compare=False)  # ISO 639-1, as Whisper heard it


def _silent(audio: np.ndarray) -> bool:
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0
    return rms < 10 ** (SILENCE_DBFS / 20)


def _mono(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim != 1:
        raise ValueError(f"mono audio expected (one dimension), got shape {audio.shape}")
    return audio


def _has_words(text: str) -> bool:
    return any(character.isalnum() for character in text)


def _pack(clips: list[tuple[int, np.ndarray]]) -> list[tuple[np.ndarray, list[Piece]]]:
    """Clips side by side in windows of up to STRETCH_S: ``(audio, [(clip, at_s, length_s), ...])``."""
    separator = np.zeros(int(SEPARATOR_S * SAMPLING_RATE), dtype=np.float32)
    windows: list[tuple[np.ndarray, list[Piece]]] = []
    parts: list[np.ndarray] = []
    pieces: list[Piece] = []
    position = 0.0
    for index, clip in clips:
        length = len(clip) / SAMPLING_RATE
        if pieces and position + SEPARATOR_S + length > STRETCH_S:
            windows.append((np.concatenate(parts), pieces))
            parts, pieces, position = [], [], 0.0
        if pieces:
            parts.append(separator)
            position += SEPARATOR_S
        parts.append(clip)
        pieces.append((index, position, length))
        position += length
    if pieces:
        windows.append((np.concatenate(parts), pieces))
    return windows


def _over_pieces(
    segment: Segment, pieces: list[tuple[int, float, float]]
) -> list[tuple[tuple[int, float, float], str]]:
    """The pieces a segment of a packed window holds words of, each with its share of the text.

    Whisper sometimes runs a segment on over the silence between two clips; its text is then cut
    where a sentence ends nearest to the time the first clip ends (else at the nearest word), as no
    clip may get another's words. A segment inside a separator is nobody's.
    """
    held = [(piece, min(segment.end_s, piece[1] + piece[2]) - max(segment.start_s, piece[1])) for piece in pieces]
    held = [(piece, overlap) for piece, overlap in held if overlap >= SPLIT_MIN_S] or [max(held, key=lambda h: h[1])]
    if held[0][1] <= 0:
        return []
    words = segment.text.split()
    parts, taken = [], 0
    for i, (piece, overlap) in enumerate(held):
        if i == len(held) - 1:
            parts.append((piece, " ".join(words[taken:])))
            break
        share = taken + overlap / sum(o for _, o in held[i:]) * (len(words) - taken)
        ends = [k + 1 for k in range(taken, len(words) - 1) if words[k].endswith((".", "?", "!"))]
        cut = min(ends, key=lambda k: abs(k - share)) if ends else int(round(share))
        cut = min(max(cut, taken + 1), len(words) - (len(held) - i - 1))
        parts.append((piece, " ".join(words[taken:cut])))
        taken = cut
    return [(piece, text) for piece, text in parts if text]


def speech_stretches(regions: Sequence[tuple[float, float]], duration_s: float) -> list[tuple[float, float]]:
    """Regions worth transcribing, padded by ``REGION_PAD_S`` and joined across pauses shorter than
    ``MERGE_GAP_S`` into stretches of at most ``STRETCH_S`` (a longer region is cut in equal parts)."""
    stretches: list[tuple[float, float]] = []
    for start, end in sorted(regions):
        if end - start < MIN_SPEECH_S:
            continue
        start, end = max(start - REGION_PAD_S, 0.0), min(end + REGION_PAD_S, duration_s)
        if stretches and start - stretches[-1][1] < MERGE_GAP_S and end - stretches[-1][0] <= STRETCH_S:
            stretches[-1] = (stretches[-1][0], max(stretches[-1][1], end))
            continue
        start = max(start, stretches[-1][1]) if stretches else start  # padding never overlaps the one before
        parts = int(np.ceil((end - start) / STRETCH_S))
        step = (end - start) / parts
        stretches += [(start + k * step, start + (k + 1) * step) for k in range(parts)]
    return stretches


class Transcriber:
    """Whisper loaded once (CPU, or CUDA when asked and present); mono float32 16 kHz audio in, segments out.

    ``language``: an ISO 639-1 code to transcribe in, or None for Whisper to tell (a multilingual
    model; an English-only one is always English).
    """

    def __init__(self, source: TranscriberInfo, device: str = "cpu", threads: int = 0, beams: int = 1) -> None:
        from faster_whisper import WhisperModel

        self.source = source
        self.device = pick_device(device)
        cuda = self.device.type == "cuda"
        try:
            self.model = WhisperModel(str(source.path), device="cuda" if cuda else "cpu",
                                      device_index=self.device.index or 0, compute_type="float16" if cuda else "int8",
                                      cpu_threads=threads, local_files_only=True)  # fmt: skip
        except (RuntimeError, ValueError, OSError) as error:
            raise ModelError(f"cannot load the transcriber {source.path}: {str(error).splitlines()[0]}") from error
        self.beams = beams

    def detect_language(self, audio: np.ndarray) -> str:
        """The language Whisper hears in ``audio`` (its first 30 s), as an ISO 639-1 code."""
        if not self.source.multilingual:
            return "en"
        language, _probability, _all = self.model.detect_language(_mono(audio))
        return language

    def describe(self) -> str:
        return f"Whisper {self.source.name} on CTranslate2 ({self.model.model.compute_type} on {self.device.type})"

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> list[Segment]:
        """Segments of one stretch of speech, in seconds from its start (longer than 30 s in several windows)."""
        return self.transcribe_clips([audio], trusted_s=np.inf, language=language)[0]

    def transcribe_clips(
        self, clips: Sequence[np.ndarray], trusted_s: float = CONFIDENT_SPEECH_S, language: str | None = None
    ) -> list[list[Segment]]:
        """Segments of each clip, in seconds from its start: the stretches of speech of *one voice*.

        The encoder reads 30 s whatever the length, so clips go side by side, ``SEPARATOR_S`` of silence
        apart, into windows of up to ``STRETCH_S``: one encoder pass per window, not per clip. One voice
        per call: windows joining two voices made tiny.en lose whole sentences on synthetic calls. A
        segment goes to the clip it overlaps most. A window of at least ``trusted_s`` of speech skips
        Whisper's own no-speech check: detectors mistake music or noise for speech in blips, not for
        seconds on end.
        """
        clips = [_mono(clip) for clip in clips]
        audible = [i for i, clip in enumerate(clips) if len(clip) >= MIN_SPEECH_S * SAMPLING_RATE and not _silent(clip)]
        found: list[list[Segment]] = [[] for _ in clips]
        for audio, pieces in _pack([(i, clips[i]) for i in audible]):
            for segment in self._window(audio, len(audio) >= trusted_s * SAMPLING_RATE, language):
                for (clip, at, length), text in _over_pieces(segment, pieces):
                    start, end = max(segment.start_s - at, 0.0), min(segment.end_s - at, length)
                    words = tuple(
                        Word(round(max(w.start_s - at, 0.0), 3), round(min(w.end_s - at, length), 3), w.text)
                        for w in segment.words
                        if at <= (w.start_s + w.end_s) / 2 < at + length
                    )
                    found[clip].append(Segment(round(start, 3), round(max(end, start), 3), text, words,
                                               segment.language))  # fmt: skip
        return found

    def transcribe_regions(self, recording: np.ndarray, regions: Sequence[tuple[float, float]]) -> list[Segment]:
        """Segments of one voice's speech ``regions`` (start_s, end_s) in a recording, in file time."""
        recording = _mono(recording)
        stretches = speech_stretches(regions, len(recording) / SAMPLING_RATE)
        clips = [recording[int(start * SAMPLING_RATE) : int(end * SAMPLING_RATE)] for start, end in stretches]
        return [
            Segment(round(s.start_s + start, 3), round(s.end_s + start, 3), s.text, s.words, s.language)
            for (start, _end), found in zip(stretches, self.transcribe_clips(clips), strict=True)
            for s in found
        ]

    def _window(self, audio: np.ndarray, trusted: bool, language: str | None) -> list[Segment]:
        """One window (up to 30 s) decoded greedily with word times; no text where Whisper hears no speech."""
        segments, info = self.model.transcribe(
            audio,
            language=language if self.source.multilingual else "en",
            beam_size=self.beams,
            word_timestamps=True,
            condition_on_previous_text=False,  # each window is its own: no error carried over
            temperature=0.0,  # greedy, the same text every run (no sampled fallback)
            no_speech_threshold=None if trusted else NO_SPEECH_THRESHOLD,
            log_prob_threshold=None,  # the no-speech probability alone decides, as the guard above says
            vad_filter=False,  # the regions are speech already
        )
        length = len(audio) / SAMPLING_RATE
        heard = []
        for segment in segments:
            text = segment.text.strip()
            if not _has_words(text):
                continue
            start = min(max(segment.start, 0.0), length)
            words = tuple(Word(w.start, w.end, w.word.strip()) for w in segment.words or () if w.word.strip())
            heard.append(Segment(start, min(max(segment.end, start), length), text, words, info.language))
        return heard
