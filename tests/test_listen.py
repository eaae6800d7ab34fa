"""Wake words: the streaming detector over speech made with espeak-ng, and the trigger policy."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.cli import main
from core.listen import sources
from core.listen.detector import FRAME_SAMPLES, SAMPLE_RATE, Spotter, TriggerPolicy
from core.listen.micro import MicroWakeWordDetector
from core.listen.sources import file_frames
from core.store import Store
from tests.audio_factory import chords, speak

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")


@pytest.fixture(scope="module")
def detector() -> MicroWakeWordDetector:
    return MicroWakeWordDetector()


WORDS = [("okay_nabu", "okay nabu"), ("hey_mycroft", "hey mycroft"), ("alexa", "alexa")]


# two voices every word passes; espeak's female en+f3 saying "alexa" scores 0.70, under the
# model's 0.9 cut-off: a real false reject, for the metrics benchmark rather than this test
@pytest.mark.parametrize("voice", ["en", "en-us+m3"])
@pytest.mark.parametrize(("word", "text"), WORDS)
def test_a_spoken_wake_word_fires_once(detector, tmp_path: Path, word: str, text: str, voice: str) -> None:
    path, speech_end = speak(tmp_path / "say.wav", text, voice)
    detector.reset()
    detections = list(Spotter(detector).run(file_frames(path)))
    assert [d.word for d in detections] == [word]
    assert speech_end - 0.8 <= detections[0].time_s <= speech_end + 0.5  # soon after the phrase ends
    assert detections[0].score >= detector.default_thresholds[word]


def test_other_speech_and_music_fire_nothing(detector, tmp_path: Path) -> None:
    path, _ = speak(tmp_path / "talk.wav", "the weather is nice today, and the meeting starts at nine in the morning")
    music = tmp_path / "music.wav"
    sf.write(str(music), chords(20.0, 16000), 16000)
    for recording in (path, music):
        detector.reset()
        assert list(Spotter(detector).run(file_frames(recording))) == []


class Scripted:
    """A detector that replays given scores, one per frame."""

    name = "scripted"
    words = ["hey"]
    default_thresholds = {"hey": 0.5}

    def __init__(self, scores: list[float]) -> None:
        self.scores = iter(scores)

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        return {"hey": next(self.scores)}

    def reset(self) -> None:
        return None


def times(scores: list[float], policy: TriggerPolicy) -> list[float]:
    frames = [np.zeros(FRAME_SAMPLES, dtype=np.int16)] * len(scores)
    return [round(d.time_s, 2) for d in Spotter(Scripted(scores), policy).run(frames)]


def test_patience_refractory_and_threshold() -> None:
    frame_s = FRAME_SAMPLES / SAMPLE_RATE
    spiky = [0.9, 0.1, 0.9, 0.9, 0.1] + [0.1] * 30 + [0.9, 0.9]
    assert times(spiky, TriggerPolicy(patience=1, refractory_s=2.0)) == [round(frame_s, 2), round(36 * frame_s, 2)]
    assert times(spiky, TriggerPolicy(patience=2, refractory_s=2.0)) == [round(4 * frame_s, 2), round(37 * frame_s, 2)]
    every = [round(t * frame_s, 2) for t in (1, 3, 4, 36, 37)]
    assert times(spiky, TriggerPolicy(patience=1, refractory_s=0.0)) == every
    assert times(spiky, TriggerPolicy(thresholds={"hey": 0.95})) == []


def test_cli_listens_to_recordings_and_stores_detections(capsys, tmp_path: Path) -> None:
    path, _ = speak(tmp_path / "call.wav", "okay nabu")
    db = tmp_path / "d.db"
    assert main(["listen", str(path), "--wake", "okay_nabu,alexa", "--db", str(db)]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and "okay_nabu" in captured.out
    assert captured.err == f"earmark: {path.resolve()}: 1 detection(s)\n"
    quiet, _ = speak(tmp_path / "quiet.wav", "good morning everyone")
    assert main(["listen", str(quiet), "--wake", "alexa", "--no-store"]) == 0
    captured = capsys.readouterr()  # nothing heard is said, not left as silence
    assert captured.out == "" and captured.err == f"earmark: {quiet.resolve()}: nothing heard (listening for alexa)\n"
    with Store(db) as store:
        [(source, time_s, word, score, model)] = store.detections()
    assert (source, word, model) == (str(path.resolve()), "okay_nabu", "microwakeword") and score > 0.5


class OutputsOnly:
    """sounddevice on a machine whose only audio device is a speaker."""

    @staticmethod
    def query_devices() -> list[dict]:
        return [{"name": "speakers", "max_input_channels": 0, "default_samplerate": 48000.0}]


def test_cli_errors_are_one_line(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["listen", "--wake", "hey_computer", "--no-store"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no wake word hey_computer" in err and "okay_nabu" in err
    assert main(["listen", "--keyword-examples", str(tmp_path / "none"), "--no-store"]) == 1
    assert capsys.readouterr().err == f"earmark: no keyword examples folder {tmp_path / 'none'}\n"
    monkeypatch.setattr(sources, "_sounddevice", lambda: OutputsOnly)
    assert main(["listen", "--no-store"]) == 1
    assert capsys.readouterr().err == "earmark: no audio input device found (is a microphone connected?)\n"
    assert main(["devices"]) == 1
