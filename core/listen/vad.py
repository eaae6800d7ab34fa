"""A voice-activity gate: Silero VAD (MIT, the ONNX file in the ``silero-vad`` wheel) in front of a detector.

Wake-word models sometimes fire on music or noise; words are only said in speech. The gate runs
Silero on every 32 ms of the stream and passes a detector's scores only while speech (a quarter
second of it in a row) was heard within the last ``hangover_s`` (a word's score peaks just after
it ends). The detector itself keeps running, so its streaming state stays continuous.
"""

from __future__ import annotations

import numpy as np

from .detector import SAMPLE_RATE, Detector, origins_of
from .embedding import onnx_session, package_dir

CHUNK = 512  # samples per Silero step at 16 kHz
CONTEXT = 64  # samples of the previous chunk it sees
MIN_SPEECH_CHUNKS = 8  # 256 ms in a row, as Silero's own min_speech_duration_ms: music has speech-like blips


class SileroVAD:
    """Streaming speech probability, one value per 512-sample chunk."""

    def __init__(self) -> None:
        self.session = onnx_session(package_dir("silero_vad", "silero-vad") / "data" / "silero_vad.onnx")
        self.reset()

    def reset(self) -> None:
        self.state = np.zeros((2, 1, 128), dtype=np.float32)
        self.context = np.zeros(CONTEXT, dtype=np.float32)
        self.pending = np.zeros(0, dtype=np.float32)

    def push(self, samples: np.ndarray) -> list[float]:
        """Speech probabilities of the whole chunks completed by these int16 samples."""
        return self.push_float(samples.astype(np.float32) / 32768.0)

    def push_float(self, samples: np.ndarray) -> list[float]:
        """The same for float audio in [-1, 1] (a decoded recording)."""
        self.pending = np.concatenate([self.pending, samples.astype(np.float32)])
        probabilities = []
        while len(self.pending) >= CHUNK:
            chunk, self.pending = self.pending[:CHUNK], self.pending[CHUNK:]
            x = np.concatenate([self.context, chunk])[None, :]
            out, self.state = self.session.run(
                None, {"input": x, "state": self.state, "sr": np.array(SAMPLE_RATE, dtype=np.int64)}
            )
            self.context = chunk[-CONTEXT:]
            probabilities.append(float(out[0, 0]))
        return probabilities


class SpeechGate:
    """A detector whose scores count only near speech; itself a detector."""

    def __init__(self, detector: Detector, threshold: float = 0.5, hangover_s: float = 1.0) -> None:
        self.detector = detector
        self.name = detector.name
        self.words = detector.words
        self.default_thresholds = detector.default_thresholds
        self.origins = origins_of(detector)
        self.vad = SileroVAD()
        self.threshold = threshold
        self.hangover = int(hangover_s * SAMPLE_RATE)
        self.reset()

    def reset(self) -> None:
        self.detector.reset()
        self.vad.reset()
        self.since_speech = self.hangover + 1
        self.speech_run = 0  # chunks in a row that sound like speech

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        scores = self.detector.predict(frame)
        self.since_speech += len(frame)
        for probability in self.vad.push(frame):
            self.speech_run = self.speech_run + 1 if probability >= self.threshold else 0
            if self.speech_run >= MIN_SPEECH_CHUNKS:
                self.since_speech = 0
        if self.since_speech > self.hangover:
            return dict.fromkeys(scores, 0.0)
        return scores
