"""Decode any audio file into mono float32 blocks at the model's rate, without loading it whole.

Two decoders: libsndfile (through ``soundfile``: wav, flac, ogg, opus, mp3, aiff...) and, for
what libsndfile cannot read (m4a, aac, wma...), an ``ffmpeg`` subprocess. Both stream: an
hour-long recording is read, downmixed and resampled block by block (``soxr``'s streaming
resampler keeps the block seams exact), so memory stays bounded whatever the file's length.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from .containers import libsndfile_container, truncation
from .errors import EarmarkError

_READ_FRAMES = 1 << 16  # source frames read per step
MIN_AUDIO_S = 0.1  # less than this is not worth a label (and too short for a spectrogram frame)


class DecodeError(EarmarkError):
    """The file cannot be decoded; the message says why, for the error row and the user."""


@dataclass(frozen=True)
class AudioInfo:
    """What the container says about a file, before decoding it."""

    sample_rate: int
    channels: int
    duration_s: float | None
    codec: str


def _ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


def probe(path: Path) -> AudioInfo:
    """Read the header: rate, channels, duration. Raises :class:`DecodeError` with the reason."""
    try:
        status = path.stat()
    except OSError as error:
        raise DecodeError(f"cannot read file: {error.strerror or error}") from error
    if not stat.S_ISREG(status.st_mode):  # reading a named pipe would wait forever, a device never end
        kind = "a named pipe" if stat.S_ISFIFO(status.st_mode) else "a device or socket"
        raise DecodeError(f"not a regular file ({kind})")
    if status.st_size == 0:
        raise DecodeError("empty file (0 bytes)")
    _refuse_truncated(path)  # first: decoders read a cut file without complaint, or fail saying less
    if not libsndfile_container(path):  # its mpg123 would scan a stranger byte by byte, noting on stderr
        return _probe_ffmpeg(path, "no container libsndfile knows")
    try:
        info = sf.info(str(path))
    except sf.LibsndfileError as error:
        sndfile_reason = str(error.error_string or error)
    except OSError as error:
        raise DecodeError(f"cannot read file: {error.strerror or error}") from error
    else:
        if info.samplerate <= 0 or info.channels <= 0:
            raise DecodeError("the file's header declares no audio")
        duration = info.frames / info.samplerate if info.frames > 0 else None
        return AudioInfo(info.samplerate, info.channels, duration, f"{info.format}/{info.subtype}")
    return _probe_ffmpeg(path, sndfile_reason)


def _refuse_truncated(path: Path) -> None:
    """A file cut short decodes without complaint: its container says it is missing its end."""
    try:
        reason = truncation(path)
    except OSError as error:
        raise DecodeError(f"cannot read file: {error.strerror or error}") from error
    if reason:
        raise DecodeError(reason)


def _probe_ffmpeg(path: Path, sndfile_reason: str) -> AudioInfo:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise DecodeError(
            f"not a format libsndfile reads ({sndfile_reason}); install ffmpeg to decode {path.suffix or 'it'}"
        )
    command = [ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries",
               "stream=sample_rate,channels,codec_name:format=duration", "-of", "json", str(path)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    streams = json.loads(result.stdout or "{}").get("streams") if result.returncode == 0 else None
    if not streams:
        detail = (result.stderr.strip().splitlines() or ["no audio stream found"])[-1]
        raise DecodeError(f"not a readable audio file: {detail.replace(f'{path}: ', '')}")
    stream = streams[0]
    duration = json.loads(result.stdout).get("format", {}).get("duration")
    return AudioInfo(
        sample_rate=int(stream.get("sample_rate", 0)),
        channels=int(stream.get("channels", 0)),
        duration_s=float(duration) if duration else None,
        codec=f"ffmpeg/{stream.get('codec_name', '?')}",
    )


@dataclass(frozen=True)
class Span:
    """A stretch of a file to decode: from ``start_s``, for ``seconds`` (None: to the end)."""

    start_s: float = 0.0
    seconds: float | None = None


def _sndfile_blocks(path: Path, target_rate: int, span: Span, channels: int) -> Iterator[np.ndarray]:
    with sf.SoundFile(str(path)) as source:
        resampler = (
            None
            if source.samplerate == target_rate
            else soxr.ResampleStream(source.samplerate, target_rate, channels, dtype="float32", quality="HQ")
        )
        if span.start_s:
            source.seek(int(span.start_s * source.samplerate))
        remaining = None if span.seconds is None else int(span.seconds * source.samplerate)
        while True:
            want = _READ_FRAMES if remaining is None else min(_READ_FRAMES, remaining)
            block = source.read(want, dtype="float32", always_2d=True)
            if remaining is not None:
                remaining -= len(block)
            last = len(block) < want or remaining == 0
            mixed = block.mean(axis=1) if channels == 1 else block
            mixed = np.ascontiguousarray(mixed, dtype=np.float32)
            yield mixed if resampler is None else resampler.resample_chunk(mixed, last=last)
            if last:
                return


def _ffmpeg_blocks(path: Path, target_rate: int, span: Span, channels: int) -> Iterator[np.ndarray]:
    ffmpeg = _ffmpeg()
    if ffmpeg is None:
        raise DecodeError(f"install ffmpeg to decode {path.suffix or 'this file'}")
    command = [ffmpeg, "-v", "error", "-nostdin", "-ss", f"{span.start_s:.3f}", "-i", str(path)]
    if span.seconds is not None:
        command += ["-t", f"{span.seconds:.3f}"]
    command += ["-vn", "-ac", str(channels), "-ar", str(target_rate), "-f", "f32le", "-"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        try:
            frame = 4 * channels
            while chunk := process.stdout.read(_READ_FRAMES * frame):
                usable = len(chunk) - len(chunk) % frame
                samples = np.frombuffer(chunk[:usable], dtype="<f4")
                yield samples if channels == 1 else samples.reshape(-1, channels)
        finally:
            process.stdout.close()
            stderr = process.stderr.read().decode("utf-8", "replace").strip()
            code = process.wait()
    if code != 0:
        raise DecodeError(f"ffmpeg could not decode it: {(stderr.splitlines() or ['exit code ' + str(code)])[-1]}")


def stream_segments(
    path: Path,
    info: AudioInfo,
    target_rate: int,
    segment_seconds: float,
    span: Span = Span(),
    keep_channels: bool = False,
) -> Iterator[np.ndarray]:
    """Mono float32 audio at ``target_rate`` in consecutive segments of ``segment_seconds``.

    ``keep_channels``: the file's channels apart, as ``(samples, channels)`` arrays (a call
    recorder's agent and customer on two sides); otherwise they are mixed down.

    ``span`` limits decoding to one stretch of the file (seeking to its start), for excerpts.
    Only the last segment may be shorter. Non-finite samples (broken float files) become 0.
    Raises :class:`DecodeError` if the decoder fails, or if there is less than ``MIN_AUDIO_S`` of audio
    (nothing can be heard in it, and the models' spectrograms need more samples than that).
    """
    channels = max(1, info.channels) if keep_channels else 1
    blocks = (
        _ffmpeg_blocks(path, target_rate, span, channels)
        if info.codec.startswith("ffmpeg/")
        else _sndfile_blocks(path, target_rate, span, channels)
    )
    segment_length = max(1, int(round(segment_seconds * target_rate)))
    pending: list[np.ndarray] = []
    pending_length = 0
    produced = 0
    try:
        for block in blocks:
            if not len(block):
                continue
            pending.append(np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0))
            pending_length += len(block)
            while pending_length >= segment_length:
                joined = np.concatenate(pending)
                yield joined[:segment_length]
                produced += 1
                pending, pending_length = [joined[segment_length:]], pending_length - segment_length
    except sf.LibsndfileError as error:
        done = (produced * segment_length + pending_length) / target_rate
        where = f" after {done:.1f} s of {info.duration_s:.1f} s (truncated or damaged)" if info.duration_s else ""
        raise DecodeError(f"decoding failed{where}: {error.error_string or error}") from error
    if not produced and pending_length < MIN_AUDIO_S * target_rate:
        if not pending_length:
            raise DecodeError("the file holds no audio samples")
        raise DecodeError(
            f"too short: {pending_length / target_rate:.3f} s of audio; at least {MIN_AUDIO_S} s is needed"
        )
    if pending_length:
        yield np.concatenate(pending)
