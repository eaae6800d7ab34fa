"""Earmark's wake-word tuning: one word per phrase, the two-stage detector, personal verifiers and enrolment."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.listen.catalog import ListenRequest, ListenSpec, spotter_for
from core.listen.detector import FRAME_SAMPLES, ListenModelError, Spotter, TriggerPolicy
from core.listen.sources import file_frames
from core.listen.twostage import TwoStage
from core.listen.verifier import CONTEXT, Verifier, VerifierDetector, enrolled, verifiers_dir
from tests.audio_factory import chords, speak, write

ESPEAK = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")
SILENT = np.zeros(FRAME_SAMPLES, dtype=np.int16)


@pytest.fixture(autouse=True)
def own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Enrolled voices stay in this test: the shared test home must not change what other tests hear."""
    monkeypatch.setenv("EARMARK_HOME", str(tmp_path / "home"))


class Scripted:
    """Replays given scores per word, one row per frame."""

    def __init__(self, rows: list[dict[str, float]], thresholds: dict[str, float], name: str = "scripted") -> None:
        self.name = name
        self.rows = rows
        self.words = list(rows[0])
        self.default_thresholds = thresholds
        self.reset()

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        self.index += 1
        return dict(self.rows[self.index - 1])

    def reset(self) -> None:
        self.index = 0


def fired(detector, policy: TriggerPolicy | None = None, frames: int = 0) -> list[tuple[str, int]]:
    """(word, frame number from 1) of each detection over ``frames`` frames (default: all a Scripted has)."""
    spotter = Spotter(detector, policy)
    return [(d.word, round(d.time_s / 0.08)) for _ in range(frames or len(detector.rows)) for d in spotter.feed(SILENT)]


def test_one_phrase_fires_only_its_best_word() -> None:
    # "hey mycroft" at lowered thresholds: okay_nabu crosses too, by less; later a real okay_nabu
    quiet = {"hey_mycroft": 0.0, "okay_nabu": 0.0}
    rows = [quiet] * 3 + [{"hey_mycroft": 0.5, "okay_nabu": 0.35}, {"hey_mycroft": 0.9, "okay_nabu": 0.4}]
    rows += [quiet] * 30 + [{"hey_mycroft": 0.0, "okay_nabu": 0.9}]
    thresholds = {"hey_mycroft": 0.3, "okay_nabu": 0.3}
    both = fired(Scripted(rows, thresholds))
    assert both == [("hey_mycroft", 4), ("okay_nabu", 4), ("okay_nabu", 36)]  # without the rule: two words at once
    one = fired(Scripted(rows, thresholds), TriggerPolicy(exclusive_s=1.5))
    assert one == [("hey_mycroft", 4), ("okay_nabu", 36)]
    # the word furthest over its own threshold wins, not the highest raw score
    close = [{"hey_mycroft": 0.6, "okay_nabu": 0.5}] + [quiet] * 3 + [{"hey_mycroft": 0.0, "okay_nabu": 0.9}]
    result = fired(Scripted(close, {"hey_mycroft": 0.5, "okay_nabu": 0.2}), TriggerPolicy(exclusive_s=1.5))
    assert result == [("okay_nabu", 1)]  # and okay_nabu's own refractory holds its second peak back


def test_earmark_tuning_keeps_one_word_per_phrase_and_model_tuning_does_not() -> None:
    assert spotter_for(ListenRequest(ListenSpec(wake=("alexa",)))).policy.exclusive_s > 0
    assert spotter_for(ListenRequest(ListenSpec(wake=("alexa",), tuning="model"))).policy.exclusive_s == 0


def test_a_second_stage_confirms_candidates_under_the_threshold() -> None:
    first = [{"hey": s} for s in (0.1, 0.3, 0.3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 0, 0.9)]
    second = [{"hey": s} for s in (0.9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.2, 0, 0)]
    two = TwoStage(Scripted(first, {"hey": 0.8}), Scripted(second, {"hey": 0.5}), {"hey": 0.25}, {"hey": 0.5})
    # frame 1: the second stage is sure but the first is under ``low``; frame 2: a candidate the second
    # stage confirmed within its window; frame 13: a candidate it does not confirm; frame 15: sure alone
    assert fired(two, TriggerPolicy(refractory_s=0.0), len(first)) == [("hey", 2), ("hey", 3), ("hey", 15)]
    assert two.default_thresholds == {"hey": 0.8} and two.name == "scripted"


def verifier(word: str = "alexa") -> Verifier:
    rng = np.random.default_rng(0)
    size = CONTEXT * 96
    return Verifier(word, rng.normal(size=size), rng.uniform(0.5, 2, size), rng.normal(size=size) / 100, -1.0, 0.2, 4)


def test_a_verifier_is_stored_as_safetensors_and_read_back(tmp_path: Path) -> None:
    original = verifier()
    path = original.save(verifiers_dir() / "alexa.safetensors")
    assert path.read_bytes()[8:9] == b"{"  # safetensors: a JSON header after its length, no pickle
    [(word, loaded)] = enrolled().items()
    assert word == "alexa" and (loaded.low, loaded.clips) == (0.2, 4)
    windows = np.random.default_rng(1).normal(size=(3, CONTEXT, 96))
    assert np.allclose(loaded.scores(windows), original.scores(windows), atol=1e-5)
    detector = VerifierDetector({"alexa": loaded})
    assert 0.0 <= detector.predict(SILENT)["alexa"] <= 1.0
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "alexa.safetensors").write_bytes(b"\x80\x04 a pickle, not a verifier")
    with pytest.raises(ListenModelError, match="personal verifier alexa.safetensors cannot be read.*enrol again"):
        enrolled(tmp_path / "bad")


def test_enrol_refuses_bad_input_in_one_line(tmp_path: Path, capsys) -> None:
    assert main(["listen", "--enrol", "hey_computer", "--no-store"]) == 1
    assert "no wake word hey_computer to enrol" in capsys.readouterr().err
    silent = write(tmp_path / "silent.wav", np.zeros(16000, dtype=np.float32), 16000)
    assert main(["listen", "--enrol", "alexa", str(silent)]) == 1
    assert capsys.readouterr().err == "earmark: silent.wav: silent; say the word clearly\n"
    music = write(tmp_path / "music.wav", chords(2.0, 16000), 16000)
    assert main(["listen", "--enrol", "alexa", str(music), str(music)]) == 1
    assert capsys.readouterr().err == "earmark: say alexa at least 3 times to enrol (2 given)\n"
    assert main(["listen", "--forget", "alexa"]) == 1
    assert capsys.readouterr().err == "earmark: no enrolled voice for alexa\n"


def recall(paths: list[Path], word: str) -> int:
    """How many of these recordings fire ``word`` with Earmark's tuning (and whatever is enrolled now)."""
    spotter = spotter_for(ListenRequest(ListenSpec(wake=(word,))))
    found = 0
    for path in paths:
        spotter.reset()
        found += any(d.word == word for d in spotter.run(file_frames(path)))
    return found


def noisy_take(path: Path, text: str, voice: str, speed: int, seed: int) -> Path:
    import soundfile as sf

    speak(path, text, voice, pad_s=1.0, speed=speed)
    audio, rate = sf.read(str(path), dtype="float32")
    noise = np.random.default_rng(seed).normal(0, np.sqrt(np.mean(audio**2)) * 4 / 10 ** (15 / 20), len(audio))
    return write(path, (audio + noise).astype(np.float32), rate)


@pytest.mark.slow
@ESPEAK
def test_enrolling_a_voice_raises_its_recall_and_nothing_else_fires_more(tmp_path: Path, capsys) -> None:
    word, voice = "hey_jarvis", "en-gb-x-rp"  # a voice the model scores near zero
    speeds = (140, 160, 180, 150)
    takes = [speak(tmp_path / f"take{i}.wav", "hey jarvis", voice, pad_s=0.3, speed=s)[0] for i, s in enumerate(speeds)]
    tests = [noisy_take(tmp_path / f"test{s}.wav", "hey jarvis", voice, s, s) for s in (130, 145, 170, 190, 205)]
    others = [
        noisy_take(tmp_path / f"other{i}.wav", text, other, 160, i)
        for i, (text, other) in enumerate(
            [
                ("i think the jar is in the garage, ask travis or his brother", "en-us"),
                ("hey travis, hey davis, hey service", voice),
                ("hey, is that harvest festival tomorrow? hey there, jasmine", "en+f3"),
                ("hey jar, hey jars, the service is over", voice),
                ("my craft is alex's business, okay now", "en-gb-scotland"),
            ]
        )
    ]
    music = write(tmp_path / "music.wav", chords(20.0, 16000), 16000)
    before, before_others = recall(tests, word), recall(others + [music], word)
    assert main(["listen", "--enrol", word, *map(str, takes)]) == 0
    assert f"enrolled {word} from 4 recordings" in capsys.readouterr().err
    after, after_others = recall(tests, word), recall(others + [music], word)
    assert after >= before + 2 and after >= 3, (before, after)
    assert after_others <= before_others, (before_others, after_others)
    assert main(["listen", "--forget", word]) == 0 and enrolled() == {}
