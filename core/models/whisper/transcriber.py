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

Whisper reads 30 s at a time, whatever the length of the speech. So one voice's speech regions are
padded and joined across short pauses into *stretches* of up to ``STRETCH_S`` (the pauses kept, as
they were said), and stretches go side by side, a short silence apart, into windows of up to 28 s:
one encoder pass per window. Only one voice's speech shares a window: windows joining two voices
made tiny.en lose whole sentences and misplace its timestamps on synthetic calls.
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
class Segment:
    """A stretch of transcribed speech; times in seconds from the start of the audio given."""

    start_s: float
    end_s: float
    text: str


@contextmanager
def quiet() -> Iterator[None]:
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
        with quiet():
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
        """Segments of one stretch of speech, in seconds from its start (longer than 30 s is chunked)."""
        return self.transcribe_clips([audio], trusted_s=np.inf)[0]

    def transcribe_clips(
        self, clips: Sequence[np.ndarray], trusted_s: float = CONFIDENT_SPEECH_S
    ) -> list[list[Segment]]:
        """Segments of each clip, in seconds from its start: the stretches of speech of *one voice*.

        The encoder reads 30 s whatever the length, so clips go side by side, ``SEPARATOR_S`` of silence
        apart, into windows of up to ``STRETCH_S``: one encoder pass per window, not per clip. One voice
        per call: windows joining two voices made tiny.en lose whole sentences on synthetic calls. A
        segment goes to the clip it overlaps most. A window of at least ``trusted_s`` of speech skips
        Whisper's own no-speech check (an extra encoder pass): detectors mistake music or noise for
        speech in blips, not for seconds on end.
        """
        clips = [_mono(clip) for clip in clips]
        audible = [i for i, clip in enumerate(clips) if len(clip) >= MIN_SPEECH_S * SAMPLING_RATE and not _silent(clip)]
        windows = _pack([(i, clips[i]) for i in audible])
        found: list[list[Segment]] = [[] for _ in clips]
        heard = self._transcribe([audio for audio, _pieces in windows], trusted_s)
        for (_audio, pieces), segments in zip(windows, heard, strict=True):
            for segment in segments:
                for (clip, at, length), text in _over_pieces(segment, pieces):
                    start, end = max(segment.start_s - at, 0.0), min(segment.end_s - at, length)
                    found[clip].append(Segment(round(start, 3), round(max(end, start), 3), text))
        return found

    def transcribe_regions(self, recording: np.ndarray, regions: Sequence[tuple[float, float]]) -> list[Segment]:
        """Segments of one voice's speech ``regions`` (start_s, end_s) in a recording, in file time."""
        recording = _mono(recording)
        stretches = speech_stretches(regions, len(recording) / SAMPLING_RATE)
        clips = [recording[int(start * SAMPLING_RATE) : int(end * SAMPLING_RATE)] for start, end in stretches]
        return [
            Segment(round(s.start_s + start, 3), round(s.end_s + start, 3), s.text)
            for (start, _end), found in zip(stretches, self.transcribe_clips(clips), strict=True)
            for s in found
        ]

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

    def _transcribe(self, clips: list[np.ndarray], trusted_s: float) -> list[list[Segment]]:
        """The pipeline over the clips that hold speech, times from each clip's start; text where Whisper
        hears none is dropped. A clip of ``trusted_s`` or more is taken to hold speech unchecked."""
        step = int(WINDOW_S * SAMPLING_RATE)
        slices = [(c, start) for c, clip in enumerate(clips) for start in range(0, len(clip), step)]
        trusted = {(c, start) for c, start in slices if len(clips[c]) >= trusted_s * SAMPLING_RATE}
        checked = [(c, start) for c, start in slices if (c, start) not in trusted]
        probabilities = self.no_speech_probability([clips[c][start : start + step] for c, start in checked])
        speech = {(c, start // step) for c, start in trusted} | {
            (c, start // step) for (c, start), p in zip(checked, probabilities, strict=True) if p <= NO_SPEECH_THRESHOLD
        }
        heard = sorted({c for c, _ in speech})  # a clip Whisper hears no speech in is not decoded at all
        found: list[list[Segment]] = [[] for _ in clips]
        if not heard:
            return found
        with quiet():
            outputs = self._pipeline(
                [clips[c] for c in heard],
                return_timestamps=True,
                batch_size=self.batch_size,
                generate_kwargs={"num_beams": self.beams},
            )
        for c, output in zip(heard, outputs, strict=True):
            length = len(clips[c]) / SAMPLING_RATE
            for chunk in output["chunks"]:
                text = chunk["text"].strip()
                begin, finish = chunk["timestamp"]
                begin = min(begin or 0.0, length)
                finish = length if finish is None else min(max(finish, begin + TIME_PRECISION), length)
                if _has_words(text) and (c, int((begin + finish) / 2 // WINDOW_S)) in speech:
                    found[c].append(Segment(begin, finish, text))
        return found
