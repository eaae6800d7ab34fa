"""microWakeWord models from the ``pymicro-wakeword`` wheel (Apache-2.0): Earmark's default wake words.

The wheel carries the streaming TFLite models (okay_nabu, hey_jarvis, hey_mycroft, alexa), their
per-model probability cut-offs and its own TFLite runtime library; features come from
``pymicro-features``. Each model keeps its own streaming state; one shared feature front end
feeds them all.
"""

from __future__ import annotations

import numpy as np

from .calibration import THRESHOLDS
from .detector import FRAME_SAMPLES, ListenModelError


def available_words() -> list[str]:
    """The built-in wake words, or none when the wake-word package cannot load here."""
    try:
        from pymicro_wakeword import Model
    except (ImportError, OSError):
        return []
    return [model.value for model in Model]


class MicroWakeWordDetector:
    """The wheel's models; ``earmark_cutoffs`` uses :mod:`.calibration`'s thresholds instead of the models' own."""

    name = "microwakeword"

    def __init__(self, words: list[str] | None = None, earmark_cutoffs: bool = False) -> None:
        try:
            from pymicro_wakeword import MicroWakeWord, MicroWakeWordFeatures, Model
        except (ImportError, OSError) as error:
            raise ListenModelError(f"pymicro-wakeword is not usable here: {error}") from error
        known = {model.value: model for model in Model}
        words = words or list(known)
        unknown = [w for w in words if w not in known]
        if unknown:
            raise ListenModelError(f"no wake word {', '.join(unknown)} (available: {', '.join(known)})")
        self.words = list(words)
        try:
            self.models = {word: MicroWakeWord.from_builtin(known[word]) for word in words}
        except (ValueError, OSError) as error:  # its TFLite runtime library missing or unloadable
            raise ListenModelError(f"the wake-word models cannot load: {error}") from error
        self.default_thresholds = {word: float(model.probability_cutoff) for word, model in self.models.items()}
        if earmark_cutoffs:
            self.default_thresholds.update((w, t) for w, t in THRESHOLDS.items() if w in self.default_thresholds)
        self._features_class = MicroWakeWordFeatures
        self.features = MicroWakeWordFeatures()

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        """The best sliding-window probability per word within this frame (int16 16 kHz mono)."""
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"frames must be {FRAME_SAMPLES} samples")
        scores = dict.fromkeys(self.words, 0.0)
        for features in self.features.process_streaming(np.asarray(frame, dtype="<i2").tobytes()):
            for word, model in self.models.items():
                probability = model.process_streaming_prob(features)
                if probability is not None:
                    scores[word] = max(scores[word], float(probability))
        return scores

    def reset(self) -> None:
        self.features = self._features_class()
        for model in self.models.values():
            model.reset()
