"""Check the Whisper tiny.en converter — encoder and decoder — against CTranslate2 itself (not a project dependency).

Two steps, two environments::

    .venv/bin/python tools/verify_whisper_ct2.py encode /tmp/whisper.npz      # project venv
    python -m venv /tmp/ct2 && /tmp/ct2/bin/pip install ctranslate2==4.8.5 numpy
    /tmp/ct2/bin/python tools/verify_whisper_ct2.py compare /tmp/whisper.npz  # scratch venv

``encode`` speaks a sentence with espeak-ng (or reads ``--wav``, a 16 kHz int16 file such as the
test fixture), converts the whole model, and saves Whisper's log-mel features, our encoder's output,
and, with and without timestamps, our greedy tokens and the decoder's logits at every step.
``compare`` runs CTranslate2 on the same features and prints the largest differences: encoder
output, tokens (must be identical), logits (over the tokens CTranslate2 does not suppress) and the
no-speech probability. ``compare --fixture tests/fixtures/whisper_tiny_en_ct2_speech`` also writes
the clip (``.wav``) and CTranslate2's tokens and top logits for the first steps (``.npz``) that
``tests/test_whisper_asr.py`` checks against.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

SENTENCE = "Please call me back tomorrow morning about the invoice."
PROMPTS = {"plain": [50257, 50362], "timestamps": [50257]}  # <|startoftranscript|> [<|notimestamps|>]
NO_SPEECH = 50361  # <|nocaptions|>
FIXTURE_STEPS, FIXTURE_TOP = 6, 64


def _speech(wav: Path | None, scratch: Path) -> np.ndarray:
    """16 kHz int16 speech: the file given, or the sentence spoken by espeak-ng and resampled."""
    import librosa
    import soundfile

    if wav is not None:
        audio, rate = soundfile.read(wav, dtype="int16")
        if rate != 16000 or audio.ndim != 1:
            raise SystemExit(f"{wav}: expected mono 16 kHz audio")
        return audio
    spoken = scratch / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(spoken), SENTENCE], check=True)
    audio, rate = soundfile.read(spoken, dtype="float32")
    audio = librosa.resample(audio, orig_sr=rate, target_sr=16000)
    return np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)


def encode(out: Path, wav: Path | None) -> None:
    import torch
    from transformers import WhisperFeatureExtractor, WhisperForConditionalGeneration

    from core.models.whisper.asr import convert
    from core.models.whisper.ct2 import packaged_model

    saved: dict[str, np.ndarray] = {"model": np.array(str(packaged_model().parent))}
    with tempfile.TemporaryDirectory() as scratch:
        audio = _speech(wav, Path(scratch))
        folder = convert(Path(scratch) / "whisper")
        model = WhisperForConditionalGeneration.from_pretrained(folder, local_files_only=True, use_safetensors=True)
    features = WhisperFeatureExtractor(feature_size=80)(audio / 32768.0, sampling_rate=16000, return_tensors="pt")
    features = features["input_features"].float()
    with torch.inference_mode():
        hidden = model.model.encoder(features).last_hidden_state
        for mode, prompt in PROMPTS.items():
            generated = model.generate(features, num_beams=1, return_timestamps=mode == "timestamps")
            tokens = [t for t in generated[0].tolist() if t != model.generation_config.eos_token_id]
            # the logits that chose every token, and the one that ended the text (teacher-forced)
            ids = torch.tensor([prompt + tokens])
            logits = model(encoder_outputs=(hidden,), decoder_input_ids=ids).logits[0, len(prompt) - 1 :]
            saved |= {f"{mode}_tokens": np.array(tokens), f"{mode}_logits": logits.numpy()}
    # with no <|notimestamps|> in the prompt, the first logits are those at <|startoftranscript|>
    saved["no_speech"] = np.array(torch.from_numpy(saved["timestamps_logits"][0]).softmax(-1)[NO_SPEECH].item())
    saved |= {"audio": audio, "features": features.numpy(), "hidden": hidden.numpy()}
    np.savez(out, **saved)
    print(f"{len(audio) / 16000:.2f} s of speech; tokens {saved['plain_tokens'].tolist()}; written to {out}")


def compare(data: Path, fixture: Path | None) -> None:
    import ctranslate2

    saved = np.load(data)
    model = ctranslate2.models.Whisper(str(saved["model"]), device="cpu", compute_type="float32")
    features = ctranslate2.StorageView.from_array(saved["features"])
    output = np.array(model.encode(features))
    difference = np.abs(output - saved["hidden"])
    print(
        f"CTranslate2 {ctranslate2.__version__}: encoder output {output.shape}, |ours - ct2| max "
        f"{difference.max():.2e}, mean {difference.mean():.2e}, output scale {np.abs(output).mean():.2f}"
    )
    references: dict[str, np.ndarray] = {}
    for mode, prompt in PROMPTS.items():
        result = model.generate(features, [prompt], beam_size=1, return_logits_vocab=True, return_no_speech_prob=True)[
            0
        ]
        tokens = result.sequences_ids[0]
        # CTranslate2 gives the logits after its suppression rules: suppressed tokens hold -FLT_MAX
        theirs = np.stack([np.array(step) for step in result.logits[0]])
        ours = saved[f"{mode}_logits"][: len(theirs)]
        allowed = theirs > -1e30
        steps = min(len(theirs), len(ours))
        difference = np.abs(ours[:steps] - theirs[:steps])[allowed[:steps]]
        same = tokens == saved[f"{mode}_tokens"].tolist()
        print(
            f"{mode}: tokens identical: {same} ({len(tokens)} tokens{'' if same else f', ct2 {tokens}'}); "
            f"logits over {steps} steps, {allowed[:steps].sum()} allowed entries: |ours - ct2| max "
            f"{difference.max():.2e}, mean {difference.mean():.2e}, logit scale {np.abs(theirs[allowed]).mean():.2f}"
        )
        if mode == "timestamps":
            print(f"no-speech probability: ours {float(saved['no_speech']):.6f}, ct2 {result.no_speech_prob:.6f}")
        top = np.argsort(-theirs[:FIXTURE_STEPS], axis=1)[:, :FIXTURE_TOP]
        references |= {
            f"{mode}_tokens": np.array(tokens, dtype=np.int32),
            f"{mode}_top_ids": top.astype(np.int32),
            f"{mode}_top_logits": np.take_along_axis(theirs[:FIXTURE_STEPS], top, axis=1).astype(np.float32),
        }
    if fixture is not None:
        with wave.open(str(fixture.with_suffix(".wav")), "wb") as clip:
            clip.setnchannels(1)
            clip.setsampwidth(2)
            clip.setframerate(16000)
            clip.writeframes(saved["audio"].astype("<i2").tobytes())
        np.savez_compressed(fixture.with_suffix(".npz"), **references)
        print(f"fixture written: {fixture.with_suffix('.wav')}, {fixture.with_suffix('.npz')}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    step = steps.add_parser("encode", help="project venv: our encoder, tokens and logits")
    step.add_argument("out", type=Path)
    step.add_argument("--wav", type=Path, help="16 kHz int16 speech to use instead of espeak-ng's")
    step = steps.add_parser("compare", help="scratch venv with ctranslate2: the same through CTranslate2")
    step.add_argument("data", type=Path)
    step.add_argument("--fixture", type=Path, help="also write the test fixture (.wav and .npz) at this stem")
    args = parser.parse_args()
    if args.step == "encode":
        encode(args.out, args.wav)
    else:
        compare(args.data, args.fixture)
