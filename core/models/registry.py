"""Which models Earmark knows, where their folders are, and whether a folder is safe to load.

A model is named by what the user types after ``--model``: a built-in name (``musicnn-msd``),
the name of a folder under the data dir's ``models/`` (fine-tuned models land there), or a path
to any local Hugging Face audio-classification folder. Built-in musicnn models are converted
from the ``musicnn`` wheel on first use; nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from transformers.models.auto.modeling_auto import MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES

from ..paths import models_dir
from . import MusicnnConfig
from .musicnn.convert_musicnn import CHECKPOINTS, MusicnnUnavailableError, convert

DEFAULT_MODEL = "musicnn-msd"
_WEIGHTS = "model.safetensors"
_SHARDED_WEIGHTS = "model.safetensors.index.json"
_PICKLE_WEIGHTS = ("pytorch_model.bin", "tf_model.h5", "flax_model.msgpack")


class ModelError(Exception):
    """A model cannot be used; the message says why in one line."""


@dataclass(frozen=True)
class ModelInfo:
    """A usable model folder and what Earmark shows about it."""

    name: str
    path: Path
    architecture: str
    labels: list[str]
    label_groups: dict[str, list[str]] = field(default_factory=dict)
    licence: str | None = None
    builtin: bool = False

    @cached_property
    def version(self) -> str:
        """Content hash of config and weights: a re-converted or retrained model is a new version.

        Computed once per ModelInfo (a large model's weights take seconds to hash); a folder that
        changes on disk is seen by inspecting it again.
        """
        digest = hashlib.sha256()
        for name in ("config.json", _WEIGHTS, _SHARDED_WEIGHTS):
            file = self.path / name
            if file.is_file():
                with file.open("rb") as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
        return digest.hexdigest()[:16]

    def group(self, name: str | None) -> list[str]:
        """Labels of a group, or all labels for ``None``/``"all"``. Raises ModelError if unknown."""
        if name in (None, "all"):
            return list(self.labels)
        if name not in self.label_groups:
            known = ", ".join(sorted(self.label_groups)) or "none"
            raise ModelError(f"model {self.name} has no label group {name!r} (groups: {known})")
        return list(self.label_groups[name])


def inspect_folder(path: Path, name: str | None = None, builtin: bool = False) -> ModelInfo:
    """Check that ``path`` is a loadable, safe audio-classification folder; say why not otherwise."""
    if not path.is_dir():
        raise ModelError(f"{path} is not a model folder (no such directory)")
    config_file = path / "config.json"
    if not config_file.is_file():
        raise ModelError(f"{path} has no config.json; it is not a Hugging Face model folder")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{config_file} is not valid JSON ({error})") from error
    if not isinstance(config, dict):
        raise ModelError(f"{config_file} does not hold a model configuration")
    if "auto_map" in config:
        raise ModelError(
            f"{path} needs custom code (auto_map in config.json); Earmark never runs code from model folders"
        )
    if not (path / _WEIGHTS).is_file() and not (path / _SHARDED_WEIGHTS).is_file():
        pickled = [p for p in _PICKLE_WEIGHTS if (path / p).is_file()]
        if pickled:
            raise ModelError(
                f"{path} has only {pickled[0]}, a pickle-based format Earmark refuses to load; "
                "save it as safetensors (model.save_pretrained(dir, safe_serialization=True))"
            )
        raise ModelError(f"{path} has no {_WEIGHTS}")
    if not (path / "preprocessor_config.json").is_file():
        raise ModelError(f"{path} has no preprocessor_config.json (the feature extractor's settings)")
    model_type = config.get("model_type")
    if model_type != MusicnnConfig.model_type and model_type not in MODEL_FOR_AUDIO_CLASSIFICATION_MAPPING_NAMES:
        raise ModelError(f"{path}: model type {model_type!r} is not an audio-classification architecture")
    id2label = config.get("id2label") or {}
    try:
        labels = [str(id2label[key]) for key in sorted(id2label, key=int)]
    except ValueError as error:
        raise ModelError(f"{config_file}: id2label keys must be integers") from error
    if not labels:
        raise ModelError(f"{config_file} names no labels (id2label is empty)")
    return ModelInfo(
        name=name or path.name,
        path=path,
        architecture=str(model_type),
        labels=labels,
        label_groups={k: list(v) for k, v in (config.get("label_groups") or {}).items()},
        licence=config.get("licence"),
        builtin=builtin,
    )


def install_converted(target: Path, build: Callable[[Path], Path]) -> Path:
    """Write a converted model folder at ``target`` atomically: ``build(scratch)`` makes it in a
    hidden sibling folder, renamed into place only when complete, so a crash leaves no half folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as scratch:
        built = build(Path(scratch) / target.name)
        if target.exists():
            shutil.rmtree(target)
        built.rename(target)
    return target


def _install_builtin(name: str) -> Path:
    """Convert a built-in model into the data dir once."""
    try:
        return install_converted(models_dir() / name, lambda folder: convert(CHECKPOINTS[name], folder))
    except MusicnnUnavailableError as error:
        raise ModelError(str(error)) from error


def resolve(spec: str) -> ModelInfo:
    """The model named by ``spec`` (built-in name, installed name or folder path), ready to load.

    A bare name that Earmark knows wins over a same-named folder in the current directory: a user
    who trained ``--out calls`` from ``./calls`` means the model by ``--model calls``, not the
    training data. ``./calls`` (any spec with a separator) always means the folder."""
    bare = os.sep not in spec and "/" not in spec
    if bare and spec in CHECKPOINTS:
        folder = models_dir() / spec
        try:
            return inspect_folder(folder, spec, builtin=True)
        except ModelError:
            return inspect_folder(_install_builtin(spec), spec, builtin=True)
    installed = models_dir() / spec
    if bare and spec not in (".", "..") and installed.is_dir():
        return inspect_folder(installed, spec)
    path = Path(spec).expanduser()
    if path.is_dir():
        return inspect_folder(path.resolve())
    known = ", ".join(available_names())
    raise ModelError(f"no model {spec!r}: not a folder, and not one of the installed models ({known})")


def available_names() -> list[str]:
    """Built-in names first, then the folders installed under the data dir."""
    names = list(CHECKPOINTS)
    root = models_dir()
    if root.is_dir():
        names += sorted(
            p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in CHECKPOINTS
        )
    return names


def describe_builtin(name: str) -> str:
    return CHECKPOINTS[name].description
