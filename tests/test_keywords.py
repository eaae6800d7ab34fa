"""Keywords: openWakeWord heads, keywords from examples, classifiers on a sliding window, the speech
gate, and keyword search through a folder of recordings into the store."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soxr

from core.cli import main
from core.listen.catalog import ListenRequest, ListenSpec, build_detector, spotter_for
from core.listen.classifier import ClassifierDetector
from core.listen.detector import FRAME_SAMPLES, DetectorGroup, ListenModelError, Spotter
from core.listen.examples import ExampleKeywordDetector
from core.listen.oww import OpenWakeWordDetector
from core.listen.sources import file_frames
from core.listen.vad import SpeechGate
from core.models.backend import TorchBackend
from core.models.registry import inspect_folder
from core.store import Store
from tests.audio_factory import bad_corpus, chords, keyword_examples, speak, write

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")

OTHER_SPEECH = "the weather is nice today, and the meeting starts at nine in the morning"


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two custom keywords, each said by three voices; the tests speak them in a fourth."""
    return keyword_examples(tmp_path_factory.mktemp("examples"))


def fired(detector, path: Path) -> list[tuple[str, float]]:
    detector.reset()
    return [(d.word, d.time_s) for d in Spotter(detector).run(file_frames(path))]


def test_openwakeword_heads_fire_on_their_word_only(tmp_path: Path) -> None:
    detector = OpenWakeWordDetector(["alexa", "hey_jarvis", "timer"])
    assert detector.words[:2] == ["alexa", "hey_jarvis"] and "1_minute_timer" in detector.words  # timer's classes
    path, end = speak(tmp_path / "alexa.wav", "alexa", "en-us+m3")
    [(word, time_s)] = fired(detector, path)
    assert word == "alexa" and end - 0.5 <= time_s <= end + 0.5
    other, _ = speak(tmp_path / "other.wav", OTHER_SPEECH)
    assert fired(detector, other) == []


def test_openwakeword_is_opt_in_and_says_its_licence() -> None:
    default = ListenSpec()
    assert build_detector(default).name == "microwakeword" and default.notices == []
    chosen = ListenSpec(openwakeword=("alexa",))
    assert build_detector(chosen).name == "openwakeword"
    assert chosen.notices == ["openWakeWord models: CC BY-NC-SA 4.0 (non-commercial use only)"]
    with pytest.raises(ListenModelError, match="no openWakeWord model computer"):
        OpenWakeWordDetector(["computer"])


def test_a_word_from_two_models_keeps_both_apart(tmp_path: Path) -> None:
    spec = ListenSpec(wake=("alexa",), openwakeword=("alexa",), tuning="model")
    group = build_detector(spec)
    assert isinstance(group, DetectorGroup) and group.words == ["alexa", "alexa@openwakeword"]
    path, _ = speak(tmp_path / "alexa.wav", "alexa")
    group.reset()
    detections = list(Spotter(group).run(file_frames(path)))
    assert sorted((d.word, d.model) for d in detections) == [
        ("alexa", "microwakeword"),
        ("alexa@openwakeword", "openwakeword"),
    ]
    # with Earmark's tuning one phrase fires one word: the one further over its threshold
    spotter = spotter_for(ListenRequest(ListenSpec(wake=("alexa",), openwakeword=("alexa",))))
    assert len(list(spotter.run(file_frames(path)))) == 1


def test_keywords_from_examples_are_found_in_an_unseen_voice(examples: Path, tmp_path: Path) -> None:
    detector = ExampleKeywordDetector(examples)
    assert detector.words == ["lights_on", "play_music"]
    for keyword, sentence in (("lights_on", "okay, lights on please"), ("play_music", "could you play music")):
        path, end = speak(tmp_path / f"{keyword}.wav", sentence, "en-us+m3")
        [(word, time_s)] = fired(detector, path)
        assert word == keyword and end - 1.0 <= time_s <= end + 0.5
    other, _ = speak(tmp_path / "other.wav", OTHER_SPEECH + "; my lightning talk is on the nineteenth", "en-us+m3")
    assert fired(detector, other) == []


def test_unusable_examples_are_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(ListenModelError, match="no keyword examples folder"):
        ExampleKeywordDetector(tmp_path / "nowhere")
    (tmp_path / "flat").mkdir()
    speak(tmp_path / "flat" / "hello.wav", "hello")  # not in a keyword sub-folder
    with pytest.raises(ListenModelError, match=r"expected .*/<keyword>/<clip>\.wav"):
        ExampleKeywordDetector(tmp_path / "flat")
    bad = tmp_path / "bad" / "hello"
    write(bad / "silent.wav", np.zeros(16000, dtype=np.float32), 16000)
    (bad / "broken.wav").write_bytes(b"RIFF not really")
    with pytest.raises(ListenModelError, match="silent.wav: silent.*|broken.wav"):
        ExampleKeywordDetector(tmp_path / "bad")


class Always:
    """A detector that is always sure: whatever gets through the gate fires."""

    name = "always"
    words = ["hey"]
    default_thresholds = {"hey": 0.5}

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        return {"hey": 1.0}

    def reset(self) -> None:
        return None


def test_the_speech_gate_passes_scores_only_near_speech(tmp_path: Path) -> None:
    music = write(tmp_path / "music.wav", chords(10.0, 16000), 16000)
    speech, end = speak(tmp_path / "speech.wav", "hello there", pad_s=3.0)
    gate = SpeechGate(Always())
    assert fired(gate, music) == []
    [(_word, time_s)] = fired(gate, speech)  # refractory 2 s: speech of about a second fires once
    assert 3.0 <= time_s <= end


def test_a_classifier_scores_the_latest_window_every_hop(tiny_model: Path) -> None:
    backend = TorchBackend(inspect_folder(tiny_model), "cpu")
    detector = ClassifierDetector(backend, hop_frames=2)
    assert "speech" in detector.words and len(detector.words) == len(backend.labels)
    rng = np.random.default_rng(0)
    frames = [rng.integers(-3000, 3000, FRAME_SAMPLES).astype(np.int16) for _ in range(60)]
    window_frames = detector.window // FRAME_SAMPLES
    scores = [detector.predict(frame) for frame in frames]
    assert all(s == dict.fromkeys(detector.words, 0.0) for s in scores[: window_frames - 1])
    last = len(frames) if len(frames) % 2 == 0 else len(frames) - 1  # the last frame that was a hop
    audio = np.concatenate(frames[:last])[-detector.window :].astype(np.float32) / 32768.0

    expected = backend.forward(backend.preprocess(soxr.resample(audio, 16000, backend.sampling_rate)))[0]
    assert np.allclose([scores[-1][w] for w in detector.words], expected, atol=1e-5)
    assert scores[-1] != scores[window_frames + 1]  # the window moves on


def test_keyword_search_stores_hits_resumes_and_filters(examples: Path, tmp_path: Path, capsys) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    speak(calls / "alexa.wav", "alexa", "en-us+m3")
    speak(calls / "lights.wav", "okay, lights on please", "en-us+m3")
    speak(calls / "nothing.wav", OTHER_SPEECH, "en-us+m3")
    broken = bad_corpus(calls / "broken")
    db = tmp_path / "k.db"
    argv = ["tag", "--task", "keywords", "--wake", "alexa", "--keyword-examples", str(examples)]
    argv += ["--db", str(db), "--quiet", str(calls)]
    assert main(argv) == 0
    model = f"keywords:{examples.name}"  # one stored model per examples folder
    with Store(db) as store:
        rows = {Path(r.path).name: r for r in store.results(model, top_k=0)}
        assert [lab.label for lab in rows["alexa.wav"].labels] == ["alexa"]
        assert [lab.label for lab in rows["lights.wav"].labels] == ["lights_on"]
        assert rows["nothing.wav"].status == "tagged" and rows["nothing.wav"].labels == []
        assert {n for n, r in rows.items() if r.status == "error"} == set(broken)
        [(_i, start, end, word, score)] = store.segments(str(calls / "lights.wav"), model)
        assert word == "lights_on" and 0.0 <= start < end and score >= 0.6
    capsys.readouterr()
    assert main(argv) == 0  # a rerun reads nothing again
    assert "Nothing to tag: 7 file(s) unchanged" in capsys.readouterr().err
    assert main(["results", "--db", str(db), "--model", model, "--label", "lights_on"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.startswith(f"{calls / 'lights.wav'}\tlights_on at ")
    without_alexa = [a for a in argv if a not in ("--wake", "alexa")] + ["--wake", "okay_nabu"]
    assert main(without_alexa) == 0  # another word set: the same model, a new version of it
    with Store(db) as store:
        assert [m for m in store.model_names() if m.startswith("keywords:")] == [model]
