"""The training wizard tells the truth, and the Models page lets a user delete what they trained.

Driven offscreen as a person would: typing a path, training on too few files, deleting a model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from core.models.catalog import DEFAULT_MODEL  # noqa: E402
from core.paths import models_dir  # noqa: E402
from desktop_app.main_window import MainWindow  # noqa: E402
from tests.audio_factory import labelled_folder  # noqa: E402
from tests.tiny_models import tiny_wav2vec2  # noqa: E402

pytestmark = pytest.mark.gui


def test_a_typed_path_opens_next_without_enter(qtbot, window: MainWindow, tmp_path: Path) -> None:
    folder = labelled_folder(tmp_path / "typed")
    window.nav.setCurrentRow(window.PAGES.index("Train"))
    page = window.train.folder_page
    qtbot.keyClicks(page.path, str(tmp_path / "nowhere"))
    qtbot.wait(700)
    assert not page.isComplete() and "Not a folder" in page.message.text()
    page.path.clear()
    qtbot.keyClicks(page.path, str(folder))  # no Enter, no focus change
    qtbot.waitUntil(page.isComplete, timeout=60_000)
    assert "12 audio files in 2 labels" in page.message.text()
    qtbot.keyClicks(page.path, "x")  # the path is changed again: what was read no longer counts
    assert not page.isComplete()


def test_a_model_from_ten_files_is_not_made_active_and_the_bar_ends_full(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    """The reported case: 2 labels x 5 files. Training stops early at epoch 2 of 10 (a learning rate too
    small to change anything), so the bar must still end full; the results warn; "make active" stays unticked."""
    folder = labelled_folder(tmp_path / "ten", per_label=5)
    window.nav.setCurrentRow(window.PAGES.index("Train"))
    wizard = window.train
    wizard.folder_page.read(folder)
    qtbot.waitUntil(wizard.folder_page.isComplete, timeout=60_000)
    wizard.next()
    wizard.next()
    settings = wizard.settings_page
    settings.set_base_folder(tiny_wav2vec2(tmp_path / "w2v"))
    settings.name.setText("ten")
    settings.epochs.setValue(10)
    settings.batch.setValue(4)
    settings.patience.setValue(1)
    settings.rate.setText("1e-12")
    settings.augment.setChecked(False)
    wizard.next()
    training = wizard.training_page
    qtbot.waitUntil(training.isComplete, timeout=120_000)
    assert "Stopped early" in training.status.text()
    assert training.bar.value() == training.bar.maximum() > 0

    wizard.next()
    results = wizard.results_page
    assert "95 % confidence interval" in results.headline.text()
    assert "Only 2 validation files" in results.warnings.text() and not results.warnings.isHidden()

    wizard.next()
    finish = wizard.finish_page
    assert not finish.activate.isChecked() and "better than guessing" in finish.caution.text()
    with qtbot.waitSignal(wizard.model_ready) as ready:
        wizard.button(wizard.WizardButton.FinishButton).click()
    assert ready.args == ["ten", False] and window.settings.model != "ten"


def test_the_models_page_deletes_a_trained_model_after_asking(
    qtbot, window: MainWindow, tiny_model: Path, monkeypatch
) -> None:
    shutil.copytree(tiny_model, models_dir() / "mine")
    page = window.models
    page.reload()
    window.listen.refresh_models()
    listed = window.listen.model
    assert listed.findData("mine") >= 0
    rows = {page.table.item(row, 0).text().split("  ")[0]: row for row in range(page.table.rowCount())}
    page.table.selectRow(rows[DEFAULT_MODEL])
    assert not page.delete_button.isEnabled()  # built-ins stay
    page.table.selectRow(rows["mine"])
    page._use_selected()
    assert window.settings.model == "mine"
    rows = {page.table.item(row, 0).text().split("  ")[0]: row for row in range(page.table.rowCount())}
    page.table.selectRow(rows["mine"])
    assert page.delete_button.isEnabled()

    asked: list[str] = []
    answer = QMessageBox.StandardButton.No

    def question(_parent, _title, text, *_args):
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    page.delete_button.click()
    assert (models_dir() / "mine").is_dir()  # "No" keeps it
    answer = QMessageBox.StandardButton.Yes
    page.delete_button.click()
    assert "It is the active model" in asked[-1]
    assert not (models_dir() / "mine").exists()
    assert listed.findData("mine") == -1  # the Listen page no longer offers it
    assert window.settings.model == DEFAULT_MODEL and page.active == DEFAULT_MODEL
    assert "mine" not in [page.table.item(row, 0).text() for row in range(page.table.rowCount())]
