"""The write-genres dialog on real files: each file's genre now and after, the owner's mode, ticks, undo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from core.tagwrite import read_tags  # noqa: E402
from desktop_app.main_window import MainWindow  # noqa: E402
from desktop_app.widgets.tag_diff import TagDiffDialog  # noqa: E402
from tests.audio_factory import chords, write  # noqa: E402
from tests.gui import tag  # noqa: E402

pytestmark = pytest.mark.gui
WESNOTH = Path("/usr/share/games/wesnoth/1.16/data/core/music")


def row_of(dialog: TagDiffDialog, name: str) -> int:
    return next(i for i in range(dialog.files.topLevelItemCount()) if dialog.files.topLevelItem(i).text(1) == name)


def test_keep_append_untick_write_then_undo(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    source = WESNOTH / "battle.ogg"
    if not source.exists():
        pytest.skip(f"{source} is missing: `make test` installs wesnoth-1.16-music")
    folder = tmp_path / "music"
    folder.mkdir()
    battle = Path(shutil.copy2(source, folder / "battle.ogg"))  # its maker tagged it "Romantic Classical"
    bare = write(folder / "bare.flac", chords(3.0, 22050), 22050)
    other = write(folder / "other.flac", chords(3.0, 22050, seed=2), 22050)
    window.library.add_folder(str(folder))
    assert tag(qtbot, window).tagged == 3
    page = window.results
    page.genre_threshold = 0.0  # the tiny model's scores are low: take its top genres
    page.apply_filters()
    page.table.selectAll()
    battle_row = next(i for i in range(page.model.rowCount()) if page.model.row(i).path == str(battle))
    page.table.selectionModel().setCurrentIndex(
        page.model.index(battle_row, 0), QItemSelectionModel.SelectionFlag.NoUpdate
    )
    seen: dict[str, object] = {}

    def owner_chooses(dialog: TagDiffDialog) -> int:
        cancel = dialog.buttons.button(dialog.buttons.StandardButton.Cancel)
        seen["enter_writes"] = not cancel.isDefault()
        keep = {dialog.files.topLevelItem(i).text(1): dialog.files.topLevelItem(i).text(3) for i in range(3)}
        seen["keep"] = keep
        dialog.mode.setCurrentIndex(dialog.mode.findData("append"))
        dialog.max_genres.setValue(1)
        seen["append"] = dialog.files.topLevelItem(row_of(dialog, "battle.ogg")).text(3)
        other_item = dialog.files.topLevelItem(row_of(dialog, "other.flac"))
        other_item.setCheckState(0, Qt.CheckState.Unchecked)
        seen["unticked"] = (other_item.text(3), other_item.foreground(3).color().name())  # shown as it stays
        seen["summary"] = dialog.summary.text()
        seen["button"] = dialog.write_button.text()
        seen["analysed"] = all(change.analysed is not None for change in dialog.chosen())  # checked at the write
        return TagDiffDialog.DialogCode.Accepted

    monkeypatch.setattr(TagDiffDialog, "exec", owner_chooses)
    messages: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: messages.append(text))
    page.write_genres()
    qtbot.waitUntil(lambda: bool(messages), timeout=30_000)

    assert seen["enter_writes"] is False  # Cancel is the default: Enter never writes
    assert seen["keep"]["battle.ogg"] == "Romantic Classical"  # keep: the owner's genre stays
    assert seen["keep"]["bare.flac"] != "—"  # ...and a file without one gets ours
    assert seen["append"].startswith("Romantic Classical; ") and seen["append"].count(";") == 1
    assert seen["button"] == "Write 2 file(s)" and seen["analysed"]
    assert seen["unticked"] == ("—", "#808080")  # other.flac has no genre, and keeps none: not a green "after"
    assert seen["summary"].startswith("2 file(s) will be written; 1 left as they are.")
    assert "Wrote genres into 2 file(s)." in messages[0]
    assert "Written: " in messages[0] and "battle.ogg" in messages[0] and "bare.flac" in messages[0]
    genres = read_tags(battle)["genre"]
    assert genres[0] == "Romantic Classical" and len(genres) == 2
    assert len(read_tags(bare)["genre"]) == 1 and "genre" not in read_tags(other)  # unticked: untouched
    shown = [page.detail.tags.itemAt(i).widget() for i in range(page.detail.tags.count())]
    assert any(getattr(label, "text", str)().startswith("Romantic Classical; ") for label in shown)  # pane follows

    messages.clear()
    page.undo_button.click()
    qtbot.waitUntil(lambda: bool(messages), timeout=30_000)
    assert "Restored the genres of 2 file(s)." in messages[0]
    assert read_tags(battle)["genre"] == ["Romantic Classical"] and "genre" not in read_tags(bare)


def test_write_is_not_offered_for_a_model_without_genres(qtbot, window: MainWindow) -> None:
    page = window.results
    page.groups = {"intent": ["technical", "billing"]}
    assert not {"genre"} & set(page.groups)
    page.model_box.clear()
    page._model_changed()
    assert not page.write_button.isEnabled()
