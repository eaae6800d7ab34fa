"""Voice enrolment: a speaker says a wake word a few times; Earmark builds that speaker's verifier.

The recordings, each also with noise, quieter and a little faster and slower, give the positive
embedding windows (those ending at the word's end, where a wake-word model's score peaks);
negatives are the same recordings cut short (the word stopped part-way, and the windows that end
before it does) and reversed, noise, chords, and — when espeak-ng is
installed — the other wake phrases and plain sentences in a few voices. The verifier's ``low`` is
half the wake-word model's weakest score on the speaker's recordings, so that speaker's quieter
attempts reach it; anything that reaches ``low`` fires only if the verifier agrees.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from ..audio import DecodeError
from .detector import FRAME_SAMPLES, SAMPLE_RATE, ListenModelError
from .embedding import SpeechEmbeddings
from .examples import MAX_EXAMPLE_S, speech_span
from .sources import file_frames, microphone_frames
from .verifier import CONTEXT, SUFFIX, Verifier, verifiers_dir, windows

MIN_CLIPS = 3
LOW_FLOOR = 0.002  # under this a wake-word model says nothing at all about the word
TAKE_S = 2.5  # seconds recorded per live take
CUT_SHORT_S = 0.25  # windows ending this long before the word does are negatives: "hey jar" is not "hey jarvis"
NEGATIVE_TEXT = [
    "the weather is nice today, and the meeting starts at nine in the morning",
    "could you send me the report before lunch, I will read it on the train",
    "hello, how are you? I am fine, thank you, and the children are well",
    "hey, turn the music down a little, the neighbours are asleep",
    "a jar of marmalade is on the shelf next to the microwave",
    "next, play the album by the garden and the fox again",
]
NEGATIVE_VOICES = ["en", "en-us+f3", "en-gb-scotland", "en-us+m7"]


@dataclass(frozen=True)
class Enrolment:
    verifier: Verifier
    path: Path
    peaks: list[float]  # the wake-word model's best score on each recording, before enrolment


def phrase(word: str) -> str:
    return word.replace("_", " ")


def trimmed(frames: np.ndarray, name: str) -> np.ndarray:
    """The recording's sound without the silence around it, as int16 samples; refuses silence and long takes."""
    if not len(frames) or not np.any(frames):
        raise ListenModelError(f"{name}: silent; say the word clearly")
    start, end = speech_span(frames)
    if (end - start) * FRAME_SAMPLES / SAMPLE_RATE > MAX_EXAMPLE_S:
        raise ListenModelError(f"{name}: over {MAX_EXAMPLE_S:.0f} s of sound; a recording is the word once")
    return frames[start:end].reshape(-1)


def clips_from_files(paths: list[Path]) -> list[np.ndarray]:
    clips = []
    for path in paths:
        try:
            clips.append(trimmed(np.array(list(file_frames(path))), path.name))
        except DecodeError as error:
            raise ListenModelError(f"{path.name}: {error}") from error
    return clips


def record_takes(count: int, device: int | None, prompt: Callable[[int], None], stop=None) -> list[np.ndarray]:
    """``count`` live takes of :data:`TAKE_S` each from one open stream; ``prompt(i)`` comes before take ``i``.

    A take with nothing said in it (under about -60 dBFS) is asked for again.
    """
    takes: list[np.ndarray] = []
    frames_per_take = int(TAKE_S * SAMPLE_RATE / FRAME_SAMPLES)
    heard: list[np.ndarray] = []
    stream = microphone_frames(device, stop)
    next(stream, None)  # the device is open and delivering before anyone is asked to speak
    prompt(1)
    for frame in stream:
        heard.append(frame)
        if len(heard) < frames_per_take:
            continue
        frames, heard = np.array(heard), []
        if np.sqrt(np.mean(frames.astype(np.float64) ** 2)) >= 30:
            takes.append(trimmed(frames, f"take {len(takes) + 1}"))
        if len(takes) == count:
            break
        prompt(len(takes) + 1)
    stream.close()
    return takes


def _pad(clip: np.ndarray, rng: np.random.Generator, lead_s: float = 1.5, tail_s: float = 0.6) -> np.ndarray:
    """The clip between a little room noise, long enough that its first window ends before it starts."""
    lead = rng.normal(0, 20, int(lead_s * SAMPLE_RATE))
    tail = rng.normal(0, 20, int(tail_s * SAMPLE_RATE))
    audio = np.concatenate([lead, clip.astype(np.float64), tail])
    return np.pad(audio, (0, -len(audio) % FRAME_SAMPLES))


def _variants(clip: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """The take as said, with noise at 20 and 10 dB, 10 dB quieter, and 8 % faster and slower."""
    audio = clip.astype(np.float64)
    level = np.sqrt(np.mean(audio**2)) + 1e-9
    out = [audio, audio * 10 ** (-10 / 20)]
    out += [audio + rng.normal(0, level / 10 ** (snr / 20), len(audio)) for snr in (20, 10)]
    out += [soxr.resample(audio, SAMPLE_RATE * factor, SAMPLE_RATE) for factor in (0.92, 1.08)]
    return [np.clip(a, -32768, 32767) for a in out]


def _espeak(text: str, voice: str) -> np.ndarray:
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        subprocess.run(["espeak-ng", "-v", voice, "-w", out.name, text], check=True, capture_output=True)
        audio, rate = sf.read(out.name, dtype="float32")
    return soxr.resample(audio, rate, SAMPLE_RATE) * 32767 * 0.5


def negative_audio(word: str, clips: list[np.ndarray], others: list[str], rng: np.random.Generator) -> list[np.ndarray]:
    """Audio that is not this speaker saying this word: see the module's docstring."""
    level = float(np.mean([np.sqrt(np.mean(c.astype(np.float64) ** 2)) for c in clips]))
    audio = [c[::-1].astype(np.float64) for c in clips]
    audio += [c[: int(len(c) * part)].astype(np.float64) for c in clips for part in (0.55, 0.7)]  # "hey jar"
    audio += [rng.normal(0, level, 2 * SAMPLE_RATE), np.cumsum(rng.normal(0, level / 30, 2 * SAMPLE_RATE))]
    t = np.arange(3 * SAMPLE_RATE) / SAMPLE_RATE
    audio.append(level * sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)))
    if shutil.which("espeak-ng"):
        texts = [phrase(other) for other in others if other != word] + NEGATIVE_TEXT
        audio += [_espeak(text, NEGATIVE_VOICES[i % len(NEGATIVE_VOICES)]) for i, text in enumerate(texts)]
    return audio


def _embed(frontend: SpeechEmbeddings, audio: np.ndarray) -> np.ndarray:
    return frontend.embed(np.clip(audio, -32768, 32767).astype(np.int16))


def train(
    word: str, clips: list[np.ndarray], negatives: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Positive and negative embedding windows (``(n, CONTEXT, 96)`` each)."""
    frontend = SpeechEmbeddings()
    frame_s = FRAME_SAMPLES / SAMPLE_RATE
    positive, negative = [], []
    for clip in clips:
        for variant in _variants(clip, rng):
            audio = _pad(variant, rng)
            lead = 1.5 * SAMPLE_RATE
            start_s, end_s = lead / SAMPLE_RATE, (lead + len(variant)) / SAMPLE_RATE
            found = windows(_embed(frontend, audio))
            ends = (np.arange(len(found)) + CONTEXT) * frame_s  # each window's end, in seconds
            positive.append(found[(ends >= end_s - 0.08) & (ends <= end_s + 0.4)])
            negative.append(found[(ends >= start_s + 0.25) & (ends <= end_s - CUT_SHORT_S)])  # the word cut short
    for audio in negatives:
        negative.append(windows(_embed(frontend, _pad(audio, rng)))[::2])
    return np.concatenate(positive), np.concatenate(negative)


def enrol(word: str, clips: list[np.ndarray], folder: Path | None = None, seed: int = 0) -> Enrolment:
    """Build and store ``word``'s verifier from a speaker's recordings (int16 16 kHz, silence trimmed)."""
    from sklearn.linear_model import LogisticRegression

    from .micro import MicroWakeWordDetector, available_words

    if len(clips) < MIN_CLIPS:
        raise ListenModelError(f"say {phrase(word)} at least {MIN_CLIPS} times to enrol ({len(clips)} given)")
    detector = MicroWakeWordDetector([word])
    peaks = [_peak(detector, clip, word) for clip in clips]
    rng = np.random.default_rng(seed)
    positive, negative = train(word, clips, negative_audio(word, clips, available_words(), rng), rng)
    features = np.concatenate([positive, negative]).reshape(len(positive) + len(negative), -1)
    labels = np.r_[np.ones(len(positive)), np.zeros(len(negative))]
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-3
    model = LogisticRegression(C=0.01, class_weight="balanced", max_iter=2000)
    model.fit((features - mean) / scale, labels)
    low = float(np.clip(0.5 * min(peaks), LOW_FLOOR, detector.default_thresholds[word]))
    verifier = Verifier(word, mean, scale, model.coef_[0], float(model.intercept_[0]), low, len(clips))
    path = verifier.save((folder or verifiers_dir()) / f"{word}{SUFFIX}")
    return Enrolment(verifier, path, peaks)


def _peak(detector, clip: np.ndarray, word: str) -> float:
    audio = _pad(clip, np.random.default_rng(0)).astype(np.int16)
    detector.reset()
    return max(detector.predict(frame)[word] for frame in audio.reshape(-1, FRAME_SAMPLES))
