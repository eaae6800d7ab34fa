"""The speaker encoder: Resemblyzer's voice embeddings, ported to plain torch, tell voices apart.

The fixture (``tools/verify_speaker_encoder.py``) holds two espeak-ng clips as int16, 3.1 s in voice
``en`` and 1.1 s in ``en+f4`` (shorter than one 1.6 s partial, so zero-padded), with Resemblyzer
0.1.4's own outputs for them. The port matches it to about 2e-7; the tests allow 1e-4, room for
other float32 kernels (MKL or OpenBLAS, AVX2 or AVX-512 sum in other orders over 160 LSTM steps)
while a porting slip stays far outside it: HTK mel bands move an embedding by 0.15, a 0.8 s instead
of Resemblyzer's 0.77 s partial hop by 0.014.
"""

from __future__ import annotations

import importlib.util
import itertools
import shutil
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from core.errors import EarmarkError
from core.models.speaker import SpeakerEncoder, SpeakerEncoderUnavailableError, normalize_volume
from core.models.speaker.features import frame_count, mel_frames
from tests.audio_factory import speak

FIXTURE = np.load(Path(__file__).parent / "fixtures" / "speaker_encoder.npz", allow_pickle=False)
CLIPS = [
    (clip.astype(np.float32) / 32768).astype(np.float32)
    for clip in np.split(FIXTURE["audio"], np.cumsum(FIXTURE["audio_lengths"])[:-1])
]
PARTIALS = np.split(FIXTURE["partials"], np.cumsum(FIXTURE["partials_lengths"])[:-1])
TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def encoder() -> SpeakerEncoder:
    # batches of two partials: the 3.1 s clip's three partials take two batches, each its own mel
    return SpeakerEncoder(batch_size=2)


def test_utterance_embeddings_match_resemblyzer(encoder: SpeakerEncoder) -> None:
    for clip, expected in zip(CLIPS, FIXTURE["embedding"], strict=True):
        embedding = encoder.embed_utterance(clip)
        assert embedding.shape == (256,) and embedding.dtype == np.float32
        assert np.abs(embedding - expected).max() < TOLERANCE
    # the two voices' embeddings are far apart: the comparison above is not against a constant
    assert np.abs(FIXTURE["embedding"][0] - FIXTURE["embedding"][1]).max() > 0.1


def test_windows_at_resemblyzers_hop_are_its_partial_embeddings(encoder: SpeakerEncoder) -> None:
    # embed_utterance's partials: 1.6 s every round(16000 / 1.3 / 160) = 77 frames, 75 % coverage
    for clip, expected in zip(CLIPS, PARTIALS, strict=True):
        starts, windows = encoder.embed_windows(clip, window_s=1.6, hop_s=0.77, min_coverage=0.75)
        assert np.allclose(starts, np.arange(len(expected)) * 0.77)
        assert np.abs(windows - expected).max() < TOLERANCE
    assert [len(p) for p in PARTIALS] == [3, 1]


def test_mel_frames_match_resemblyzer() -> None:
    expected = FIXTURE["mel"]
    mel = mel_frames(CLIPS[0], 0, frame_count(len(CLIPS[0])))
    assert mel.shape == expected.shape == (308, 40)
    assert np.abs(mel - expected).max() < 1e-5 * np.abs(expected).max()
    # any stretch of frames, computed alone, is the same rows
    assert np.abs(mel_frames(CLIPS[0], 77, 160) - expected[77:237]).max() < 1e-5 * np.abs(expected).max()


def test_normalize_volume_raises_quiet_audio_like_resemblyzer() -> None:
    quiet = CLIPS[0] * 0.05
    gain = np.abs(normalize_volume(quiet)).max() / np.abs(quiet).max()
    assert gain == pytest.approx(float(FIXTURE["quiet_gain"]), rel=1e-5)
    assert np.array_equal(normalize_volume(CLIPS[0] * 4), CLIPS[0] * 4)  # loud audio is left alone


def test_windows_cover_a_stretch_and_batches_do_not_change_them(encoder: SpeakerEncoder) -> None:
    audio = np.random.default_rng(0).normal(0, 0.05, 16000 * 7).astype(np.float32)
    starts, windows = encoder.embed_windows(audio)
    # 1.6 s every 0.8 s; the last, from 6.4 s, is 0.6 s of audio: under half a window, dropped
    assert np.allclose(starts, [0.0, 0.8, 1.6, 2.4, 3.2, 4.0, 4.8, 5.6])
    assert windows.shape == (8, 256) and np.allclose(np.linalg.norm(windows, axis=1), 1, atol=1e-5)
    whole = SpeakerEncoder(batch_size=64).embed_windows(audio)[1]
    assert np.abs(windows - whole).max() < 1e-5
    short_starts, short = encoder.embed_windows(audio[:8000])
    assert list(short_starts) == [0.0] and short.shape == (1, 256)


def test_bad_audio_is_refused(encoder: SpeakerEncoder) -> None:
    for audio in (np.zeros((2, 16000), np.float32), np.zeros(0, np.float32), np.zeros(16000, np.int16)):
        with pytest.raises(ValueError):
            encoder.embed_utterance(audio)


def test_missing_wheel_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "resemblyzer" else real(name))
    with pytest.raises(SpeakerEncoderUnavailableError) as error:
        SpeakerEncoder()
    assert isinstance(error.value, EarmarkError)
    assert "\n" not in str(error.value) and "pip install --no-deps resemblyzer==0.1.4" in str(error.value)


def test_damaged_weights_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "pretrained.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(SpeakerEncoderUnavailableError, match="cannot read the speaker encoder weights"):
        SpeakerEncoder(weights=bad)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")
def test_same_voice_is_closer_than_another_voice(encoder: SpeakerEncoder, tmp_path: Path) -> None:
    # espeak "variants" change the voice; accents (en-us, en-gb-scotland) keep it and embed alike
    voices = ("en", "en+f4", "en+klatt")
    sentences = ("The quarterly numbers came in lower than we expected.", "Could you send me the contract by Friday?")
    embeddings = {}
    for voice, (k, text) in itertools.product(voices, enumerate(sentences)):
        path, _ = speak(tmp_path / f"{voice}-{k}.wav", text, voice, pad_s=0.0)
        audio, rate = sf.read(str(path), dtype="float32")
        embeddings[voice, k] = encoder.embed_utterance(librosa.resample(audio, orig_sr=rate, target_sr=16000))
    within = {v: float(embeddings[v, 0] @ embeddings[v, 1]) for v in voices}
    # across: another voice saying the other sentence, so that shared words do not help
    across = {
        (a, b, i): float(embeddings[a, i] @ embeddings[b, 1 - i])
        for a, b in itertools.permutations(voices, 2)
        for i in (0, 1)
    }
    for voice in voices:
        others = [similarity for (a, *_), similarity in across.items() if a == voice]
        assert within[voice] > max(others) + 0.03, (voice, within, across)
    assert np.mean(list(within.values())) > np.mean(list(across.values())) + 0.1
