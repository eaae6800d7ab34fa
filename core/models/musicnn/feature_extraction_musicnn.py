"""Log-mel patches for musicnn, as a ``transformers`` feature extractor.

Unlike the usual one-clip-one-example extractors, musicnn looks at 3 s patches of a long
spectrogram: one call turns a stretch of audio into all of its patches, which is how the
original computes them (the mel is taken over the whole stretch, then cut).
"""

from __future__ import annotations

from typing import Any

import librosa
import numpy as np
from transformers import BatchFeature, SequenceFeatureExtractor


class MusicnnFeatureExtractor(SequenceFeatureExtractor):
    model_input_names = ["input_features"]

    def __init__(
        self,
        feature_size: int = 96,
        sampling_rate: int = 16000,
        n_fft: int = 512,
        hop_length: int = 256,
        patch_frames: int = 187,
        padding_value: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(feature_size=feature_size, sampling_rate=sampling_rate, padding_value=padding_value, **kwargs)
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.patch_frames = patch_frames
        self._mel_basis = librosa.filters.mel(sr=sampling_rate, n_fft=n_fft, n_mels=feature_size).astype(np.float32)

    @property
    def patch_seconds(self) -> float:
        """Audio covered by one patch (3 s for the published models)."""
        return self.patch_frames * self.hop_length / self.sampling_rate

    def log_mel(self, audio: np.ndarray) -> np.ndarray:
        """``log10(10000 * mel + 1)`` as ``(frames, mels)``, in float32 throughout.

        The original casts the mel to float16 before the log, which overflows to inf on loud
        music; float32 keeps every value finite and agrees with it everywhere else.
        """
        spectrum = np.abs(
            librosa.stft(np.asarray(audio, dtype=np.float32), n_fft=self.n_fft, hop_length=self.hop_length)
        )
        mel = self._mel_basis @ (spectrum**2)
        return np.log10(10000.0 * mel + 1.0).T.astype(np.float32)

    def patches(self, audio: np.ndarray) -> np.ndarray:
        """Non-overlapping patches ``(n, patch_frames, mels)`` of one stretch of mono audio.

        A stretch shorter than one patch is repeated until it fills one (the models were
        trained that way); a partial patch at the end of a longer stretch is dropped.
        """
        spectrogram = self.log_mel(audio)
        frames = spectrogram.shape[0]
        if frames < self.patch_frames:
            repeats = -(-self.patch_frames // max(frames, 1))
            spectrogram = np.tile(spectrogram, (repeats, 1))[: self.patch_frames]
            frames = self.patch_frames
        count = frames // self.patch_frames
        return spectrogram[: count * self.patch_frames].reshape(count, self.patch_frames, self.feature_size)

    def __call__(
        self,
        raw_audio: np.ndarray | list[np.ndarray],
        sampling_rate: int | None = None,
        return_tensors: str | None = None,
        **kwargs: Any,
    ) -> BatchFeature:
        """All patches of each given stretch of audio, concatenated in order."""
        if sampling_rate is not None and sampling_rate != self.sampling_rate:
            raise ValueError(
                f"musicnn expects audio at {self.sampling_rate} Hz, got {sampling_rate} Hz; resample it first"
            )
        clips = raw_audio if isinstance(raw_audio, list) else [raw_audio]
        features = np.concatenate([self.patches(np.asarray(clip).reshape(-1)) for clip in clips])
        return BatchFeature({"input_features": features}, tensor_type=return_tensors)

    def to_dict(self) -> dict[str, Any]:
        output = super().to_dict()
        output.pop("_mel_basis", None)
        return output
