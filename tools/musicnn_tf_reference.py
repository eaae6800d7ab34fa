"""Record the original TensorFlow musicnn outputs that the PyTorch port is tested against.

Run it in a scratch virtual environment, never the project's (TensorFlow is not a dependency):

    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu tf-keras librosa
    /tmp/tfvenv/bin/pip install --no-deps musicnn==0.1.0
    TF_USE_LEGACY_KERAS=1 /tmp/tfvenv/bin/python tools/musicnn_tf_reference.py AUDIO_FILE

It builds the graph with musicnn's own ``models.define_model``, restores each packaged
checkpoint, and writes the input patches and the sigmoid outputs to
``tests/fixtures/musicnn_tf_reference.npz``. The patches are log-mel spectrograms computed in
float32: a few from the given recording, plus silence and white noise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import librosa
import numpy as np
import tensorflow as tf
from musicnn import models

tf.compat.v1.disable_eager_execution()

CHECKPOINTS = {"musicnn-msd": "MSD_musicnn", "musicnn-mtt": "MTT_musicnn"}
OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "musicnn_tf_reference.npz"


def log_mel(audio: np.ndarray) -> np.ndarray:
    mel = librosa.feature.melspectrogram(y=audio, sr=16000, hop_length=256, n_fft=512, n_mels=96).T
    return np.log10(10000 * mel.astype(np.float32) + 1).astype(np.float32)


def make_patches(audio_file: str) -> np.ndarray:
    music, _ = librosa.load(audio_file, sr=16000, offset=20.0, duration=9.0)
    spec = log_mel(music)
    patches = [spec[i * 187 : (i + 1) * 187] for i in range(2)]
    rng = np.random.default_rng(0)
    patches.append(log_mel(np.zeros(16000 * 3, dtype=np.float32))[:187])
    patches.append(log_mel(rng.uniform(-0.5, 0.5, 16000 * 3).astype(np.float32))[:187])
    return np.stack(patches).astype(np.float32)


def run_original(folder: str, patches: np.ndarray) -> np.ndarray:
    import musicnn

    tf.compat.v1.reset_default_graph()
    x = tf.compat.v1.placeholder(tf.float32, [None, 187, 96])
    is_training = tf.compat.v1.placeholder(tf.bool)
    logits = models.define_model(x, is_training, folder, 50)[0]
    with tf.compat.v1.Session() as session:
        tf.compat.v1.train.Saver().restore(session, os.path.dirname(musicnn.__file__) + f"/{folder}/")
        return session.run(tf.nn.sigmoid(logits), feed_dict={x: patches, is_training: False})


def main() -> None:
    patches = make_patches(sys.argv[1])
    outputs = {name: run_original(folder, patches) for name, folder in CHECKPOINTS.items()}
    np.savez_compressed(OUT, patches=patches, **{name.replace("-", "_"): out for name, out in outputs.items()})
    print(f"wrote {OUT}: patches {patches.shape}, " + ", ".join(f"{k} {v.shape}" for k, v in outputs.items()))


if __name__ == "__main__":
    main()
