"""Check Earmark's speaker encoder port against Resemblyzer itself (not a project dependency).

Two steps, two environments::

    .venv/bin/python tools/verify_speaker_encoder.py clips /tmp/speakers.npz        # project venv
    python -m venv /tmp/rz && /tmp/rz/bin/pip install resemblyzer==0.1.4 "setuptools<81"
    /tmp/rz/bin/python tools/verify_speaker_encoder.py compare /tmp/speakers.npz \\
        tests/fixtures/speaker_encoder.npz                                          # scratch venv

``clips`` speaks sentences in several espeak-ng voices, resamples them to 16 kHz, stores them as
int16 with our port's embeddings (utterance, partials, mel) and prints how alike same-voice and
different-voice clips are. ``compare`` runs Resemblyzer's ``VoiceEncoder().embed_utterance`` on the
same samples (already 16 kHz and trimmed, so its webrtcvad ``preprocess_wav`` step is skipped),
prints the largest differences and, given a second path, writes the test fixture: two clips (two
voices, one shorter than a partial) with Resemblyzer's outputs for them. Only arrays are stored, and
read back with ``allow_pickle=False``.

webrtcvad (a Resemblyzer dependency) compiles with gcc and the Python headers, and imports
``pkg_resources``, which setuptools 81 removed; hence the pin in the scratch venv.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

# Six voices, not six accents: "en", "en-us", "en-gb-scotland"... are one synthetic voice reading
# with different rules, and embed as one speaker (cosine 0.85-0.88 across them); variants change it.
VOICES = ("en", "en+m7", "en+klatt", "en+f2", "en+f4", "en+Annie")
SENTENCES = (
    "The quarterly numbers came in lower than we expected.",
    "Could you send me the contract before Friday?",
    "I will call the supplier again tomorrow morning.",
)
FIXTURE = (("en", "Please hold the line while I check the order."), ("en+f4", "Thank you."))


def _speak(text: str, voice: str) -> np.ndarray:
    """espeak-ng at 16 kHz, as int16 (what is stored, so both environments read the same samples)."""
    import librosa
    import soundfile

    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text], check=True)
        audio, rate = soundfile.read(wav, dtype="float32")
    audio = librosa.resample(audio, orig_sr=rate, target_sr=16000)
    return np.clip(np.round(audio * 32768), -32768, 32767).astype(np.int16)


def _float(samples: np.ndarray) -> np.ndarray:
    return (samples.astype(np.float32) / 32768).astype(np.float32)


def _split(saved, name: str) -> list[np.ndarray]:
    return np.split(saved[name], np.cumsum(saved[f"{name}_lengths"])[:-1])


def clips(out: Path) -> None:
    from core.models.speaker import SpeakerEncoder
    from core.models.speaker.features import frame_count, mel_frames

    encoder = SpeakerEncoder()
    labels = [(v, s) for v in VOICES for s in SENTENCES] + list(FIXTURE)
    audio = [_speak(text, voice) for voice, text in labels]
    embeddings, partials, mels = [], [], []
    for samples in audio:
        wav = _float(samples)
        embeddings.append(encoder.embed_utterance(wav))
        partials.append(encoder.embed_windows(wav, window_s=1.6, hop_s=0.77, min_coverage=0.75)[1])
        mels.append(mel_frames(wav, 0, frame_count(len(wav))))
    np.savez(
        out,
        voice=np.array([v for v, _ in labels]),
        text=np.array([t for _, t in labels]),
        audio=np.concatenate(audio),
        audio_lengths=np.array([len(a) for a in audio]),
        embedding=np.stack(embeddings),
        partials=np.concatenate(partials),
        partials_lengths=np.array([len(p) for p in partials]),
        mel=np.concatenate(mels),
        mel_lengths=np.array([len(m) for m in mels]),
    )
    print(f"{len(audio)} clips, {sum(map(len, audio)) / 16000:.1f} s, written to {out}")
    _similarities(np.stack(embeddings[: len(VOICES) * len(SENTENCES)]), [v for v, _ in labels])
    _speed(encoder)


def _similarities(embeddings: np.ndarray, voices: list[str]) -> None:
    """Same voice, different sentence vs different voice, different sentence (cosine)."""
    same, other = [], []
    for i, j in itertools.combinations(range(len(embeddings)), 2):
        if i % len(SENTENCES) == j % len(SENTENCES) and voices[i] != voices[j]:
            continue  # the same sentence in two voices shares words, not a voice: left out
        (same if voices[i] == voices[j] else other).append(float(embeddings[i] @ embeddings[j]))
    for voice in VOICES:
        rows = [k for k, v in enumerate(voices[: len(embeddings)]) if v == voice]
        pairs = [float(embeddings[i] @ embeddings[j]) for i, j in itertools.combinations(rows, 2)]
        print(f"  {voice:16s} within-voice cosine mean {np.mean(pairs):.3f} (min {min(pairs):.3f})")
    print(
        f"within voice: mean {np.mean(same):.3f}, min {min(same):.3f} ({len(same)} pairs); "
        f"across voices: mean {np.mean(other):.3f}, max {max(other):.3f} ({len(other)} pairs)"
    )


def _speed(encoder) -> None:
    """Windows and utterances per second over two minutes of noise, on one torch thread and on all."""
    import torch

    audio = np.random.default_rng(0).normal(0, 0.05, 16000 * 120).astype(np.float32)
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        encoder.embed_windows(audio[: 16000 * 10])  # warm up
        start = time.perf_counter()
        starts, _ = encoder.embed_windows(audio)
        windows_s = time.perf_counter() - start
        start = time.perf_counter()
        encoder.embed_utterance(audio)
        utterance_s = time.perf_counter() - start
        print(
            f"speed, {threads} torch thread(s): embed_windows (1.6 s every 0.8 s) {len(starts) / windows_s:.0f} "
            f"windows/s, {120 / windows_s:.0f}x realtime; embed_utterance {120 / utterance_s:.0f}x realtime"
        )


def compare(data: Path, fixture: Path | None = None) -> None:
    from importlib.metadata import version

    from resemblyzer import VoiceEncoder
    from resemblyzer import audio as rz_audio

    saved = np.load(data, allow_pickle=False)
    encoder = VoiceEncoder(device="cpu", verbose=False)
    ours = {"embedding": saved["embedding"], "partials": _split(saved, "partials"), "mel": _split(saved, "mel")}
    worst = {"embedding": 0.0, "partials": 0.0, "mel": 0.0, "normalize_volume": 0.0}
    outputs = []
    for k, samples in enumerate(_split(saved, "audio")):
        wav = _float(samples)
        embedding, partials, slices = encoder.embed_utterance(wav, return_partials=True)
        padded = np.pad(wav, (0, max(0, slices[-1].stop - len(wav))))
        mel = rz_audio.wav_to_mel_spectrogram(padded)[: len(ours["mel"][k])]
        worst["embedding"] = max(worst["embedding"], float(np.abs(embedding - ours["embedding"][k]).max()))
        worst["partials"] = max(worst["partials"], float(np.abs(partials - ours["partials"][k]).max()))
        relative = np.abs(mel - ours["mel"][k]).max() / np.abs(mel).max()
        worst["mel"] = max(worst["mel"], float(relative))
        outputs.append((wav, embedding, partials, mel))
    print(
        f"Resemblyzer {version('resemblyzer')}, {len(outputs)} clips: |ours - resemblyzer| max "
        f"utterance embedding {worst['embedding']:.2e}, partial embeddings {worst['partials']:.2e}, "
        f"mel (relative to its peak) {worst['mel']:.2e}"
    )
    if fixture is not None:
        _write_fixture(fixture, saved, outputs)


def _write_fixture(path: Path, saved, outputs) -> None:
    """The last clips (FIXTURE) with Resemblyzer's embeddings, partials, the first clip's mel, and the gain
    its ``normalize_volume`` gives that clip at 5 % of its level."""
    from resemblyzer import audio as rz_audio

    picked = list(range(len(outputs) - len(FIXTURE), len(outputs)))
    samples = _split(saved, "audio")
    quiet = _float(samples[picked[0]]) * 0.05
    gain = np.abs(rz_audio.normalize_volume(quiet, -30, increase_only=True)).max() / np.abs(quiet).max()
    np.savez_compressed(
        path,
        voice=saved["voice"][picked],
        text=saved["text"][picked],
        audio=np.concatenate([samples[k] for k in picked]),
        audio_lengths=np.array([len(samples[k]) for k in picked]),
        embedding=np.stack([outputs[k][1] for k in picked]),
        partials=np.concatenate([outputs[k][2] for k in picked]),
        partials_lengths=np.array([len(outputs[k][2]) for k in picked]),
        mel=outputs[picked[0]][3],
        quiet_gain=np.float64(gain),
    )
    print(f"fixture written to {path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    step, *paths = sys.argv[1:]
    {"clips": clips, "compare": compare}[step](*map(Path, paths))
