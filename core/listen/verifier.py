"""A personal verifier: a small classifier on speech embeddings that says "this is my voice saying the word".

As openWakeWord's custom verifier models: the last :data:`CONTEXT` speech embeddings (about 2 s)
are flattened, standardised and scored by a logistic regression trained on a speaker's own
recordings of the word against other audio (:mod:`core.listen.enrol` builds it). It is the second
stage of :class:`~core.listen.twostage.TwoStage`, asked only when the wake-word model's score for
the word reaches the verifier's ``low`` threshold.

Stored as one safetensors file per word under ``<data dir>/wakewords/`` (the weights as tensors,
the rest in its string metadata): never a pickle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..paths import data_dir
from .detector import ListenModelError
from .embedding import EMBEDDING_DIM, SpeechEmbeddings

CONTEXT = 16  # embeddings per decision, as openWakeWord's heads see them
CONFIRM = 0.8  # the verifier's probability that confirms a candidate
SUFFIX = ".safetensors"


def verifiers_dir() -> Path:
    return data_dir() / "wakewords"


@dataclass
class Verifier:
    """One word's logistic regression over ``CONTEXT`` flattened embeddings, with its standardisation."""

    word: str
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    low: float  # the wake-word score at which the verifier is asked
    clips: int  # how many recordings it was enrolled from

    def scores(self, windows: np.ndarray) -> np.ndarray:
        """Probabilities for ``(n, CONTEXT, 96)`` embedding windows."""
        flat = (windows.reshape(len(windows), -1) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(flat @ self.coef + self.intercept)))

    def save(self, path: Path) -> Path:
        from safetensors.numpy import save_file

        path.parent.mkdir(parents=True, exist_ok=True)
        tensors = {
            name: np.ascontiguousarray(getattr(self, name), dtype=np.float32) for name in ("mean", "scale", "coef")
        }
        meta = {
            "word": self.word,
            "intercept": self.intercept,
            "low": self.low,
            "clips": self.clips,
            "context": CONTEXT,
        }
        partial = path.with_suffix(".partial")
        save_file(tensors, str(partial), metadata={"earmark": json.dumps(meta)})
        partial.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> Verifier:
        from safetensors import SafetensorError, safe_open
        from safetensors.numpy import load_file

        try:
            tensors = load_file(str(path))
            with safe_open(str(path), "np") as handle:
                meta = json.loads((handle.metadata() or {})["earmark"])
            if meta["context"] != CONTEXT or tensors["coef"].shape != (CONTEXT * EMBEDDING_DIM,):
                raise ValueError("made for another embedding window")
            return cls(meta["word"], tensors["mean"], tensors["scale"], tensors["coef"], float(meta["intercept"]),
                       float(meta["low"]), int(meta["clips"]))  # fmt: skip
        except (SafetensorError, OSError, KeyError, ValueError, json.JSONDecodeError) as error:
            raise ListenModelError(f"personal verifier {path.name} cannot be read ({error}); enrol again") from error


def enrolled(folder: Path | None = None) -> dict[str, Verifier]:
    """The personal verifiers stored here, by word."""
    folder = folder or verifiers_dir()
    found = {}
    for path in sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []:
        verifier = Verifier.load(path)
        found[verifier.word] = verifier
    return found


def enrolled_signature(folder: Path | None = None) -> str:
    """Which verifiers are stored, and when each was made: a re-enrolment changes what is heard."""
    folder = folder or verifiers_dir()
    paths = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
    return ",".join(f"{p.stem}@{p.stat().st_mtime_ns}" for p in paths)


def windows(embeddings: np.ndarray) -> np.ndarray:
    """Every ``CONTEXT``-long window of a clip's embeddings, ending at each frame from the ``CONTEXT``-th on."""
    if len(embeddings) < CONTEXT:
        return np.zeros((0, CONTEXT, EMBEDDING_DIM), dtype=np.float32)
    view = np.lib.stride_tricks.sliding_window_view(embeddings, CONTEXT, axis=0)  # (n, 96, CONTEXT)
    return np.ascontiguousarray(view.transpose(0, 2, 1))


class VerifierDetector:
    """Personal verifiers as a detector: every frame, each enrolled word's probability on the latest window."""

    name = "verifier"

    def __init__(self, verifiers: dict[str, Verifier]) -> None:
        self.verifiers = verifiers
        self.words = list(verifiers)
        self.default_thresholds = dict.fromkeys(self.words, 0.5)
        self.frontend = SpeechEmbeddings()
        self.reset()

    def reset(self) -> None:
        self.frontend.reset()
        self.recent = np.zeros((CONTEXT, EMBEDDING_DIM), dtype=np.float32)

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        self.recent = np.vstack([self.recent[1:], self.frontend.push(frame)])
        return {word: float(v.scores(self.recent[None])[0]) for word, v in self.verifiers.items()}
