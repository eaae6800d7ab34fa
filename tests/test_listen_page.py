"""The Listen page's own keywords (format on the page, a slider each, the disagreeing-example warning) and
voice enrolment, offscreen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel  # noqa: E402

from core.listen.catalog import spotter_for  # noqa: E402
from core.listen.verifier import enrolled  # noqa: E402
from desktop_app.pages.listen import ListenPage  # noqa: E402
from tests.audio_factory import keyword_examples, speak  # noqa: E402

pytestmark = [
    pytest.mark.gui,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`"),
]


@pytest.fixture
def page(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ListenPage:
    monkeypatch.setenv("EARMARK_HOME", str(tmp_path / "home"))  # enrolled voices stay in the test
    widget = ListenPage(tmp_path / "listen.db")
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def test_the_examples_format_is_on_the_page_and_each_keyword_has_a_slider(page: ListenPage, tmp_path: Path) -> None:
    said = [label.text() for label in page.findChildren(QLabel)]
    assert any("one sub-folder per keyword" in text and "lights_on/anna.wav" in text for text in said)
    page.use_examples(keyword_examples(tmp_path / "examples"))
    assert list(page.keywords.sliders) == ["lights_on", "play_music"]
    page.keywords.sliders["lights_on"].setValue(72)
    choice = page.choice()
    assert choice.thresholds[("examples", "lights_on")] == 0.72
    spotter = spotter_for(choice)
    assert spotter.thresholds["lights_on"] == 0.72 and spotter.thresholds["play_music"] == 0.6


def test_the_examples_format_is_read_whole_in_a_short_window_and_the_meter_starts_silent(qtbot, page) -> None:
    # The screenshot showed the format cut off mid-line, and a full meter reading "-1 dBFS" before any sound.
    page.resize(1180, 700)
    page.show()
    qtbot.waitExposed(page)
    explain = next(label for label in page.findChildren(QLabel) if "one sub-folder per keyword" in label.text())
    assert explain.height() >= explain.heightForWidth(explain.width())
    assert page.level.value() == -60 and page.level.text() == "-60 dBFS"


def test_an_example_unlike_the_others_is_warned_about_as_the_folder_changes(qtbot, page: ListenPage, tmp_path):
    folder = keyword_examples(tmp_path / "examples")
    page.use_examples(folder)
    qtbot.waitUntil(lambda: page.keywords.worker is None, timeout=30_000)
    assert page.keywords.warning.text() == ""  # three voices saying the same words agree
    speak(tmp_path / "misfiled.wav", "play music", "en-us+m3", pad_s=0.3)
    shutil.copy(tmp_path / "misfiled.wav", folder / "lights_on" / "misfiled.wav")  # no click: the folder is watched
    qtbot.waitUntil(lambda: "misfiled.wav" in page.keywords.warning.text(), timeout=30_000)
    assert "sounds more like play_music" in page.keywords.warning.text()
    (folder / "lights_on" / "misfiled.wav").unlink()
    qtbot.waitUntil(lambda: page.keywords.warning.text() == "", timeout=30_000)


def test_turning_earmark_tuning_off_gives_the_models_own_thresholds(page: ListenPage) -> None:
    assert page.choice().spec.tuning == "earmark"
    page.tuning.setChecked(False)
    assert page.choice().spec.tuning == "model"
    assert page.choice().thresholds[("microwakeword", "hey_jarvis")] == 0.97  # the wheel's own cut-off


@pytest.mark.slow
def test_enrol_my_voice_from_recordings_then_forget_it(qtbot, page: ListenPage, tmp_path: Path) -> None:
    page.open_enrolment()
    dialog = page.enrolment
    assert not dialog.record_button.isEnabled() or page.source.count()  # no microphone: recordings only
    dialog.word.setCurrentText("hey_jarvis")
    takes = [speak(tmp_path / f"t{s}.wav", "hey jarvis", "en-gb-x-rp", pad_s=0.3, speed=s)[0] for s in (140, 160, 180)]
    dialog.start(takes)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=120_000)
    assert dialog.status.text().startswith("Enrolled hey_jarvis from 3 recordings"), dialog.status.text()
    assert list(enrolled()) == ["hey_jarvis"] and dialog.forget_button.isEnabled()
    dialog.forget()
    assert enrolled() == {} and "Forgot" in dialog.status.text()


def test_the_choose_an_input_hint_goes_once_a_recording_is_chosen(page: ListenPage, tmp_path: Path) -> None:
    for check in page.checks.values():
        check.setChecked(False)
    page.start()  # nothing chosen: the hint
    assert page.message.text().startswith("Choose an input")
    page.use_recording(str(tmp_path / "call.wav"))
    assert page.message.text() == ""  # answered: it no longer stays under the chosen recording
