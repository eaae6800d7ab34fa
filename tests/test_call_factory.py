"""The synthetic call corpus (tests/call_factory.py) agrees with its own truth, and tests/wer.py scores right."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.call_factory import REFUND_AT, CallTruth, standard_calls, verify
from tests.wer import corpus_wer, normalise, wer, word_errors

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, CallTruth]]:
    """The standard set, built once (a few seconds)."""
    return {path.stem: (path, truth) for path, truth in standard_calls(tmp_path_factory.mktemp("calls"))}


@needs_espeak
def test_truth_is_consistent(calls: dict[str, tuple[Path, CallTruth]]) -> None:
    for name, (path, truth) in calls.items():
        spans = sorted([t[:2] for t in truth.turns] + truth.hold + [t[:2] for t in truth.tones])
        assert all(0 <= start < end <= truth.duration_s for start, end in spans), name
        assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False)), name
        for speaker, seconds in truth.talk_s.items():
            assert seconds == pytest.approx(sum(t.end_s - t.start_s for t in truth.turns if t.speaker == speaker))
        assert truth.num_speakers == len(truth.talk_s) == len({t.speaker for t in truth.turns}), name
        assert [truth.turns.index(t) for t in truth.find("refund")] == REFUND_AT.get(name, []), name
        assert sf.info(str(path)).duration == pytest.approx(truth.duration_s), name
        assert verify(path, truth) == [], name
    assert (
        calls["hold"][1].hold_s == 20.0 and calls["silent"][1].turns == [] and calls["three_party"][1].num_speakers == 3
    )


@needs_espeak
def test_telephone_and_stereo_layouts(calls: dict[str, tuple[Path, CallTruth]]) -> None:
    info = sf.info(str(calls["mulaw"][0]))
    assert (info.samplerate, info.channels, info.subtype) == (8000, 1, "ULAW")
    path, truth = calls["stereo"]
    audio, rate = sf.read(str(path), always_2d=True)
    assert audio.shape[1] == 2 and truth.speaker_channels == {"agent": 0, "customer": 1}
    for turn in truth.turns:
        own = truth.speaker_channels[turn.speaker]
        power = np.mean(audio[truth.samples(turn.start_s, turn.end_s)] ** 2, axis=0)
        assert power[own] > 100 * power[1 - own]  # the other side only carries the -30 dB bleed


def test_wer() -> None:
    assert normalise("Order #45182, £20 & 3.5% — don't!") == (
        "order four five one eight two twenty pounds and three point five percent dont".split()
    )
    assert wer("the refund is on its way", "The refund is on it's way.") == 0.0
    assert word_errors("a b c d", "a x c d e") == (1, 0, 1, 4)
    assert word_errors("a b c d", "a d") == (0, 2, 0, 4) and wer("", "") == 0.0 and wer("", "uh") == 1.0
    assert corpus_wer([("a b", "a b"), ("c d", "c")]) == 0.25
