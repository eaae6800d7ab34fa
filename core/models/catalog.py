"""What Earmark knows by name: its built-in models, and the runtimes and devices it can run them on.

One table each, read by the CLI's options and help, the app's choices, the resolver and the trainer,
so that adding a built-in model is one row here. Light to import: converters are imported only when
a model is first converted (they need torch), so a no-op rescan never pays for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..paths import data_dir, models_dir

TAGGER = "tagger"  # tags files as it is
BASE = "base"  # only a starting point for fine-tuning: its classifier is untrained


@dataclass(frozen=True)
class Builtin:
    """A model Earmark builds from weights that a Python package carries; nothing is downloaded."""

    name: str
    kind: str  # TAGGER or BASE
    description: str  # what it is, for lists and the model folder's README
    purpose: str  # what it is good for, as a fine-tuning base (the wizard's choice)
    convert: Callable[[Path], Path]  # writes the model folder at the path given, returns it
    fine_tunable: bool = True  # offered as a base to fine-tune from (a merged model is not one)

    @property
    def folder(self) -> Path:
        """Where it is installed once converted: taggers with the user's models, bases and transcribers apart."""
        if self.kind == TAGGER:
            return models_dir() / self.name
        return data_dir() / ("bases" if self.kind == BASE else "asr") / self.name


def _musicnn(name: str) -> Callable[[Path], Path]:
    def convert(folder: Path) -> Path:
        from .musicnn.convert_musicnn import CHECKPOINTS, convert

        return convert(CHECKPOINTS[name], folder)

    return convert


def _musicnn_merged(folder: Path) -> Path:
    from .musicnn.convert_merged import convert

    return convert(folder)


def _whisper_tiny(folder: Path) -> Path:
    from .whisper.base import convert

    return convert(folder)


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin(
            "musicnn-msd", TAGGER,
            "musicnn trained on the Million Song Dataset: 50 Last.fm tags (genre, mood, era, vocals)",
            "music styles, moods, eras — fast on a CPU", _musicnn("musicnn-msd"),
        ),
        Builtin(
            "musicnn-mtt", TAGGER,
            "musicnn trained on MagnaTagATune: 50 instrument, genre, vocal and mood tags",
            "instruments and music genres — fast on a CPU", _musicnn("musicnn-mtt"),
        ),
        Builtin(
            "musicnn-merged", TAGGER,
            "musicnn-msd and musicnn-mtt in one pass over the same features: 73 tags under one name each "
            "(genres from rock and hip-hop to classical, opera and indian; mood, era, vocals, instruments)",
            "tagging only (two models merged): fine-tune from musicnn-msd or musicnn-mtt", _musicnn_merged,
            fine_tunable=False,
        ),
        Builtin(
            "whisper-tiny-en", BASE,
            "Whisper tiny.en's encoder (8M parameters), a base for speech labels",
            "speech: words, commands, call intents", _whisper_tiny,
        ),
    )
}  # fmt: skip
DEFAULT_MODEL = "musicnn-merged"  # its top genre agrees with the files' own twice as often (README, genre agreement)
MUSIC_BASE = "musicnn-msd"  # what music is fine-tuned from: the merged model tags, and is not a base
WHISPER_TINY = "whisper-tiny-en"


def names(kind: str | None = None) -> list[str]:
    """Built-in names in the table's order; ``kind`` keeps only taggers or only bases."""
    return [name for name, b in BUILTINS.items() if kind in (None, b.kind)]


def base_names() -> list[str]:
    """The built-ins a fine-tune can start from (the wizard's and ``--base``'s choices)."""
    return [name for name, b in BUILTINS.items() if b.fine_tunable]


@dataclass(frozen=True)
class Runtime:
    name: str
    description: str


RUNTIMES: dict[str, Runtime] = {
    r.name: r
    for r in (
        Runtime("auto", "CUDA torch on a GPU, else ONNX Runtime when exported, else torch"),
        Runtime("torch", "PyTorch (CPU or CUDA)"),
        Runtime("onnx", "ONNX Runtime, fp32 (needs `earmark models export NAME`)"),
        Runtime("onnx-int8", "ONNX Runtime, int8 MatMul/Gemm (needs `earmark models export NAME --int8`)"),
    )
}
DEVICES = ("auto", "cpu", "cuda")
COVERAGES = ("full", "excerpts")
