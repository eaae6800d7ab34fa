"""The wake-word benchmark's audio: noisy positives, and hours of negatives generated, never stored whole.

Negatives are a deterministic list of pieces (a seed fixes it): espeak-ng reading the Python
standard library's documentation in many voices, speeds and pitches; Debian's game music
(wesnoth-1.16-music, asc-music: about 146 min) cut, sped up or slowed down and set at varied
levels; speech over music; and pink or brown noise under either. espeak-ng renders about 600x
faster than real time, so speech is rendered when a piece is needed; only the music, decoded to
16 kHz once, is cached (under ``$EARMARK_BENCH_CACHE`` or ``~/.cache/earmark-bench``, outside the
repository). Ten hours hear each track about twice and each sentence a few times, in different
voices and mixtures: that is what "ten hours" means here, said plainly in the README.
"""

from __future__ import annotations

import inspect
import json
import os
import pydoc
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from bench.corpus import real_tracks
from core.listen.detector import FRAME_SAMPLES, SAMPLE_RATE
from tests.audio_factory import chords

CACHE = Path(os.environ.get("EARMARK_BENCH_CACHE", Path.home() / ".cache" / "earmark-bench"))
TEXT_MODULES = [
    "json", "pathlib", "argparse", "collections", "threading", "subprocess", "email", "http.client", "asyncio",
    "logging", "unittest", "datetime", "decimal", "sqlite3", "socket", "tarfile", "zipfile", "csv", "random",
    "statistics", "string", "textwrap", "shutil", "tempfile", "typing", "functools", "itertools", "enum",
]  # fmt: skip
BASE_VOICES = ["en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029",
               "en-us-nyc"]  # fmt: skip
VARIANTS = ["", "+m1", "+m3", "+m7", "+f1", "+f2", "+f4", "+Alex", "+Annie", "+Andy", "+Denis", "+Edward", "+Linda",
            "+Michael", "+Steph", "+Zac", "+klatt", "+whisper", "+croak"]  # fmt: skip
PIECE_KINDS = (("speech", 0.55), ("music", 0.3), ("speech over music", 0.15))


def espeak(text: str, voice: str, speed: int = 160, pitch: int = 50) -> np.ndarray:
    """float32 speech at 16 kHz."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", out.name, text],
            check=True,
            capture_output=True,
        )
        audio, rate = sf.read(out.name, dtype="float32")
    return soxr.resample(audio, rate, SAMPLE_RATE)


def coloured_noise(samples: int, rng: np.random.Generator, slope: float = 0.5) -> np.ndarray:
    """Unit-RMS noise whose power falls as 1/f**(2*slope): 0.5 pink, 1.0 brown."""
    spectrum = np.fft.rfft(rng.normal(size=samples))
    spectrum /= np.maximum(np.arange(len(spectrum)), 1) ** slope
    noise = np.fft.irfft(spectrum, samples)
    return (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def to_frames(audio: np.ndarray) -> np.ndarray:
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    pcm = np.pad(pcm, (0, -len(pcm) % FRAME_SAMPLES))
    return pcm.reshape(-1, FRAME_SAMPLES)


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)) + 1e-9)


def _extract_sentences() -> list[str]:
    text = []
    for name in TEXT_MODULES:
        module = pydoc.locate(name)
        for _, member in inspect.getmembers(module):
            doc = inspect.getdoc(member) if callable(member) or inspect.ismodule(member) else None
            if doc:
                text.append(re.sub(r"[^A-Za-z0-9,.;:'\s]", " ", doc))
    joined = " ".join(dict.fromkeys(text))
    return list(dict.fromkeys(s.strip() for s in re.split(r"(?<=[.;])\s+", joined) if len(s.split()) >= 4))


@cache
def sentences() -> tuple[str, ...]:
    """Varied English prose from the standard library's documentation, no download needed.

    A module's members include whatever of its submodules happen to be imported, so the text is
    read in a fresh interpreter that imports nothing else: the same sentences whoever asks.
    """
    code = "import json, bench.kws_corpus as c; print(json.dumps(c._extract_sentences()))"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True).stdout
    return tuple(json.loads(out))


def _decode_track(path: Path) -> np.ndarray:
    cached = CACHE / "music16k" / f"{path.stem}.npy"
    if cached.is_file():
        return np.load(cached).astype(np.float32) / 32767
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = soxr.resample(audio.mean(axis=1), rate, SAMPLE_RATE)
    cached.parent.mkdir(parents=True, exist_ok=True)
    np.save(cached, (np.clip(mono, -1, 1) * 32767).astype(np.int16))
    return mono.astype(np.float32)


@cache
def music() -> tuple[np.ndarray, ...]:
    """Every Debian music track at 16 kHz mono, or two minutes of synthetic chords when none is installed."""
    tracks = real_tracks()
    if not tracks:
        return (chords(120.0, SAMPLE_RATE, seed=0),)
    return tuple(_decode_track(path) for path in tracks)


@dataclass(frozen=True)
class Piece:
    """One stretch of the negative stream; everything that renders it is here, so it renders the same each time."""

    kind: str
    seed: int


def plan(hours: float, seed: int = 0) -> list[Piece]:
    """Enough pieces for ``hours`` (speech about 40 s a piece, music 30-120 s): a fixed list for a seed."""
    rng = np.random.default_rng(seed)
    kinds, weights = zip(*PIECE_KINDS, strict=True)
    pieces, seconds = [], 0.0
    while seconds < hours * 3600:
        kind = str(rng.choice(kinds, p=weights))
        pieces.append(Piece(kind, int(rng.integers(2**31))))
        seconds += 75.0 if kind == "music" else 40.0
    return pieces


def _speech(rng: np.random.Generator) -> np.ndarray:
    lines = sentences()
    start = int(rng.integers(len(lines)))
    text = " ".join(lines[start : start + 6])
    voice = str(rng.choice(BASE_VOICES)) + str(rng.choice(VARIANTS))
    audio = espeak(text, voice, int(rng.integers(120, 230)), int(rng.integers(15, 90)))
    return np.concatenate([audio, np.zeros(int(rng.uniform(0.2, 2.0) * SAMPLE_RATE), np.float32)])


def _music(rng: np.random.Generator, seconds: float) -> np.ndarray:
    tracks = music()
    track = tracks[int(rng.integers(len(tracks)))]
    stretch = float(rng.uniform(0.92, 1.08))  # sped up or slowed down (pitch follows, as a tape)
    length = min(len(track), int(seconds * SAMPLE_RATE * stretch))
    offset = int(rng.integers(max(1, len(track) - length)))
    return soxr.resample(track[offset : offset + length], SAMPLE_RATE * stretch, SAMPLE_RATE).astype(np.float32)


def render(piece: Piece) -> np.ndarray:
    """The piece's audio, float32 at 16 kHz: the same samples for the same piece."""
    rng = np.random.default_rng(piece.seed)
    if piece.kind == "speech":
        audio = _speech(rng)
    elif piece.kind == "music":
        audio = _music(rng, rng.uniform(30, 120))
    else:
        audio = _speech(rng)
        bed = _music(rng, len(audio) / SAMPLE_RATE + 1)[: len(audio)]
        bed = np.pad(bed, (0, len(audio) - len(bed)))
        audio = audio + bed * rms(audio) / rms(bed) / 10 ** (rng.uniform(0, 15) / 20)
    if rng.random() < 0.5:  # a noisy room or line under it
        noise = coloured_noise(len(audio), rng, float(rng.choice([0.5, 1.0])))
        audio = audio + noise * rms(audio) / 10 ** (rng.uniform(5, 30) / 20)
    gain = 10 ** (rng.uniform(-20, 0) / 20) * 0.3 / rms(audio)  # speech and music alike, -30 to -10 dBFS RMS
    return np.clip(audio * gain, -1, 1).astype(np.float32)


def negative_stream(hours: float, seed: int = 0, part: int = 0, parts: int = 1) -> Iterator[tuple[np.ndarray, str]]:
    """(audio, kind) of every ``parts``-th piece from ``part``: parts run in separate processes."""
    for index, piece in enumerate(plan(hours, seed)):
        if index % parts == part:
            yield render(piece), piece.kind


def distinct_content(batches: list[tuple[float, int, int]]) -> dict[str, float]:
    """How much distinct material the streams (planned hours, seed, parts) are made of: for an honest description."""
    pieces = [piece for hours, seed, _parts in batches for piece in plan(hours, seed)]
    speech_pieces = sum(p.kind != "music" for p in pieces)
    return {
        "sentences": len(sentences()),
        "voices": len(BASE_VOICES) * len(VARIANTS),
        "music_minutes": sum(len(t) for t in music()) / SAMPLE_RATE / 60,
        "speech_pieces": speech_pieces,
        "music_pieces": sum(p.kind != "speech" for p in pieces),
    }
