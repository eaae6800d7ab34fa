"""Spoken words from two different speech synthesisers, for benchmarks that must not hear one voice twice.

espeak-ng (formant synthesis) and flite (diphone synthesis, Debian package ``flite``) share no
voices and no synthesis method, so a model trained on one and scored on the other has to
generalise beyond the voices it heard, as it must for a person's recordings.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile

import numpy as np
import soundfile as sf
import soxr

RATE = 16000
ESPEAK_VOICES = ["en-us", "en-gb-x-rp", "en-us+f3", "en+m3"]
ESPEAK_SPEEDS = [130, 160, 190]  # words per minute
FLITE_VOICES = ["awb", "rms", "slt", "kal16"]
FLITE_STRETCHES = [0.8, 1.0, 1.25]  # duration factor: faster, as is, slower


def _read(path: str) -> np.ndarray:
    audio, rate = sf.read(path, dtype="float32")
    return soxr.resample(audio, rate, RATE).astype(np.float32)


def espeak(text: str, voice: str, speed: int = 160, pitch: int = 50) -> np.ndarray:
    """float32 speech at 16 kHz from espeak-ng."""
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        command = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", out.name, text]
        subprocess.run(command, check=True)
        return _read(out.name)


def flite(text: str, voice: str, stretch: float = 1.0) -> np.ndarray:
    """float32 speech at 16 kHz from flite."""
    if shutil.which("flite") is None:
        raise SystemExit("flite is not installed: `make system` installs it (Debian package flite)")
    with tempfile.NamedTemporaryFile(suffix=".wav") as out:
        command = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}", "-t", text, "-o", out.name]
        subprocess.run(command, check=True)
        return _read(out.name)


def pink_noise(samples: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-power 1/f noise."""
    spectrum = np.fft.rfft(rng.normal(size=samples))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    noise = np.fft.irfft(spectrum, samples)
    return (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def padded(speech: np.ndarray, rng: np.random.Generator, snr_db: float | None, pad_s: float = 0.15) -> np.ndarray:
    """``speech`` between short silences, with pink noise at ``snr_db`` (None: clean)."""
    pad = np.zeros(int(pad_s * RATE), np.float32)
    audio = np.concatenate([pad, speech, pad])
    if snr_db is not None:
        audio = audio + pink_noise(len(audio), rng) * np.sqrt(float(np.mean(speech**2)) / 10 ** (snr_db / 10))
    return audio.astype(np.float32)
