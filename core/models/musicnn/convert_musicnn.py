"""Convert the TensorFlow checkpoints of the ``musicnn`` wheel into Earmark model folders.

The wheel (ISC licence, Music Technology Group, UPF) carries the pretrained weights; this module
reads them with :mod:`core.tf_checkpoint`, maps each TF variable onto
:class:`MusicnnForAudioClassification` and saves a standard ``transformers`` folder
(``config.json`` + ``model.safetensors`` + ``preprocessor_config.json``).
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...tf_checkpoint import load_checkpoint
from ..catalog import BUILTINS
from ..registry import ModelError
from .configuration_musicnn import MusicnnConfig
from .feature_extraction_musicnn import MusicnnFeatureExtractor
from .modeling_musicnn import MusicnnForAudioClassification

LICENCE = "ISC (musicnn 0.1.0, Music Technology Group, Universitat Pompeu Fabra)"

MSD_LABELS = [
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock",
    "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental",
    "punk", "oldies", "blues", "hard rock", "ambient", "acoustic", "experimental",
    "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country", "easy listening", "sexy",
    "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop",
    "sad", "House", "happy",
]  # fmt: skip

MTT_LABELS = [
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral",
]  # fmt: skip

MSD_GROUPS = {
    "genre": [
        "rock", "pop", "alternative", "indie", "electronic", "dance", "alternative rock", "jazz",
        "metal", "classic rock", "soul", "indie rock", "electronica", "folk", "punk", "blues",
        "hard rock", "ambient", "experimental", "Hip-Hop", "country", "easy listening", "funk",
        "electro", "heavy metal", "Progressive rock", "rnb", "indie pop", "House", "chillout",
    ],
    "mood": ["beautiful", "Mellow", "chill", "party", "sexy", "catchy", "sad", "happy"],
    "era": ["00s", "80s", "90s", "70s", "60s", "oldies"],
    "vocals": ["female vocalists", "male vocalists", "female vocalist", "instrumental"],
    "instrument": ["guitar", "acoustic"],
}  # fmt: skip

MTT_GROUPS = {
    "genre": [
        "classical", "techno", "electronic", "rock", "indian", "opera", "pop", "classic",
        "new age", "dance", "country", "metal", "ambient",
    ],
    "instrument": [
        "guitar", "strings", "drums", "piano", "beat", "violin", "synth", "harpsichord", "flute",
        "sitar", "harp", "cello", "beats", "solo",
    ],
    "vocals": [
        "vocal", "female", "male", "singing", "vocals", "no vocals", "woman", "male vocal",
        "no vocal", "man", "choir", "voice", "male voice", "female vocal", "no voice",
        "female voice", "choral",
    ],
    "mood": ["slow", "fast", "loud", "quiet", "soft", "weird"],
}  # fmt: skip


@dataclass(frozen=True)
class MusicnnCheckpoint:
    """One of the pretrained musicnn checkpoints that the wheel carries."""

    name: str  # Earmark's model name
    folder: str  # folder inside the musicnn package
    labels: list[str]
    groups: dict[str, list[str]]


CHECKPOINTS = {
    c.name: c
    for c in (
        MusicnnCheckpoint("musicnn-msd", "MSD_musicnn", MSD_LABELS, MSD_GROUPS),
        MusicnnCheckpoint("musicnn-mtt", "MTT_musicnn", MTT_LABELS, MTT_GROUPS),
    )
}  # fmt: skip


class MusicnnUnavailableError(ModelError):
    """The ``musicnn`` wheel, which carries the pretrained weights, is not installed."""


def packaged_checkpoint_dir(folder: str) -> Path:
    """Where the installed ``musicnn`` wheel keeps a checkpoint, found without importing TensorFlow."""
    try:
        root = importlib.resources.files("musicnn")
    except ModuleNotFoundError as error:
        raise MusicnnUnavailableError(
            "the musicnn package (which carries the pretrained weights) is not installed; "
            "run `pip install --no-deps musicnn==0.1.0`"
        ) from error
    path = Path(os.fspath(root.joinpath(folder)))  # a real folder, also when frozen (namespace path)
    if not (path / ".index").is_file():
        raise MusicnnUnavailableError(f"the musicnn package has no checkpoint {folder} at {path}")
    return path


def _bn(prefix: str, tf: dict[str, np.ndarray], target: str) -> dict[str, np.ndarray]:
    return {
        f"{target}.weight": tf[f"{prefix}/gamma"],
        f"{target}.bias": tf[f"{prefix}/beta"],
        f"{target}.running_mean": tf[f"{prefix}/moving_mean"],
        f"{target}.running_var": tf[f"{prefix}/moving_variance"],
        f"{target}.num_batches_tracked": np.zeros((), dtype=np.int64),
    }


def _bn_name(i: int) -> str:
    return "batch_normalization" if i == 0 else f"batch_normalization_{i}"


def _conv_name(i: int) -> str:
    return "conv2d" if i == 0 else f"conv2d_{i}"


def map_tf_variables(tf: dict[str, np.ndarray], config: MusicnnConfig) -> dict[str, torch.Tensor]:
    """Rename and transpose TF variables into this port's state dict.

    TF creates layers in graph order (input BN, timbral branches, temporal branches, mid-end,
    back end), numbering them ``conv2d_N`` / ``batch_normalization_N``; the same order is walked
    here. TF kernels are ``(height, width, in, out)``, torch's ``(out, in, height, width)``.
    """
    state: dict[str, np.ndarray] = {}
    state.update(_bn(_bn_name(0), tf, "input_norm"))
    frontend = [f"timbral.{i}" for i in range(len(config.timbral_kernel_mels))]
    frontend += [f"temporal.{i}" for i in range(len(config.temporal_kernels))]
    for i, block in enumerate(frontend):
        state[f"{block}.conv.weight"] = tf[f"{_conv_name(i)}/kernel"].transpose(3, 2, 0, 1)
        state[f"{block}.conv.bias"] = tf[f"{_conv_name(i)}/bias"]
        state.update(_bn(_bn_name(i + 1), tf, f"{block}.norm"))
    for j in range(config.midend_layers):
        index = len(frontend) + j
        kernel = tf[f"{_conv_name(index)}/kernel"]  # (time, channels, 1, out)
        state[f"midend.{j}.conv.weight"] = kernel[:, :, 0, :].transpose(2, 1, 0)
        state[f"midend.{j}.conv.bias"] = tf[f"{_conv_name(index)}/bias"]
        state.update(_bn(_bn_name(index + 1), tf, f"midend.{j}.norm"))
    last_bn = len(frontend) + config.midend_layers + 1
    state.update(_bn(_bn_name(last_bn), tf, "pooled_norm"))
    state.update(_bn(_bn_name(last_bn + 1), tf, "dense_norm"))
    state["dense.weight"] = tf["dense/kernel"].T
    state["dense.bias"] = tf["dense/bias"]
    state["classifier.weight"] = tf["dense_1/kernel"].T
    state["classifier.bias"] = tf["dense_1/bias"]
    return {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in state.items()}


def build_from_tf(checkpoint: MusicnnCheckpoint, checkpoint_dir: Path) -> MusicnnForAudioClassification:
    """The PyTorch model with the weights of one TF checkpoint, in eval mode."""
    config = MusicnnConfig(
        id2label=dict(enumerate(checkpoint.labels)),
        label2id={label: i for i, label in enumerate(checkpoint.labels)},
        label_groups=checkpoint.groups,
        licence=LICENCE,
    )
    model = MusicnnForAudioClassification(config)
    state = map_tf_variables(load_checkpoint(checkpoint_dir / ".index"), config)
    model.load_state_dict(state, strict=True)
    return model.eval()


def convert(checkpoint: MusicnnCheckpoint, out_dir: Path, checkpoint_dir: Path | None = None) -> Path:
    """Write the model folder for ``checkpoint`` into ``out_dir`` (created if needed)."""
    checkpoint_dir = checkpoint_dir or packaged_checkpoint_dir(checkpoint.folder)
    model = build_from_tf(checkpoint, checkpoint_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    MusicnnFeatureExtractor().save_pretrained(out_dir)
    (out_dir / "README.md").write_text(
        f"# {checkpoint.name}\n\n{BUILTINS[checkpoint.name].description}.\n\n"
        f"Converted by Earmark from the `{checkpoint.folder}` checkpoint of the `musicnn` wheel.\n\n"
        f"Licence: {LICENCE}.\n",
        encoding="utf-8",
    )
    return out_dir
