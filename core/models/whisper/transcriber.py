"""Speech to timed text with a converted Whisper folder (see :mod:`.asr`), through transformers' ASR pipeline.

Whisper writes text for whatever it hears, and invents some on silence, noise and music. So the
transcriber is meant for the speech stretches a voice-activity step found, and guards against
inventing text three ways: stretches shorter than ``MIN_SPEECH_S`` or quieter than
``SILENCE_DBFS`` are not transcribed at all; every 30 s slice that Whisper itself judges to hold no
speech (its no-speech probability, OpenAI's rule, above ``NO_SPEECH_THRESHOLD``) loses its text —
a window with no other slice is not decoded at all; and text with no letter or digit in it (``.``,
``♪``) is dropped. Unguarded, tiny.en writes " you" for digital silence and "I'm going to go to the
next one." for noise or a melody. The no-speech probability costs one extra encoder pass per slice:
transformers' own ``no_speech_threshold`` reads it after its suppression rules have removed that
very token (always 0 in transformers 4.57), so it cannot be used.

Whisper's encoder always reads 30 s, however short the speech. :meth:`Transcriber.transcribe_regions`
therefore packs the (padded, merged) speech regions of a recording side by side into windows of
up to ``PACK_S``, separated by a little silence, and maps the timestamps back to file time: a call
with a hundred short turns costs a few windows, not a hundred.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration, WhisperTokenizerFast, pipeline
from transformers.utils import logging as hf_logging

from ..backend import pick_device
from ..registry import ModelError
from .asr import TIME_PRECISION

SAMPLING_RATE = 16000
WINDOW_S = 30.0  # what Whisper's encoder reads at once
PACK_S = 28.0  # a packed window stays a little under 30 s, so its last words keep their closing timestamp
MIN_SPEECH_S = 0.3  # shorter than a syllable or two: Whisper would guess
SILENCE_DBFS = -60.0  # RMS below this is no speech, whatever Whisper would make of it
CONFIDENT_SPEECH_S = 4.0  # a window with this much detected speech is not checked for "no speech" again
NO_SPEECH_THRESHOLD = 0.6  # OpenAI's threshold on the probability of <|nocaptions|> at the first step
REGION_PAD_S = 0.2  # context either side of a detected region: detectors clip word edges
MERGE_GAP_S = 0.5  # padded regions closer than this are transcribed as one stretch of the recording
SEPARATOR_S = 0.5  # silence between regions packed into one window


@dataclass(frozen=True)
class Segment:
    """A stretch of transcribed speech; times in seconds from the start of the audio given."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class _Piece:
    """Where a stretch of the recording sits in a packed window."""

    window_s: float
    file_s: float
    duration_s: float


@dataclass(frozen=True)
class _Window:
    """Audio given to the pipeline as one input, and the pieces of the recording it is made of."""

    audio: np.ndarray
    pieces: tuple[_Piece, ...]

    def to_file(self, begin: float, finish: float) -> tuple[float, float, int] | None:
        """File times of a segment at window times ``begin``–``finish``, and how many pieces it runs
        over; ``None`` if it holds no speech.

        Whisper's segments often run from one segment's end to the next one's, so a segment can start
        in the padded tail of the piece before its speech: a piece counts only where the segment
        overlaps it by ``MIN_SPEECH_S`` and a quarter of its longest overlap. A segment inside a
        separator is silence.
        """
        overlaps = [
            (min(finish, piece.window_s + piece.duration_s) - max(begin, piece.window_s), piece)
            for piece in self.pieces
        ]
        overlaps = [(overlap, piece) for overlap, piece in overlaps if overlap > 0]
        if not overlaps:
            return None
        longest = max(overlap for overlap, _ in overlaps)
        floor = min(longest, max(MIN_SPEECH_S, longest / 4))
        kept = [piece for overlap, piece in overlaps if overlap >= floor]
        first, last = kept[0], kept[-1]
        start = first.file_s + max(begin - first.window_s, 0.0)
        end = last.file_s + min(finish - last.window_s, last.duration_s)
        return start, end, len(kept)


@contextmanager
def _quiet() -> Iterator[None]:
    """transformers' notes on its own defaults ("Device set to use cpu", the generation config's
    suppress tokens...) are for its developers, not for someone transcribing calls."""
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        hf_logging.set_verbosity(verbosity)


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


def speech_stretches(
    regions: Sequence[tuple[float, float]], duration_s: float, keep_apart: bool = False
) -> list[tuple[float, float]]:
    """Regions worth transcribing: long enough, padded by ``REGION_PAD_S``, clipped to the file, merged when close.

    ``keep_apart``: never merged (a region may be one speaker's turn); padding stops halfway to a neighbour.
    """
    kept = [(start, end) for start, end in sorted(regions) if end - start >= MIN_SPEECH_S]
    merged: list[list[float]] = []
    for i, (start, end) in enumerate(kept):
        before = (kept[i - 1][1] + start) / 2 if keep_apart and i else 0.0
        after = (end + kept[i + 1][0]) / 2 if keep_apart and i + 1 < len(kept) else duration_s
        start, end = max(start - REGION_PAD_S, before, 0.0), min(end + REGION_PAD_S, after, duration_s)
        if merged and not keep_apart and start - merged[-1][1] < MERGE_GAP_S:
            merged[-1][1] = max(merged[-1][1], end)
        elif end > start:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def pack(recording: np.ndarray, stretches: Sequence[tuple[float, float]]) -> list[_Window]:
    """Stretches side by side in windows of up to ``PACK_S`` (a longer stretch gets a window of its own)."""
    windows: list[_Window] = []
    parts: list[np.ndarray] = []
    pieces: list[_Piece] = []
    separator = np.zeros(int(SEPARATOR_S * SAMPLING_RATE), dtype=np.float32)
    position = 0.0
    for start, end in stretches:
        audio = recording[int(round(start * SAMPLING_RATE)) : int(round(end * SAMPLING_RATE))]
        duration = len(audio) / SAMPLING_RATE
        if pieces and position + SEPARATOR_S + duration > PACK_S:
            windows.append(_Window(np.concatenate(parts), tuple(pieces)))
            parts, pieces, position = [], [], 0.0
        if pieces:
            parts.append(separator)
            position += SEPARATOR_S
        parts.append(audio)
        pieces.append(_Piece(position, start, duration))
        position += duration
    if pieces:
        windows.append(_Window(np.concatenate(parts), tuple(pieces)))
    return windows


class Transcriber:
    """Whisper loaded once (CPU, or CUDA when asked and present); mono float32 16 kHz audio in, segments out."""

    def __init__(self, folder: Path, device: str = "cpu", beams: int = 1, batch_size: int | None = None) -> None:
        self.device = pick_device(device)
        try:
            model = WhisperForConditionalGeneration.from_pretrained(
                folder, local_files_only=True, use_safetensors=True, trust_remote_code=False
            )
            tokenizer = WhisperTokenizerFast.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
            extractor = WhisperFeatureExtractor.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
        except (OSError, ValueError, KeyError) as error:
            raise ModelError(f"cannot load the transcriber {folder}: {str(error).splitlines()[0]}") from error
        self.model = model.to(self.device).eval()
        self.extractor = extractor
        # on a CPU a batch of 30 s windows is no faster than one at a time; a GPU takes several
        self.batch_size = batch_size or (8 if self.device.type == "cuda" else 1)
        self.beams = beams
        # Whisper's <|nocaptions|> ("no speech") token sits just before <|notimestamps|>
        self._no_speech_id = model.generation_config.no_timestamps_token_id - 1
        with _quiet():
            self._pipeline = pipeline(
                "automatic-speech-recognition",
                model=self.model,
                tokenizer=tokenizer,
                feature_extractor=extractor,
                device=self.device,
                chunk_length_s=WINDOW_S,
                ignore_warning=True,  # chunking long inputs is what it warns about, and what we want
            )

    def transcribe(self, audio: np.ndarray) -> list[Segment]:
        """Segments of one speech stretch, in seconds from its start; longer than 30 s is transcribed in chunks."""
        audio = _mono(audio)
        duration = len(audio) / SAMPLING_RATE
        if duration < MIN_SPEECH_S or _silent(audio):
            return []
        return self._transcribe([_Window(audio, (_Piece(0.0, 0.0, duration),))])

    def transcribe_regions(
        self, recording: np.ndarray, regions: Sequence[tuple[float, float]], words: bool = False
    ) -> list[Segment]:
        """Segments of a whole recording's speech ``regions`` (start_s, end_s), in file time; the rest is skipped.

        ``words``: no segment runs over two regions (nor are close regions merged), for a caller that
        must cut the text where speakers change. Whisper's own segments sometimes run over several
        regions packed into one window; such a window is decoded again with word timestamps (from the
        decoder's cross-attention, as Whisper's own are), which costs about 60 % more, only where needed.
        A window holding at least ``CONFIDENT_SPEECH_S`` of the detector's speech skips Whisper's own
        no-speech check (an extra encoder pass): detectors mistake music or noise for speech in blips,
        not for seconds on end.
        """
        recording = _mono(recording)
        stretches = [
            (start, end)
            for start, end in speech_stretches(regions, len(recording) / SAMPLING_RATE, keep_apart=words)
            if not _silent(recording[int(start * SAMPLING_RATE) : int(end * SAMPLING_RATE)])
        ]
        return self._transcribe(pack(recording, stretches), words, CONFIDENT_SPEECH_S)

    def no_speech_probability(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """Whisper's probability that each clip (up to 30 s) holds no speech, from its first decoding step."""
        probabilities = []
        start = self.model.generation_config.decoder_start_token_id
        for first in range(0, len(clips), self.batch_size):
            batch = list(clips[first : first + self.batch_size])
            features = self.extractor(batch, sampling_rate=SAMPLING_RATE, return_tensors="pt").input_features
            prompt = torch.full((len(batch), 1), start, dtype=torch.long, device=self.device)
            with torch.inference_mode():
                logits = self.model(input_features=features.to(self.device), decoder_input_ids=prompt).logits
            probabilities.append(logits[:, 0].float().softmax(-1)[:, self._no_speech_id].cpu().numpy())
        return np.concatenate(probabilities) if probabilities else np.zeros(0, dtype=np.float32)

    def _transcribe(self, windows: list[_Window], words: bool = False, trusted_s: float = np.inf) -> list[Segment]:
        """The pipeline over the windows that hold speech; text where Whisper hears none is dropped.

        A window with ``trusted_s`` of speech pieces or more is taken to hold speech unchecked."""
        step = int(WINDOW_S * SAMPLING_RATE)
        slices = [(w, start) for w, window in enumerate(windows) for start in range(0, len(window.audio), step)]
        trusted = {(w, start) for w, start in slices if sum(p.duration_s for p in windows[w].pieces) >= trusted_s}
        checked = [(w, start) for w, start in slices if (w, start) not in trusted]
        probabilities = self.no_speech_probability([windows[w].audio[start : start + step] for w, start in checked])
        speech = {(w, start // step) for w, start in trusted} | {
            (w, start // step) for (w, start), p in zip(checked, probabilities, strict=True) if p <= NO_SPEECH_THRESHOLD
        }
        heard = sorted({w for w, _ in speech})  # a window Whisper hears no speech in is not decoded at all
        segments: list[Segment] = []
        split: list[int] = []  # windows where a segment runs over several pieces: decoded again, by word
        for w, found in zip(heard, self._decode(windows, heard, speech, by_word=False), strict=True):
            if words and any(pieces > 1 for _, pieces in found):
                split.append(w)
            else:
                segments += [segment for segment, _ in found]
        for found in self._decode(windows, split, speech, by_word=True):
            segments += [segment for segment, _ in found]
        return sorted(segments, key=lambda segment: segment.start_s)

    def _decode(
        self, windows: list[_Window], which: list[int], speech: set[tuple[int, int]], by_word: bool
    ) -> list[list[tuple[Segment, int]]]:
        """Per window of ``which``: its segments (or words) in file time, each with the pieces it runs over."""
        if not which:
            return []
        with _quiet():
            outputs = self._pipeline(
                [windows[w].audio for w in which],
                return_timestamps="word" if by_word else True,
                batch_size=self.batch_size,
                generate_kwargs={"num_beams": self.beams},
            )
        decoded = []
        for w, output in zip(which, outputs, strict=True):
            window, length = windows[w], len(windows[w].audio) / SAMPLING_RATE
            found: list[tuple[Segment, int]] = []
            for chunk in output["chunks"]:
                text = chunk["text"].strip()
                begin, finish = chunk["timestamp"]
                begin = min(begin or 0.0, length)
                finish = length if finish is None else min(max(finish, begin + TIME_PRECISION), length)
                if not _has_words(text) or (w, int((begin + finish) / 2 // WINDOW_S)) not in speech:
                    continue
                times = window.to_file(begin, finish)
                if times is not None:
                    found.append((Segment(round(times[0], 3), round(times[1], 3), text), times[2]))
            decoded.append(found)
        return decoded
