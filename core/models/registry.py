"""Which models Earmark knows, where their folders are, and whether a folder is safe to load.

A model is named by what the user types after ``--model`` (or ``--base``): a built-in name from the
catalogue (``musicnn-msd``), the name of a folder under the data dir's ``models/`` (fine-tuned
models land there), or a path to any local Hugging Face audio-classification folder. Built-in models
are converted from the Python packages that carry their weights on first use; nothing is downloaded.

Light to import (no torch, no transformers): planning a run needs a model's name and version, not
the model, so a rerun over an unchanged library never loads one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..errors import EarmarkError
from ..paths import models_dir
from .architectures import audio_classification_types
from .catalog import BUILTINS, TAGGER, Builtin, base_names, names
from .install import install_built

_WEIGHTS = "model.safetensors"
_SHARDED_WEIGHTS = "model.safetensors.index.json"
_PICKLE_WEIGHTS = ("pytorch_model.bin", "tf_model.h5", "flax_model.msgpack")


class ModelError(EarmarkError):
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
    if model_type not in audio_classification_types():
        raise ModelError(f"{path}: model type {model_type!r} is not an audio-classification architecture")
    id2label = config.get("id2label") or {}
    try:
        labels = [str(id2label[key]) for key in sorted(id2label, key=int)]
    except ValueError as error:
        raise ModelError(f"{config_file}: id2label keys must be integers") from error
    if not labels:
        raise ModelError(f"{config_file} names no labels (id2label is empty)")
    if (path / _WEIGHTS).is_file():
        _check_weights(path / _WEIGHTS, len(labels))
    return ModelInfo(
        name=name or path.name,
        path=path,
        architecture=str(model_type),
        labels=labels,
        label_groups={k: list(v) for k, v in (config.get("label_groups") or {}).items()},
        licence=config.get("licence"),
        builtin=builtin,
    )


_CLASSIFIER_BIASES = ("classifier.bias", "classifier.dense.bias")  # the output layer of the audio classifiers


def _check_weights(file: Path, labels: int) -> None:
    """Refuse, from the safetensors header alone, weights cut short or a config whose labels do not fit them.

    Loading first would fail after seconds (and gigabytes, for a config naming millions of labels)
    with an error that does not say which file is wrong.
    """
    try:
        with file.open("rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(size)) if 0 < size < 100_000_000 else None
        total = file.stat().st_size
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict):
        raise ModelError(f"{file} is damaged (not a safetensors file); install or convert the model again")
    tensors = {name: entry for name, entry in header.items() if name != "__metadata__" and isinstance(entry, dict)}
    needed = 8 + size + max((entry.get("data_offsets", [0, 0])[1] for entry in tensors.values()), default=0)
    if needed > total:
        raise ModelError(f"{file} is cut short ({total} of {needed} bytes); install, convert or train the model again")
    for name in _CLASSIFIER_BIASES:
        shape = tensors.get(name, {}).get("shape")
        if shape and len(shape) == 1 and shape[0] != labels:
            config = file.parent / "config.json"
            raise ModelError(f"{config} names {labels} labels but the weights' classifier has {shape[0]} outputs")


def _install_builtin(builtin: Builtin) -> Path:
    """Convert a built-in model into the data dir once, from the package that carries its weights.

    ModelError when the package is missing, or the data dir cannot take the model (nothing half-made is left).
    """
    try:
        return install_built(builtin.folder, builtin.convert)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            reason = f"the disk holding {builtin.folder.parent} is full (free some space and run again)"
        else:
            reason = f"cannot write {builtin.folder.parent}: {error.strerror or error}"
        raise ModelError(f"cannot prepare model {builtin.folder.name}: {reason}") from error


def resolve(spec: str) -> ModelInfo:
    """The model named by ``spec`` (built-in name, installed name or folder path), ready to tag with."""
    return _resolve(spec, base=False)


def resolve_base(spec: str) -> ModelInfo:
    """A starting point for fine-tuning: as :func:`resolve`, and built-in bases (which tag nothing) too."""
    return _resolve(spec, base=True)


def _resolve(spec: str, base: bool) -> ModelInfo:
    """A bare name that Earmark knows wins over a same-named folder in the
    current directory: a user who trained ``--out calls`` from ``./calls`` means the model by
    ``--model calls``, not the training data. ``./calls`` (any spec with a separator) always means
    the folder."""
    bare = os.sep not in spec and "/" not in spec
    builtin = BUILTINS.get(spec) if bare else None
    if builtin is not None and (base or builtin.kind == TAGGER):
        try:
            return inspect_folder(builtin.folder, spec, builtin=True)
        except ModelError:
            return inspect_folder(_install_builtin(builtin), spec, builtin=True)
    installed = models_dir() / spec
    if bare and spec not in (".", "..") and installed.is_dir():
        return inspect_folder(installed, spec)
    path = Path(spec).expanduser()
    if path.is_dir():
        return inspect_folder(path.resolve())
    if base:
        raise ModelError(
            f"no base model {spec!r}: use {', '.join(base_names())}, an installed model, or a Hugging Face folder"
        )
    known = ", ".join(available_names())
    raise ModelError(f"no model {spec!r}: not a folder, and not one of the installed models ({known})")


def available_names() -> list[str]:
    """Built-in taggers first, then the folders installed under the data dir."""
    listed = names(TAGGER)
    root = models_dir()
    if root.is_dir():
        listed += sorted(
            p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in BUILTINS
        )
    return listed
