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

Whisper reads 30 s at a time and was trained on natural speech, pauses included. So the speech
regions of a recording are padded and joined across short pauses into *stretches* of up to
``STRETCH_S``, each transcribed as it was recorded: a conversation's turns, with their pauses, go
in together (a call's speech costs about one encoder pass per 28 s), while hold music and long
silences are left out. Regions packed side by side with artificial gaps, or one long input chunked
by the pipeline, made tiny.en lose whole sentences and misplace its timestamps on synthetic calls.
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

    def transcribe(self, audio: np.ndarray, words: bool = False) -> list[Segment]:
        """Segments of one stretch of speech, in seconds from its start (longer than 30 s is chunked).

        ``words``: one segment per word, timed from the decoder's cross-attention as Whisper's own word
        timestamps are (about 60 % slower), for a caller that must cut the text where speakers change.
        """
        return self.transcribe_stretches(audio, [(0.0, len(_mono(audio)) / SAMPLING_RATE)], words, np.inf)[0]

    def transcribe_stretches(
        self,
        recording: np.ndarray,
        stretches: Sequence[tuple[float, float]],
        words: bool = False,
        trusted_s: float = CONFIDENT_SPEECH_S,
    ) -> list[list[Segment]]:
        """Per stretch (start_s, end_s) of ``recording`` (see :func:`speech_stretches`): its segments, in file time.

        A stretch of at least ``trusted_s`` of speech a detector found skips Whisper's own no-speech
        check (an extra encoder pass): detectors mistake music or noise for speech in blips, not for
        seconds on end.
        """
        recording = _mono(recording)
        clips = [recording[int(start * SAMPLING_RATE) : int(end * SAMPLING_RATE)] for start, end in stretches]
        audible = [i for i, clip in enumerate(clips) if len(clip) >= MIN_SPEECH_S * SAMPLING_RATE and not _silent(clip)]
        found: list[list[Segment]] = [[] for _ in clips]
        for i, segments in zip(audible, self._transcribe([clips[i] for i in audible], words, trusted_s), strict=True):
            offset = stretches[i][0]
            found[i] = [Segment(round(s.start_s + offset, 3), round(s.end_s + offset, 3), s.text) for s in segments]
        return found

    def transcribe_regions(
        self, recording: np.ndarray, regions: Sequence[tuple[float, float]], words: bool = False
    ) -> list[Segment]:
        """Segments of a recording's speech ``regions`` (start_s, end_s), in file time; the rest is skipped."""
        stretches = speech_stretches(regions, len(_mono(recording)) / SAMPLING_RATE)
        return [segment for found in self.transcribe_stretches(recording, stretches, words) for segment in found]

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

    def _transcribe(self, clips: list[np.ndarray], words: bool, trusted_s: float) -> list[list[Segment]]:
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
                return_timestamps="word" if words else True,
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
