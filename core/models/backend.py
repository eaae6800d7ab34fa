"""Run a model folder on torch: audio segments in, per-window label probabilities out.

Every backend follows the transformers pipelines' contract — ``preprocess`` (audio -> windows
of features), ``forward`` (a batch of windows -> scores) — so the batch pipeline never knows
which model or runtime it drives. Windows come in two kinds:

* spectrogram patches, for extractors that cut a long stretch themselves (musicnn);
* fixed-length clips of audio, for the usual Hugging Face extractors (AST, wav2vec2, Whisper),
  each turned into one example.
"""

from __future__ import annotations

import numpy as np
import torch
from safetensors import SafetensorError
from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

from . import musicnn  # noqa: F401 - registers musicnn with the Auto classes
from .registry import ModelError, ModelInfo
from .windows import Features, Windowing

DEFAULT_CLIP_SECONDS = 10.0


def pick_device(requested: str = "auto") -> torch.device:
    """``auto``: CUDA when torch sees a GPU, else CPU. Asking for CUDA without one is an error."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ModelError("--device cuda was asked for, but torch sees no CUDA GPU on this machine")
    try:
        return torch.device(requested)
    except RuntimeError as error:
        raise ModelError(f"unknown device {requested!r} (use auto, cpu or cuda)") from error


class Backend:
    """What every runtime shares: the feature extractor, the windowing and the score activation.

    Subclasses load the network and implement :meth:`logits`.
    """

    runtime = "?"

    def __init__(self, info: ModelInfo) -> None:
        self.info = info
        try:
            config = AutoConfig.from_pretrained(info.path, local_files_only=True, trust_remote_code=False)
            self.feature_extractor = AutoFeatureExtractor.from_pretrained(
                info.path, local_files_only=True, trust_remote_code=False
            )
        except (OSError, ValueError, KeyError, SafetensorError) as error:
            raise ModelError(f"cannot load {info.path}: {str(error).splitlines()[0]}") from error
        self.config = config
        self.multi_label = config.problem_type == "multi_label_classification"
        self.sampling_rate = int(self.feature_extractor.sampling_rate)
        self.windowing = self._windowing()
        # windows per forward pass: on CPUs small batches are fastest (bench/results/): a few
        # 3 s patches, or one clip of several seconds
        self.preferred_batch_size = 4 if self.windowing.clip_samples is None else 1

    def _windowing(self) -> Windowing:
        extractor = self.feature_extractor
        if hasattr(extractor, "patches"):
            return Windowing(None, float(extractor.patch_seconds))
        if getattr(self.config, "clip_seconds", None):  # fine-tuned by Earmark: the length it learnt on
            seconds = float(self.config.clip_seconds)
        elif getattr(extractor, "n_samples", None):  # Whisper: fixed 30 s input
            seconds = extractor.n_samples / self.sampling_rate
        elif getattr(extractor, "max_length", None) and hasattr(extractor, "num_mel_bins"):  # AST: frames of 10 ms
            seconds = extractor.max_length * 0.01
        else:
            seconds = DEFAULT_CLIP_SECONDS
        return Windowing(int(round(seconds * self.sampling_rate)), seconds)

    @property
    def labels(self) -> list[str]:
        return self.info.labels

    def describe(self) -> str:
        """Runtime and device, as the CLI and the GUI show it (``onnx-int8 on cpu``)."""
        return self.runtime

    def preprocess(self, audio: np.ndarray) -> Features:
        """Model inputs for one stretch of mono audio at ``sampling_rate``; one row per window."""
        clip = self.windowing.clip_samples
        if clip is None:
            return dict(self.feature_extractor(audio, sampling_rate=self.sampling_rate, return_tensors="np"))
        starts = list(range(0, max(len(audio) - clip, 0) + 1, clip))
        if starts[-1] + clip < len(audio):  # the tail gets a window of its own, overlapping the one before
            starts.append(len(audio) - clip)
        clips = [audio[start : start + clip] for start in starts]
        features = self.feature_extractor(
            clips,
            sampling_rate=self.sampling_rate,
            return_tensors="np",
            padding="max_length",
            max_length=clip,
            truncation=True,
        )
        return {key: np.asarray(value) for key, value in features.items()}

    def logits(self, features: Features) -> np.ndarray:
        raise NotImplementedError

    def forward(self, features: Features) -> np.ndarray:
        """Probabilities ``(windows, labels)``: sigmoid for multi-label models, else softmax."""
        logits = self.logits(features).astype(np.float64)
        if self.multi_label:
            return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return (shifted / shifted.sum(axis=-1, keepdims=True)).astype(np.float32)


class TorchBackend(Backend):
    """The model on a torch device (CUDA when present); load it once per run."""

    def __init__(self, info: ModelInfo, device: str = "auto") -> None:
        super().__init__(info)
        self.device = pick_device(device)
        try:
            model = AutoModelForAudioClassification.from_pretrained(
                info.path, local_files_only=True, use_safetensors=True, trust_remote_code=False
            )
        except (OSError, ValueError, KeyError, SafetensorError) as error:
            raise ModelError(f"cannot load {info.path}: {str(error).splitlines()[0]}") from error
        self.model = model.to(self.device).eval()
        self.runtime = f"torch on {self.device.type}"
        if self.device.type == "cuda":
            self.preferred_batch_size = 32
        elif self.windowing.clip_samples is None:
            self.preferred_batch_size = 2  # torch's CPU convolutions slow down past 2 musicnn patches

    @torch.inference_mode()
    def logits(self, features: Features) -> np.ndarray:
        inputs = {key: torch.from_numpy(value).to(self.device) for key, value in features.items()}
        return self.model(**inputs).logits.float().cpu().numpy()
