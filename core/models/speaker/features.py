"""What Resemblyzer's speaker encoder reads: 40-band mel power frames, cut into 1.6 s partial utterances.

A port of ``resemblyzer/audio.py`` and ``hparams.py`` (Resemblyzer 0.1.4, Apache-2.0), kept to the
same numbers so the pretrained weights see what they were trained on:

- 16 kHz audio, a 25 ms Hann window (400 samples), a 10 ms hop (160), 40 Slaney mel bands from
  0 to 8 kHz, power 2, *no* logarithm (``librosa.feature.melspectrogram`` defaults otherwise);
- partial utterances of 160 frames (1.6 s), started every ``round(16000 / rate / 160)`` frames;
- the last partial kept only if the audio covers ``min_coverage`` of it (zero-padded), and always
  at least one partial.

Resemblyzer computes the mel of the whole (zero-padded) waveform at once. Here a stretch of frames
is computed on its own, from the samples those frames see, so that an hour of audio never needs an
hour-long spectrogram; the frames are the same because librosa (0.10 and later) centres frames by
padding with zeros, which is what reading "outside the waveform" as zeros gives.
"""

from __future__ import annotations

import librosa
import numpy as np

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms: one mel frame
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s, the length the encoder was trained on
UTTERANCE_RATE = 1.3  # partial utterances per second in embed_utterance
UTTERANCE_MIN_COVERAGE = 0.75
NORM_TARGET_DBFS = -30.0  # preprocess_wav's volume target (raised only)
_INT16_MAX = 2**15 - 1


def frame_count(n_samples: int) -> int:
    """How many centred mel frames ``n_samples`` give (Resemblyzer's ``ceil((n + 1) / hop)``)."""
    return int(np.ceil((n_samples + 1) / HOP))


def frame_step(rate: float) -> int:
    """Frames between two partial starts for ``rate`` partials per second, rounded as Resemblyzer does."""
    step = int(np.round((SAMPLE_RATE / rate) / HOP))
    if step <= 0:
        raise ValueError(f"{rate} partial utterances per second is more than one per mel frame")
    return step


def partial_starts(n_samples: int, window: int, step: int, min_coverage: float) -> list[int]:
    """First mel frame of each partial utterance of ``window`` frames, every ``step`` frames.

    Resemblyzer's ``compute_partial_slices``: the starts run on while a window can still begin
    before the audio's end (the last windows reach past it and are zero-padded), then the last is
    dropped when the audio covers less than ``min_coverage`` of it, unless it is the only one.
    """
    if not 0 < min_coverage <= 1:
        raise ValueError("min_coverage must be in (0, 1]")
    if not 0 < step <= window:
        raise ValueError(f"a hop of {step} frames leaves gaps between windows of {window} frames")
    steps = max(1, frame_count(n_samples) - window + step + 1)
    starts = list(range(0, steps, step))
    coverage = (n_samples - starts[-1] * HOP) / (window * HOP)
    if coverage < min_coverage and len(starts) > 1:
        starts.pop()
    return starts


def _filterbank() -> np.ndarray:
    return librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS)


_MEL_BASIS = _filterbank()


def mel_frames(audio: np.ndarray, first: int, count: int) -> np.ndarray:
    """Mel frames ``first .. first + count`` of ``audio`` as ``(count, 40)`` float32.

    Frame ``t`` is centred on sample ``t * 160`` and sees ``audio[t * 160 - 200 : t * 160 + 200]``,
    zeros where that runs outside the audio: exactly Resemblyzer's ``wav_to_mel_spectrogram`` of the
    zero-padded waveform, row for row.
    """
    begin = first * HOP - N_FFT // 2
    end = begin + (count - 1) * HOP + N_FFT
    segment = np.zeros(end - begin, dtype=np.float32)
    inside = audio[max(begin, 0) : max(min(end, len(audio)), 0)]
    offset = max(-begin, 0)
    segment[offset : offset + len(inside)] = inside
    power = np.abs(librosa.stft(segment, n_fft=N_FFT, hop_length=HOP, window="hann", center=False)) ** 2
    mel = np.einsum("...ft,mf->...mt", power, _MEL_BASIS, optimize=True)  # as librosa.feature.melspectrogram
    return mel.astype(np.float32).T


def normalize_volume(audio: np.ndarray, target_dbfs: float = NORM_TARGET_DBFS) -> np.ndarray:
    """Raise quiet audio to ``target_dbfs`` RMS, as ``preprocess_wav`` does before embedding.

    The encoder reads mel *power*, not its logarithm, so loudness moves the embedding: apply this
    to a whole recording (or speech stretch) once, not window by window. Loud audio is left alone.
    Resemblyzer's other preprocessing step, trimming silences with webrtcvad, is Earmark's VAD's job.
    """
    rms = np.sqrt(np.mean((audio.astype(np.float64) * _INT16_MAX) ** 2))
    if rms == 0:
        return audio
    change = target_dbfs - 20 * np.log10(rms / _INT16_MAX)
    if change < 0:
        return audio
    return (audio * (10 ** (change / 20))).astype(audio.dtype)
