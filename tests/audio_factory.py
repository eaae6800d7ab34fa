"""Test audio, made rather than downloaded: numpy signals written with soundfile or ffmpeg."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf


def tone(seconds: float, rate: int = 16000, freq: float = 440.0, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def chords(seconds: float, rate: int = 22050, seed: int = 0) -> np.ndarray:
    """A little synthetic 'music': changing chords with a beat, so tags vary over time."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    signal = np.zeros_like(t)
    for start in np.arange(0, seconds, 0.5):
        root = rng.choice([220.0, 246.9, 261.6, 293.7, 329.6])
        mask = (t >= start) & (t < start + 0.5)
        for ratio in (1.0, 1.25, 1.5):
            signal[mask] += np.sin(2 * np.pi * root * ratio * t[mask])
    beat = (np.sin(2 * np.pi * 2 * t) > 0.95) * rng.normal(0, 1, t.shape)
    return (0.1 * signal + 0.2 * beat).astype(np.float32)


def speak(path: Path, text: str, voice: str = "en", pad_s: float = 1.5, speed: int = 150) -> tuple[Path, float]:
    """espeak-ng saying ``text`` between stretches of silence; returns the file and when speech ends."""
    raw = path.with_suffix(".raw.wav")
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
    speech, rate = sf.read(str(raw), dtype="float32")
    pad = np.zeros(int(pad_s * rate), dtype=np.float32)
    write(path, np.concatenate([pad, speech, pad]), rate)
    raw.unlink()
    return path, pad_s + len(speech) / rate


def keyword_examples(root: Path) -> Path:
    """Two custom keywords (lights_on, play_music), each said by three espeak-ng voices."""
    for keyword in ("lights on", "play music"):
        folder = root / keyword.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        for voice, speed in (("en", 150), ("en-us", 140), ("en+f3", 160)):
            speak(folder / f"{voice}.wav", keyword, voice, pad_s=0.3, speed=speed)
    return root


def write(path: Path, audio: np.ndarray, rate: int, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio, rate, **kwargs)
    return path


def write_m4a(path: Path, audio: np.ndarray, rate: int) -> Path:
    """AAC in MP4, which libsndfile cannot read (ffmpeg decodes it)."""
    wav = path.with_suffix(".tmp.wav")
    write(wav, audio, rate)
    subprocess.run(
        [shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", str(path)], check=True
    )
    wav.unlink()
    return path


def good_corpus(root: Path) -> dict[str, Path]:
    """Readable files in every format Earmark claims, with odd but valid properties."""
    files = {
        "chords.wav": write(root / "chords.wav", chords(8.0), 22050),
        "chords.flac": write(root / "album" / "chords.flac", chords(7.0, seed=1), 44100 // 2),
        "tone.ogg": write(root / "album" / "tone.ogg", tone(5.0, 44100), 44100),
        "noise.mp3": write(
            root / "noise.mp3", np.random.default_rng(2).normal(0, 0.1, 16000 * 4).astype(np.float32), 16000
        ),
        "telephone.wav": write(root / "calls" / "telephone.wav", tone(6.0, 8000, 300.0), 8000, subtype="ULAW"),
        "surround.flac": write(root / "surround.flac", np.tile(tone(4.0, 48000)[:, None], (1, 6)), 48000),
        "silence.wav": write(root / "silence.wav", np.zeros(16000 * 5, dtype=np.float32), 16000),
        "short.wav": write(root / "short.wav", tone(0.4), 16000),
    }
    if shutil.which("ffmpeg"):
        files["speech.m4a"] = write_m4a(root / "calls" / "speech.m4a", chords(5.0, 16000, seed=3), 16000)
    return files


def bad_corpus(root: Path) -> dict[str, Path]:
    """Files that cannot be tagged, each for its own reason."""
    root.mkdir(parents=True, exist_ok=True)
    truncated = write(root / "truncated.flac", chords(6.0), 22050)
    data = truncated.read_bytes()
    truncated.write_bytes(data[: len(data) // 20])
    empty = root / "empty.wav"
    empty.write_bytes(b"")
    text = root / "notes.mp3"
    text.write_text("This is a shopping list, not a song.\n" * 50)
    dangling = root / "gone.ogg"
    dangling.symlink_to(root / "does-not-exist.ogg")
    return {"truncated.flac": truncated, "empty.wav": empty, "notes.mp3": text, "gone.ogg": dangling}


def labelled_folder(root: Path, per_label: int = 6, seconds: float = 4.0) -> Path:
    """``root/tones`` (steady sines) and ``root/noise`` (white noise), plus one corrupt file in noise/."""
    rng = np.random.default_rng(0)
    for i in range(per_label):
        write(root / "tones" / f"tone{i}.wav", tone(seconds, freq=300.0 + 90 * i), 16000)
        write(root / "noise" / f"noise{i}.wav", rng.normal(0, 0.1, int(seconds * 16000)).astype(np.float32), 16000)
    (root / "noise" / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    return root


def hostile_corpus(root: Path) -> dict[str, tuple[Path, str]]:
    """Files found to break Earmark once, each with (a piece of) the error row it must get instead.

    It grows with every failure found: a new hostile input is one more entry here.
    """
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, tuple[Path, str]] = {}
    for ext in ("mp3", "ogg", "wav"):
        whole = write(root / f"whole.{ext}", chords(6.0, seed=7), 22050)
        data = whole.read_bytes()
        whole.unlink()
        for percent in (10, 50):
            cut = root / f"cut{percent}.{ext}"
            cut.write_bytes(data[: len(data) * percent // 100])
            files[cut.name] = (cut, "truncated")
    files["one-sample.wav"] = (write(root / "one-sample.wav", np.zeros(1, dtype=np.float32), 16000), "too short")
    loop = root / "loop.wav"
    loop.symlink_to(loop.name)  # a link to itself
    files["loop.wav"] = (loop, "symbolic links")
    fifo = root / "pipe.flac"
    os.mkfifo(fifo)
    files["pipe.flac"] = (fifo, "not a regular file (a named pipe)")
    escape = write(root / "\x1b[2Jclear\x1b]0;owned\x07.wav", np.zeros(10, dtype=np.float32), 16000)
    files[escape.name] = (escape, "too short")
    return files
