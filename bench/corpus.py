"""The benchmark corpus: 30 s excerpts of real recordings in mixed formats, plus a few long files.

Real music comes from Debian packages when installed (wesnoth-1.16-music, asc-music: what
`make test` installs); otherwise synthetic chords stand in. Files are written at 44.1 kHz stereo,
as a music library holds them, rotating through ogg, mp3, flac and wav.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

SOURCES = [Path("/usr/share/games/wesnoth/1.16/data/core/music"), Path("/usr/share/games/asc/music")]
FORMATS = [
    ("ogg", "OGG", "VORBIS"),
    ("mp3", "MP3", "MPEG_LAYER_III"),
    ("flac", "FLAC", "PCM_16"),
    ("wav", "WAV", "PCM_16"),
]
RATE = 44100


def real_tracks() -> list[Path]:
    return sorted(p for root in SOURCES if root.is_dir() for p in root.iterdir() if p.suffix in (".ogg", ".mp3"))


def _synthetic(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    signal = np.zeros_like(t)
    for start in np.arange(0, seconds, 0.5):
        mask = (t >= start) & (t < start + 0.5)
        root = rng.uniform(110, 440)
        for ratio in (1.0, 1.25, 1.5):
            signal[mask] += np.sin(2 * np.pi * root * ratio * t[mask])
    return np.stack([0.1 * signal, 0.1 * signal], axis=1).astype(np.float32)


def _excerpt(track: Path, offset_s: float, seconds: float) -> np.ndarray | None:
    with sf.SoundFile(str(track)) as source:
        if source.frames and source.frames < (offset_s + seconds) * source.samplerate:
            return None
        source.seek(int(offset_s * source.samplerate))
        audio = source.read(int(seconds * source.samplerate), dtype="float32", always_2d=True)
        rate = source.samplerate
    if len(audio) < seconds * rate * 0.99:
        return None
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    if rate != RATE:
        import soxr

        audio = soxr.resample(audio, rate, RATE)
    return audio[:, :2]


def _write(path: Path, audio: np.ndarray, fmt: str, subtype: str) -> None:
    """Write in blocks: libsndfile's Vorbis encoder crashes on very large single writes."""
    with sf.SoundFile(str(path), "w", RATE, audio.shape[1], format=fmt, subtype=subtype) as out:
        for start in range(0, len(audio), 1 << 16):
            out.write(audio[start : start + (1 << 16)])


def build(folder: Path, files: int = 200, long_files: int = 3, long_seconds: float = 600.0) -> list[Path]:
    """Write the corpus into ``folder`` (reused when already there) and return its files."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f".complete-{files}-{long_files}-{int(long_seconds)}"
    if marker.exists():
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    tracks = real_tracks()
    written: list[Path] = []
    offsets = [10.0, 50.0, 90.0, 130.0, 170.0, 210.0]
    candidates = [(track, offset) for offset in offsets for track in tracks]
    for i in range(files):
        audio = None
        while audio is None and candidates:
            track, offset = candidates.pop(0)
            audio = _excerpt(track, offset, 30.0)
        if audio is None:
            audio = _synthetic(30.0, seed=i)
        ext, fmt, subtype = FORMATS[i % len(FORMATS)]
        path = folder / f"clip{i:03d}.{ext}"
        _write(path, audio, fmt, subtype)
        written.append(path)
    for j in range(long_files):
        path = folder / f"long{j}.ogg"
        pieces = [_excerpt(t, 0.0, 60.0) for t in tracks[j :: max(1, long_files)]]
        pieces = [p for p in pieces if p is not None] or [_synthetic(60.0, seed=100 + j)]
        audio = np.concatenate(pieces * int(np.ceil(long_seconds / (60.0 * len(pieces)))))[: int(long_seconds * RATE)]
        _write(path, audio, "OGG", "VORBIS")
        written.append(path)
    marker.touch()
    return sorted(written)
