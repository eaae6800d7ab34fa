"""The Results page and the window around it, as a user meets them: an empty timeline, tooltips, bars per
group, the Label list, playback without a sound device, a narrow screen, settings per data directory, the
write button for a model without genres, and the menus."""

from __future__ import annotations

import csv
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QHelpEvent, QImage  # noqa: E402
from PySide6.QtMultimedia import QMediaDevices, QMediaPlayer  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel, QToolTip  # noqa: E402

from core.audio import AudioInfo  # noqa: E402
from core.models.catalog import DEFAULT_MODEL  # noqa: E402
from core.records import FileStat, FileTags, LabelScore, SegmentTags  # noqa: E402
from core.store import Store  # noqa: E402
from desktop_app.main_window import MainWindow  # noqa: E402
from tests.audio_factory import chords, write  # noqa: E402
from tests.tiny_models import TINY_LABELS  # noqa: E402

pytestmark = pytest.mark.gui

GROUPS = {"genre": TINY_LABELS[:5], "mood": TINY_LABELS[5:7], "content": ["speech"]}
SCORES = {"jazz": 0.62, "rock": 0.31, "pop": 0.2, "classical": 0.1, "electronic": 0.05,
          "calm": 0.05, "loud": 0.02, "speech": 0.01}  # fmt: skip
SEGMENTS = [(0.0, 30.0, "jazz"), (30.0, 60.0, "jazz"), (60.0, 90.0, "rock"), (90.0, 120.0, "classical")]


def save_file(store: Store, model: str, path: Path, groups: dict[str, list[str]], scores: dict[str, float]) -> None:
    """A tagged file in the store as a run leaves it: its labels best first and a 2-minute timeline."""
    model_id = store.register_model(model, "1", path.parent, list(scores), groups, None)
    run = store.start_run(model_id, [str(path.parent)])
    ranked = [LabelScore(label, score) for label, score in sorted(scores.items(), key=lambda item: -item[1])]
    segments = [SegmentTags(i, start, end, [LabelScore(top, 0.6), LabelScore("pop", 0.1)])
                for i, (start, end, top) in enumerate(SEGMENTS)]  # fmt: skip
    stat = FileStat(path, path.stat().st_size, path.stat().st_mtime)
    store.save_tags(run, model_id, model, FileTags(stat, AudioInfo(16000, 1, 120.0, "pcm"), 120.0, ranked, segments))


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """Two real files, tagged in the store by "tiny" (with genres) and one by "calls-intent" (without)."""
    folder = tmp_path / "music"
    for i in range(2):
        write(folder / f"song{i}.wav", chords(2.0, 16000, seed=i), 16000)
    with Store(tmp_path / "results.db") as store:
        for i in range(2):
            save_file(store, "tiny", folder / f"song{i}.wav", GROUPS, SCORES)
        save_file(store, "calls-intent", folder / "song0.wav", {"intent": ["technical", "billing"]},
                  {"technical": 0.7, "billing": 0.2})  # fmt: skip
    return folder


def settings_file(tmp_path: Path, model: str) -> QSettings:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("db_path", str(tmp_path / "results.db"))
    settings.setValue("model", model)
    return settings


@pytest.fixture
def window(qtbot, tmp_path: Path, library: Path, tiny_model: Path) -> MainWindow:
    win = MainWindow(settings_file(tmp_path, str(tiny_model)))
    qtbot.addWidget(win)
    win.show()
    win.results.model_box.setCurrentText("tiny")
    win.results.group_box.setCurrentText("All")
    win.results.apply_filters()
    return win


def select_first(win: MainWindow) -> None:
    win.nav.setCurrentRow(win.PAGES.index("Results"))
    win.results.table.selectRow(0)


# --- 1. the timeline with nothing to show ----------------------------------------------------------------


def test_results_with_nothing_selected_paint_an_empty_timeline(qtbot, window: MainWindow) -> None:
    window.nav.setCurrentRow(window.PAGES.index("Results"))
    timeline = window.results.detail.timeline
    assert not window.results.table.selectionModel().hasSelection()
    timeline.resize(640, 50)
    timeline.set_position(5.0)  # a player position left from an earlier file, over a timeline of no length
    image = timeline.grab().toImage()  # paints: an exception here fails the test (pytest-qt captures it)
    assert not image.isNull() and not timeline.has_timeline()
    select_first(window)
    timeline.set_segments([], 0.0)
    timeline.grab()


def test_closing_the_window_with_a_query_still_waiting_is_quiet(qtbot, window: MainWindow) -> None:
    # The suite's teardown error, and a user's: the query box's debounce fired after the database closed.
    window.results.search.setText("genre:jazz")  # runs 250 ms later
    window.close()
    qtbot.wait(400)  # an exception in the delayed query fails the test (pytest-qt captures it)
    assert window.results.store is None


def test_the_detail_never_shows_another_models_labels(qtbot, window: MainWindow) -> None:
    # After switching the model (or a re-run), the pane kept the labels of the model shown before.
    select_first(window)
    pane = window.results.detail
    assert pane.shown.model == "tiny" and "jazz" in [item.label for item in pane.bars.labels]
    window.results.model_box.setCurrentText("calls-intent")
    shown = [item.label for item in pane.bars.labels]
    assert "jazz" not in shown
    assert pane.shown is None or (pane.shown.model == "calls-intent" and shown[0] == "technical")


def test_a_painting_that_fails_still_ends_its_painter() -> None:
    from desktop_app.widgets.painting import painting

    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    with pytest.raises(ZeroDivisionError), painting(image) as painter:
        _ = 1 / 0
    assert not painter.isActive()  # else every later repaint logs "endPaint() called with active painter"


# --- 2. the timeline names its segments --------------------------------------------------------------------


def test_timeline_segments_have_tooltips_and_names_elided_not_cut(qtbot, window: MainWindow) -> None:
    select_first(window)
    timeline = window.results.detail.timeline
    timeline.resize(400, 50)
    tip = timeline.tooltip_at(10)
    assert tip == "jazz 0.60, pop 0.10\n0:00–0:30"
    assert "classical 0.60" in timeline.tooltip_at(399) and "1:30–2:00" in timeline.tooltip_at(399)
    event = QHelpEvent(QHelpEvent.Type.ToolTip, QPoint(250, 10), timeline.mapToGlobal(QPoint(250, 10)))
    QApplication.sendEvent(timeline, event)
    assert QToolTip.text() == "rock 0.60, pop 0.10\n1:00–1:30"

    assert [text for _, text, _ in timeline.names()] == ["jazz", "rock", "classical"]  # jazz named once, not twice
    timeline.resize(150, 50)  # "classical" in 37 px: elided with "…", never cut to "cla"
    for _rect, text, label in timeline.names():
        assert text == label or (text.endswith("…") and label.startswith(text[:-1]))
    assert any(text.endswith("…") for _, text, _ in timeline.names())
    timeline.grab()


# --- 3. bars per group, every bar at its score ----------------------------------------------------------------


def test_detail_bars_group_the_labels_and_draw_each_at_its_score(qtbot, window: MainWindow) -> None:
    # A group scaled to its own best drew a 0.01 "speech" full width, as sure-looking as a 0.62 genre.
    select_first(window)
    rows = window.results.detail.bars.rows
    assert [row.group for row in rows if not row.label] == ["genre", "mood", "content"]
    drawn = {row.label: row.fraction for row in rows if row.label}
    assert drawn["jazz"] == 0.62 and drawn["calm"] == 0.05 and drawn["speech"] == 0.01 and drawn["loud"] == 0.02
    window.results.detail.bars.grab()


# --- 4. the Label list follows the Group ---------------------------------------------------------------------


def test_the_label_list_follows_the_group(qtbot, window: MainWindow) -> None:
    results = window.results

    def listed() -> list[str]:
        return [results.label_box.itemText(i) for i in range(results.label_box.count())]

    results.group_box.setCurrentText("mood")
    assert listed() == ["All", "calm", "loud"]
    results.label_box.setCurrentText("loud")
    results.group_box.setCurrentText("genre")
    assert listed() == ["All", "classical", "electronic", "jazz", "pop", "rock"]
    assert results.label_box.currentText() == "All"  # "loud" is no genre
    results.group_box.setCurrentText("All")
    assert len(listed()) == 1 + len(TINY_LABELS)


# --- 5. playing without a sound device -----------------------------------------------------------------------


def test_play_without_a_sound_output_device_says_so_and_does_not_pretend(qtbot, window, monkeypatch) -> None:
    monkeypatch.setattr(QMediaDevices, "audioOutputs", staticmethod(lambda: []))
    select_first(window)
    player = window.results.detail.player
    player.toggle()
    qtbot.wait(300)
    shown = [label.text() for label in window.results.detail.findChildren(QLabel) if label.isVisible()]
    assert any("No sound output device: cannot play" in text for text in shown)
    assert player.player.playbackState() != QMediaPlayer.PlaybackState.PlayingState
    assert player.slider.value() == 0


# --- 6. a long model name on a small screen ------------------------------------------------------------------


def test_long_model_names_and_paths_never_push_the_window_past_the_screen(qtbot, tmp_path, library, tiny_model):
    long_name = tmp_path / ("a-model-with-a-rather-long-name-" * 6)
    long_name.symlink_to(tiny_model, target_is_directory=True)
    deep = library / ("a-folder-named-at-great-length-" * 7)
    deep.mkdir()
    write(deep / "song.wav", chords(1.0, 16000), 16000)
    with Store(tmp_path / "results.db") as store:
        save_file(store, "keywords:" + ",".join(["okay_nabu", "hey_jarvis", "hey_mycroft"] * 8), deep / "song.wav",
                  {"keywords": ["okay_nabu"]}, {"okay_nabu": 0.9})  # fmt: skip
    win = MainWindow(settings_file(tmp_path, str(long_name)))
    qtbot.addWidget(win)
    win.show()
    free = win.screen().availableGeometry()
    keywords = win.results.model_box.findText("keywords:", flags=Qt.MatchFlag.MatchStartsWith)
    win.results.model_box.setCurrentIndex(keywords)
    select_first(win)
    qtbot.wait(50)
    assert win.results.detail.title.text() == "song.wav"
    assert win.minimumSizeHint().width() <= free.width() and win.minimumSize().width() <= free.width()
    assert win.frameGeometry().width() <= free.width() and win.frameGeometry().height() <= free.height()
    assert str(long_name) in win.status_label.toolTip()  # the whole name is a hover away


# --- 7. settings under the data directory ----------------------------------------------------------------------


def test_settings_live_in_the_data_directory_so_earmark_home_isolates_them(qtbot, tmp_path, monkeypatch) -> None:
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    first, second = tmp_path / "home1", tmp_path / "home2"
    monkeypatch.setenv("EARMARK_HOME", str(first))
    win = MainWindow()
    qtbot.addWidget(win)
    assert win.settings.db == first / "earmark.db"
    win.library.add_folder(str(tmp_path))
    win.close()
    assert (first / "settings.ini").is_file()
    monkeypatch.setenv("EARMARK_HOME", str(second))
    other = MainWindow()
    qtbot.addWidget(other)
    assert other.library.folder_list() == [] and other.settings.db == second / "earmark.db"


def test_settings_kept_in_the_old_place_are_taken_over_by_the_default_home(tmp_path, monkeypatch) -> None:
    from desktop_app.settings import AppSettings, open_settings

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "config"))
    legacy = QSettings("Earmark", "Earmark")
    legacy.setValue("folders", ["/music/mine"])
    legacy.sync()
    monkeypatch.delenv("EARMARK_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    settings = open_settings()
    assert Path(settings.fileName()) == tmp_path / "data" / "earmark" / "settings.ini"
    assert AppSettings.load(settings).folders == ["/music/mine"]


def test_a_saved_model_that_is_gone_falls_back_to_the_default(qtbot, tmp_path: Path) -> None:
    win = MainWindow(settings_file(tmp_path, "calls-intent"))
    qtbot.addWidget(win)
    assert win.settings.model == DEFAULT_MODEL
    assert "calls-intent" in win.statusBar().currentMessage() and DEFAULT_MODEL in win.statusBar().currentMessage()


# --- 8. no genre writing for a model without genres ------------------------------------------------------------


def test_write_genres_is_offered_only_for_a_model_with_a_genre_group(qtbot, window: MainWindow) -> None:
    results = window.results
    assert results.write_button.isEnabled()
    results.model_box.setCurrentText("calls-intent")
    assert not results.write_button.isEnabled() and "no genre" in results.write_button.toolTip()
    select_first(window)
    write = next(a for a in window.menus.row_menu().actions() if a.text() == "Write tags…")
    assert not write.isEnabled()
    tools = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Tools")
    tools.aboutToShow.emit()
    assert not window.menus.write.isEnabled()


# --- 9. menus --------------------------------------------------------------------------------------------------


def test_the_menu_bar_has_file_edit_tools_and_help(window: MainWindow) -> None:
    menus = {action.text().replace("&", ""): action.menu() for action in window.menuBar().actions()}
    assert list(menus) == ["File", "Edit", "Tools", "Help"]
    items = [a.text().replace("&", "") for a in menus["File"].actions() if a.text()]
    assert items == ["Add folder…", "Export results…", "Quit"]
    assert "About Earmark" in [a.text().replace("&", "") for a in menus["Help"].actions()]


def test_row_menu_opens_the_folder_copies_paths_and_writes_tags(qtbot, window, library, monkeypatch) -> None:
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    written: list[int] = []
    monkeypatch.setattr(window.results, "write_genres", lambda: written.append(1))
    window.show_page("Results")
    window.results.table.selectAll()
    actions = {a.text(): a for a in window.menus.row_menu().actions() if a.text()}
    assert list(actions) == ["Open containing folder", "Copy 2 paths", f"Re-tag with {window.settings.model}",
                             "Write tags…"]  # fmt: skip
    actions["Open containing folder"].trigger()
    assert opened == [str(library)]  # both files are in it: opened once
    actions["Copy 2 paths"].trigger()
    assert QGuiApplication.clipboard().text().split("\n") == [str(library / "song0.wav"), str(library / "song1.wav")]
    actions["Write tags…"].trigger()
    assert written == [1]


def test_re_tag_runs_the_selected_files_again_though_unchanged(qtbot, window: MainWindow) -> None:
    window.show_page("Results")
    window.results.table.selectRow(1)
    retag = next(a for a in window.menus.row_menu().actions() if a.text().startswith("Re-tag"))
    with qtbot.waitSignal(window.run_ended, timeout=120_000) as ended:
        retag.trigger()
    summary = ended.args[0]
    assert (summary.tagged, summary.skipped) == (1, 0)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_results_saves_what_the_view_shows_as_the_cli_prints_it(qtbot, window, tmp_path, monkeypatch, fmt):
    from PySide6.QtWidgets import QFileDialog

    from core.cli import main

    target = tmp_path / f"out.{fmt}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *args: (str(target), "")))
    window.results.group_box.setCurrentText("genre")
    window.results.apply_filters()
    window.menus.export_results()
    printed = io.StringIO()
    with redirect_stdout(printed):
        main(["results", "--db", str(tmp_path / "results.db"), "--model", "tiny", "--group", "genre", "--top-k", "3",
              "--format", fmt])  # fmt: skip
    saved = target.read_bytes().decode("utf-8")  # as written: CSV's \r\n line ends too
    assert saved == printed.getvalue()
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(saved)))
        assert [Path(row["path"]).name for row in rows] == ["song0.wav", "song1.wav"]
        assert rows[0]["labels"] == "jazz=0.6200; rock=0.3100; pop=0.2000"
    else:
        assert len(json.loads(saved)) == 2
    assert "Exported 2 file(s)" in window.statusBar().currentMessage()


def test_a_guessed_top_genre_and_no_music_say_so_in_the_table(qtbot, tmp_path: Path, tiny_model: Path) -> None:
    folder = tmp_path / "music"
    for name in ("guess.wav", "silence.wav"):
        write(folder / name, chords(2.0, 16000), 16000)
    groups = {group: [*labels, "no music"] for group, labels in GROUPS.items()}  # as a guarded tagger's groups
    with Store(tmp_path / "results.db") as store:
        save_file(store, "tiny", folder / "guess.wav", groups, {"jazz": 0.12, "calm": 0.5})
        save_file(store, "tiny", folder / "silence.wav", groups, {"no music": 1.0})
    win = MainWindow(settings_file(tmp_path, str(tiny_model)))
    qtbot.addWidget(win)
    win.results.model_box.setCurrentText("tiny")
    win.results.group_box.setCurrentText("genre")
    win.results.apply_filters()
    from desktop_app.widgets.results_model import LABELS_COLUMN

    shown = {win.results.model.row(i).path: win.results.model.data(win.results.model.index(i, LABELS_COLUMN))
             for i in range(win.results.model.rowCount())}  # fmt: skip
    assert shown[str(folder / "guess.wav")] == "jazz 0.12 (low confidence)"
    assert shown[str(folder / "silence.wav")] == "no music"
