"""The streaming detector contract, and the trigger logic shared by every detector."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..errors import EarmarkError

SAMPLE_RATE = 16000
FRAME_SAMPLES = 1280  # 80 ms, as openWakeWord: small enough for latency, large enough to batch work


class ListenModelError(EarmarkError):
    """A detector's model cannot be used (missing package or file, bad examples); says why in one line."""


class Detector(Protocol):
    """Frames of 16 kHz mono int16 audio in, one score per word out."""

    name: str  # the model family, stored with each detection
    words: list[str]
    default_thresholds: dict[str, float]

    def predict(self, frame: np.ndarray) -> dict[str, float]: ...

    def reset(self) -> None: ...


class DetectorGroup:
    """Several detectors as one. A word two of them offer is named ``word@model`` for the second."""

    name = "group"

    def __init__(self, detectors: list[Detector]) -> None:
        self.detectors = detectors
        self.words: list[str] = []
        self.origins: dict[str, tuple[str, str]] = {}  # name -> (the model that scores it, its own word)
        self.default_thresholds: dict[str, float] = {}
        self._names: list[dict[str, str]] = []
        for detector in detectors:
            names = {}
            for word in detector.words:
                name = f"{word}@{detector.name}" if word in self.origins else word
                names[word] = name
                self.words.append(name)
                self.origins[name] = (detector.name, word)
                self.default_thresholds[name] = detector.default_thresholds[word]
            self._names.append(names)

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        scores: dict[str, float] = {}
        for detector, names in zip(self.detectors, self._names, strict=True):
            scores.update((names[word], score) for word, score in detector.predict(frame).items())
        return scores

    def reset(self) -> None:
        for detector in self.detectors:
            detector.reset()


def origins_of(detector: Detector) -> dict[str, tuple[str, str]]:
    """Per word the detector names: (the model that scores it, the word as that model calls it).

    A group (or a gate around one) knows per word; a single detector is its own model.
    """
    return getattr(detector, "origins", None) or {word: (detector.name, word) for word in detector.words}


@dataclass(frozen=True)
class Detection:
    word: str
    score: float
    time_s: float  # end of the frame that fired, from the start of the stream
    model: str


@dataclass
class TriggerPolicy:
    """When scores become detections.

    ``thresholds`` per word (missing words use the detector's own cut-off); ``patience``
    consecutive frames at or above it; then ``refractory_s`` seconds of silence for that word.
    With ``exclusive_s``, one phrase fires one word: of the words ready in the same frame the one
    furthest over its threshold fires, and no other word fires for ``exclusive_s`` after it
    ("hey mycroft" also lifts alexa's score at lowered thresholds).
    """

    thresholds: dict[str, float] = field(default_factory=dict)
    patience: int = 1
    refractory_s: float = 2.0
    exclusive_s: float = 0.0


class Spotter:
    """A detector plus its trigger policy: feed frames, get detections."""

    def __init__(self, detector: Detector, policy: TriggerPolicy | None = None) -> None:
        self.detector = detector
        self.policy = policy or TriggerPolicy()
        self.thresholds = {w: self.policy.thresholds.get(w, detector.default_thresholds[w]) for w in detector.words}
        self.samples = 0
        self._streak = dict.fromkeys(detector.words, 0)
        self._quiet_until = dict.fromkeys(detector.words, -1.0)
        self._exclusive_until = -1.0
        self.last_scores: dict[str, float] = dict.fromkeys(detector.words, 0.0)
        self.models = {word: model for word, (model, _own) in origins_of(detector).items()}

    def feed(self, frame: np.ndarray) -> list[Detection]:
        self.samples += len(frame)
        now = self.samples / SAMPLE_RATE
        self.last_scores = self.detector.predict(frame)
        ready = []
        for word, score in self.last_scores.items():
            self._streak[word] = self._streak[word] + 1 if score >= self.thresholds[word] else 0
            if self._streak[word] >= self.policy.patience and now >= self._quiet_until[word]:
                ready.append((word, score))
        if self.policy.exclusive_s > 0 and ready:
            best = max(ready, key=lambda item: item[1] / max(self.thresholds[item[0]], 1e-6))
            ready = [best] if now >= self._exclusive_until else []
        found = []
        for word, score in ready:
            found.append(Detection(word, float(score), now, self.models[word]))
            self._quiet_until[word] = now + self.policy.refractory_s
            self._streak[word] = 0
            self._exclusive_until = now + self.policy.exclusive_s
        return found

    def run(self, frames: Iterable[np.ndarray]) -> Iterator[Detection]:
        for frame in frames:
            yield from self.feed(frame)

    def reset(self) -> None:
        self.detector.reset()
        self.samples = 0
        self._streak = dict.fromkeys(self.detector.words, 0)
        self._quiet_until = dict.fromkeys(self.detector.words, -1.0)
        self._exclusive_until = -1.0
