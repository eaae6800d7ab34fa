"""Where frames come from: a recording (any format Earmark decodes) or a live microphone."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..audio import AudioInfo, probe, stream_segments
from ..errors import EarmarkError
from .detector import FRAME_SAMPLES, SAMPLE_RATE


class AudioSourceError(EarmarkError):
    """No audio can be had from this source; the message says why in one line."""


def to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16)


def file_frames(path: Path, info: AudioInfo | None = None) -> Iterator[np.ndarray]:
    """A recording as 80 ms int16 frames at 16 kHz (the last one zero-padded)."""
    rest = np.zeros(0, dtype=np.int16)
    for block in stream_segments(path, info or probe(path), SAMPLE_RATE, 10.0):
        samples = np.concatenate([rest, to_int16(block)])
        whole = len(samples) // FRAME_SAMPLES * FRAME_SAMPLES
        yield from samples[:whole].reshape(-1, FRAME_SAMPLES)
        rest = samples[whole:]
    if len(rest):
        yield np.concatenate([rest, np.zeros(FRAME_SAMPLES - len(rest), dtype=np.int16)])


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_rate: float


def _sounddevice():
    try:
        import sounddevice
    except OSError as error:  # the PortAudio library itself is missing
        raise AudioSourceError(f"PortAudio is not installed ({error}); install libportaudio2") from error
    return sounddevice


def input_devices() -> list[InputDevice]:
    sd = _sounddevice()
    return [
        InputDevice(i, d["name"], int(d["max_input_channels"]), float(d["default_samplerate"]))
        for i, d in enumerate(sd.query_devices())
        if d["max_input_channels"] > 0
    ]


def microphone_frames(device: int | None = None, stop=None) -> Iterator[np.ndarray]:
    """Live 80 ms frames from an input device (default: the system's); ends when ``stop`` is set."""
    sd = _sounddevice()
    if not input_devices():
        raise AudioSourceError("no audio input device found (is a microphone connected?)")
    frames: queue.Queue = queue.Queue(maxsize=256)
    problems: list[str] = []

    def callback(data, _count, _time, status) -> None:
        if status.input_overflow:
            problems.append("input overflow")
        frames.put_nowait(data[:, 0].copy())

    try:
        stream = sd.InputStream(
            samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=FRAME_SAMPLES, device=device, callback=callback
        )
    except (sd.PortAudioError, ValueError) as error:
        raise AudioSourceError(f"cannot open the input device: {error}") from error
    with stream:
        while stop is None or not stop.is_set():
            try:
                yield frames.get(timeout=1.0)
            except queue.Empty as error:
                if not stream.active:
                    raise AudioSourceError("the input device stopped delivering audio (unplugged?)") from error
