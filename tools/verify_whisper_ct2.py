"""Check the Whisper tiny.en converter against CTranslate2 itself (not a project dependency).

Two steps, two environments::

    .venv/bin/python tools/verify_whisper_ct2.py encode /tmp/whisper.npz      # project venv
    python -m venv /tmp/ct2 && /tmp/ct2/bin/pip install ctranslate2 numpy
    /tmp/ct2/bin/python tools/verify_whisper_ct2.py compare /tmp/whisper.npz  # scratch venv

``encode`` speaks a sentence with espeak-ng, computes Whisper's log-mel features and our converted
encoder's output; ``compare`` runs CTranslate2's encoder on the same features and prints the
largest absolute difference.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np


def encode(out: Path) -> None:
    import soundfile
    import torch
    from transformers import WhisperFeatureExtractor, WhisperForAudioClassification

    from core.models.whisper_ct2 import convert, packaged_model

    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "speech.wav"
        text = "Earmark tags audio on your own machine, and nothing leaves it."
        subprocess.run(["espeak-ng", "-w", str(wav), text], check=True)
        audio, rate = soundfile.read(wav, dtype="float32")
        import librosa

        audio = librosa.resample(audio, orig_sr=rate, target_sr=16000)
        folder = convert(Path(scratch) / "whisper")
        features = WhisperFeatureExtractor(feature_size=80)(audio, sampling_rate=16000, return_tensors="np")
        model = WhisperForAudioClassification.from_pretrained(folder).eval()
        with torch.inference_mode():
            hidden = model.encoder(torch.from_numpy(features["input_features"])).last_hidden_state.numpy()
    np.savez(out, features=features["input_features"], hidden=hidden, model=str(packaged_model().parent))
    print(f"encoder output {hidden.shape} written to {out}")


def compare(data: Path) -> None:
    import ctranslate2

    saved = np.load(data)
    model = ctranslate2.models.Whisper(str(saved["model"]), device="cpu", compute_type="float32")
    output = np.array(model.encode(ctranslate2.StorageView.from_array(saved["features"])))
    difference = np.abs(output - saved["hidden"])
    print(
        f"CTranslate2 {ctranslate2.__version__}: output {output.shape}, |ours - ct2| max {difference.max():.2e}, "
        f"mean {difference.mean():.2e}, output scale {np.abs(output).mean():.2f}"
    )


if __name__ == "__main__":
    {"encode": encode, "compare": compare}[sys.argv[1]](Path(sys.argv[2]))
