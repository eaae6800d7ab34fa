"""The Library page says what to do next, and what a run did, in words that fit what happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.main_window import MainWindow
from tests.audio_factory import chords, write
from tests.gui import tag

pytestmark = pytest.mark.gui


def test_the_hint_follows_the_folders_and_a_run_with_nothing_to_do_says_so(qtbot, window: MainWindow, tmp_path) -> None:
    # The reported hint: "Add a folder, then press Tag." beside a folder already added; "1 / 1 files" for no file.
    page = window.library
    assert page.status.text() == "Add a folder, then press Tag."
    write(tmp_path / "music" / "a.wav", chords(2.0, 16000), 16000)
    page.add_folder(str(tmp_path / "music"))
    assert page.status.text().startswith("Press Tag")
    tag(qtbot, window)
    assert page.bar.text() == "1 / 1 files"
    summary = tag(qtbot, window)  # again: the file is unchanged, nothing is decoded
    assert summary.decoded == 0 and page.bar.text() == "nothing to tag"
    assert page.status.text().startswith("Nothing to tag: 1 file(s) unchanged")


def test_an_empty_folder_is_nothing_to_tag_not_one_file(qtbot, window: MainWindow, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    window.library.add_folder(str(tmp_path / "empty"))
    tag(qtbot, window)
    assert window.library.bar.text() == "nothing to tag"
