"""Who is speaking: Resemblyzer's pretrained speaker encoder, rebuilt in plain torch.

The ``resemblyzer`` wheel (0.1.4, Apache-2.0) carries ``pretrained.pt``: a GE2E-trained 3-layer LSTM
that turns 1.6 s of 40-band mel frames into a 256-d, L2-normalised voice embedding, in which two
stretches of the same voice lie close (cosine). Its own modules import ``webrtcvad``, a compiled
extension Earmark does not need, so the wheel is installed with ``--no-deps`` and only its weights
file is read here; the network, features and averaging are ported from ``voice_encoder.py`` so that
:meth:`SpeakerEncoder.embed_utterance` gives Resemblyzer's ``VoiceEncoder().embed_utterance``.

Inference runs in batches of partial utterances whose mel frames are computed batch by batch, so
memory stays bounded (about 50 MB over the audio itself for an hour) whatever the audio's length.

CPU threads are the runner's choice (``torch.set_num_threads``), not this module's; but mind that
an LSTM is 3 x 160 small sequential steps, each a parallel region: with more torch threads than
free cores, threads wait on each other at every step and a batch can take 15x longer. One thread
per encoder gives ~120 windows/s on a busy 2-core machine; two threads on idle cores about twice that.
"""

from __future__ import annotations

import importlib.util
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..registry import ModelError
from .features import (
    N_MELS,
    PARTIAL_FRAMES,
    SAMPLE_RATE,
    UTTERANCE_MIN_COVERAGE,
    UTTERANCE_RATE,
    frame_step,
    mel_frames,
    partial_starts,
)

LICENCE = "Apache-2.0 (Resemblyzer 0.1.4 pretrained voice encoder, Resemble AI / Corentin Jemine)"
WHEEL = "resemblyzer==0.1.4"
EMBEDDING_SIZE = 256
HIDDEN_SIZE = 256
LAYERS = 3
FRAMES_PER_SECOND = SAMPLE_RATE // 160


class SpeakerEncoderUnavailableError(ModelError):
    """The ``resemblyzer`` wheel, which carries the weights, is missing or its file is not what we expect."""


def packaged_weights() -> Path:
    """``pretrained.pt`` inside the installed ``resemblyzer`` package, found without importing it.

    ``importlib.resources.files("resemblyzer")`` would import the package, and its ``__init__``
    imports ``webrtcvad`` (not installed: the wheel goes in with ``--no-deps``); ``find_spec`` of a
    top-level package only locates it.
    """
    try:
        spec = importlib.util.find_spec("resemblyzer")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise SpeakerEncoderUnavailableError(
            f"the speaker encoder needs the resemblyzer package for its weights (pip install --no-deps {WHEEL})"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    if not path.is_file():
        raise SpeakerEncoderUnavailableError(f"the resemblyzer package has no pretrained.pt at {path}")
    return path


def load_state(path: Path) -> dict[str, torch.Tensor]:
    """The network's tensors from a Resemblyzer checkpoint, read with ``weights_only=True``.

    The file also holds the training step, Adam's state and GE2E's similarity scale and bias, which
    only the training loss used; they are dropped.
    """
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        state = checkpoint["model_state"]
    except (OSError, RuntimeError, KeyError, TypeError, EOFError, pickle.UnpicklingError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SpeakerEncoderUnavailableError(f"cannot read the speaker encoder weights {path}: {reason}") from error
    return {name: tensor for name, tensor in state.items() if name.startswith(("lstm.", "linear."))}


class SpeakerNet(nn.Module):
    """Resemblyzer's ``VoiceEncoder`` network: LSTM -> last layer's final hidden state -> linear -> ReLU -> L2."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(N_MELS, HIDDEN_SIZE, LAYERS, batch_first=True)
        self.linear = nn.Linear(HIDDEN_SIZE, EMBEDDING_SIZE)
        self.relu = nn.ReLU()

    def forward(self, mels: torch.Tensor) -> torch.Tensor:
        """``(batch, frames, 40)`` mel power -> ``(batch, 256)`` unit vectors (non-negative, after the ReLU)."""
        _, (hidden, _) = self.lstm(mels)
        raw = self.relu(self.linear(hidden[-1]))
        # eps only guards an all-zero vector (Resemblyzer would give NaN); otherwise x / |x| as there
        return nn.functional.normalize(raw, dim=1, eps=1e-12)


class SpeakerEncoder:
    """Voice embeddings of 16 kHz mono float audio: one per utterance, or one per sliding window.

    Cosine similarity of two embeddings (their dot product: they are unit vectors) says how alike
    two voices sound. The encoder reads mel *power*: give it audio at a steady level, e.g. through
    :func:`~core.models.speaker.features.normalize_volume` as Resemblyzer's ``preprocess_wav`` does.
    """

    def __init__(self, device: str | torch.device = "cpu", batch_size: int = 64, weights: Path | None = None) -> None:
        self.device = torch.device(device)
        self.batch_size = batch_size
        self.net = SpeakerNet()
        state = load_state(weights or packaged_weights())
        try:
            self.net.load_state_dict(state)
        except RuntimeError as error:
            raise SpeakerEncoderUnavailableError(
                f"the speaker encoder weights do not fit the network: {str(error).splitlines()[0]}"
            ) from error
        self.net.to(self.device).eval()

    def embed_utterance(
        self, audio_16k: np.ndarray, rate: float = UTTERANCE_RATE, min_coverage: float = UTTERANCE_MIN_COVERAGE
    ) -> np.ndarray:
        """One ``(256,)`` embedding for a stretch of one voice: Resemblyzer's ``embed_utterance``.

        The audio is cut into 1.6 s partials (``rate`` per second, the last kept if ``min_coverage``
        of it is audio); their embeddings are averaged and the mean scaled back to unit length.
        """
        audio = _mono_float(audio_16k)
        starts = partial_starts(len(audio), PARTIAL_FRAMES, frame_step(rate), min_coverage)
        total = np.zeros(EMBEDDING_SIZE, dtype=np.float64)
        for batch in self._embed(audio, starts, PARTIAL_FRAMES):
            total += batch.sum(axis=0, dtype=np.float64)
        mean = total / len(starts)
        return (mean / np.linalg.norm(mean)).astype(np.float32)

    def embed_windows(
        self, audio_16k: np.ndarray, window_s: float = 1.6, hop_s: float = 0.8, min_coverage: float = 0.5
    ) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings of overlapping windows along a speech stretch, for diarization.

        Returns ``(starts_s, embeddings)``: each window's start in seconds (multiples of 10 ms) and
        an ``(n, 256)`` float32 array. Windows are ``window_s`` long (the encoder was trained on
        1.6 s) every ``hop_s``; as in Resemblyzer, windows run past the end zero-padded and the last
        is kept if ``min_coverage`` of it is audio; a stretch shorter than a window gives one.
        """
        audio = _mono_float(audio_16k)
        window = max(1, round(window_s * FRAMES_PER_SECOND))
        step = max(1, round(hop_s * FRAMES_PER_SECOND))
        starts = partial_starts(len(audio), window, step, min_coverage)
        embeddings = np.concatenate(list(self._embed(audio, starts, window)))
        return np.asarray(starts, dtype=np.float64) / FRAMES_PER_SECOND, embeddings

    def _embed(self, audio: np.ndarray, starts: list[int], window: int) -> Iterator[np.ndarray]:
        """The partials' embeddings, ``batch_size`` at a time; each batch's mel frames computed once."""
        for index in range(0, len(starts), self.batch_size):
            chunk = starts[index : index + self.batch_size]
            first = chunk[0]
            mel = mel_frames(audio, first, chunk[-1] - first + window)
            mels = np.stack([mel[start - first : start - first + window] for start in chunk])
            with torch.inference_mode():
                embeddings = self.net(torch.from_numpy(mels).to(self.device)).float().cpu().numpy()
            yield embeddings


def _mono_float(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise ValueError(f"the speaker encoder takes mono audio (one dimension), not shape {audio.shape}")
    if len(audio) == 0:
        raise ValueError("the speaker encoder got no audio")
    if audio.dtype.kind != "f":
        raise ValueError(f"the speaker encoder takes float audio in [-1, 1], not {audio.dtype}")
    return audio.astype(np.float32, copy=False)
