"""The desktop window, driven offscreen as a person would: add a folder, tag, filter, cancel."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QModelIndex, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QGroupBox  # noqa: E402

from desktop_app.main_window import MainWindow  # noqa: E402
from tests.audio_factory import bad_corpus, chords, keyword_examples, speak, tone, write  # noqa: E402
from tests.gui import tag  # noqa: E402

pytestmark = pytest.mark.gui


def library(root: Path, count: int, seconds: float = 2.0) -> Path:
    for i in range(count):
        write(root / f"song{i:03d}.wav", chords(seconds, 16000, seed=i), 16000)
    return root


def start_and_wait_for_progress(qtbot, win: MainWindow) -> None:
    win.library.tag_button.click()
    qtbot.waitUntil(lambda: win.library.bar.value() >= 1, timeout=60_000)


def test_add_a_folder_tag_it_and_filter_the_results(qtbot, window: MainWindow, tmp_path: Path) -> None:
    folder = library(tmp_path / "music", 6)
    bad_corpus(folder / "broken")
    window.library.add_folder(str(folder))
    summary = tag(qtbot, window)
    assert (summary.tagged, summary.failed) == (6, 4)
    assert window.library.errors.topLevelItemCount() == 4
    assert "Done: 6 tagged, 4 failed" in window.library.status.text()

    results = window.results
    results.group_box.setCurrentText("All")
    results.apply_filters()
    assert results.model.rowCount() == 10
    tagged_rows = [results.model.row(i) for i in range(10) if results.model.row(i).status == "tagged"]
    assert len(tagged_rows) == 6 and all(len(row.labels) == 3 for row in tagged_rows)

    results.status_box.setCurrentText("error")
    results.apply_filters()
    assert results.model.rowCount() == 4

    results.status_box.setCurrentText("All")
    results.search.setText("song00")
    results.apply_filters()
    assert [Path(results.model.row(i).path).name for i in range(results.model.rowCount())][:3] == [
        "song000.wav", "song001.wav", "song002.wav"
    ]  # fmt: skip

    results.search.setText("")
    top = tagged_rows[0].labels[0].label
    results.label_box.setCurrentText(top)
    results.apply_filters()
    shown = [results.model.row(i) for i in range(results.model.rowCount())]
    assert shown and all(top in {item.label for item in row.labels} for row in shown)

    results.table.selectRow(0)
    assert results.detail.title.text() == Path(shown[0].path).name
    assert len(results.detail.bars.labels) == 8
    assert results.detail.timeline.segments


def test_cancel_keeps_committed_files_and_tag_resumes(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.library.add_folder(str(library(tmp_path / "music", 40, seconds=3.0)))
    start_and_wait_for_progress(qtbot, window)
    with qtbot.waitSignal(window.run_ended, timeout=60_000) as ended:
        window.library.cancel_button.click()
    first = ended.args[0]
    assert first.interrupted and 1 <= first.tagged < 40
    assert "Stopped" in window.library.status.text()
    second = tag(qtbot, window)
    assert second.skipped == first.tagged and second.tagged == 40 - first.tagged


def test_the_event_loop_never_stalls_during_a_200_file_run(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.library.add_folder(str(library(tmp_path / "music", 200, seconds=1.5)))
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer(interval=10, timeout=beat)
    heartbeat.start()
    summary = tag(qtbot, window, timeout=300_000)
    heartbeat.stop()
    assert summary.tagged == 200
    print(f"longest event-loop stall during the run: {max(gaps) * 1000:.1f} ms over {len(gaps)} beats")
    assert len(gaps) > 50
    assert max(gaps) < 0.100, f"longest stall {max(gaps) * 1000:.0f} ms"
    window.results.refresh_rows()
    assert window.results.model.total == 200


def test_closing_during_a_run_stops_it_and_keeps_what_was_committed(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.library.add_folder(str(library(tmp_path / "music", 40, seconds=3.0)))
    start_and_wait_for_progress(qtbot, window)
    window.close()
    assert window.thread is None or window.thread.isFinished()
    with sqlite3.connect(tmp_path / "gui.db") as conn:
        kept = conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
        statuses = [row[0] for row in conn.execute("SELECT status FROM runs")]
    assert 1 <= kept < 40 and statuses == ["interrupted"]


def test_problems_are_messages_in_the_window(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.library.add_folder(str(tmp_path / "vanished"))
    window.library.tag_button.click()
    assert "no longer exists" in window.library.status.text()
    assert window.worker is None

    window.library.add_folder(str(library(tmp_path / "music", 1)))
    window.settings.model = str(tmp_path / "not-a-model")
    reason = tag(qtbot, window)
    assert isinstance(reason, str) and "no model" in reason
    assert "Could not tag" in window.library.status.text()
    assert window.library.tag_button.isEnabled()


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is installed by `make test`")
def test_the_app_starts_on_a_virtual_screen_and_quits(tmp_path: Path) -> None:
    """What `make run` does on a machine without a screen: a real xcb window under Xvfb."""
    env = {**os.environ, "EARMARK_HOME": str(tmp_path), "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("QT_QPA_PLATFORM", None)
    result = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-m", "desktop_app", "--quit-after", "3000"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "could not be initialized" not in result.stderr
    version = subprocess.run([sys.executable, "-m", "desktop_app", "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("earmark-desktop ")


def test_an_unusable_database_is_a_message_and_the_window_still_works(qtbot, tmp_path: Path, tiny_model: Path) -> None:
    garbage = tmp_path / "not-a.db"
    garbage.write_bytes(b"definitely not sqlite" * 200)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("db_path", str(garbage))
    settings.setValue("model", str(tiny_model))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    assert win.store is None
    assert "cannot open database" in win.library.status.text() and "Settings" in win.library.status.text()
    win.library.add_folder(str(library(tmp_path / "music", 2)))
    reason = tag(qtbot, win)
    assert isinstance(reason, str) and "cannot open database" in reason
    # pointing Settings at a good database brings everything back
    win.settings_page.db.setText(str(tmp_path / "good.db"))
    win.settings_page.db.editingFinished.emit()
    assert win.store is not None
    assert tag(qtbot, win).tagged == 2
    assert win.results.model.total == 2


def test_the_results_table_reads_100000_files_lazily(qtbot, tmp_path: Path) -> None:
    from core.records import ResultQuery
    from core.store import Store
    from desktop_app.widgets.results_model import LABELS_COLUMN, PAGE, ResultsModel

    def ranked(i: int) -> list[tuple[int, int, str, float]]:
        scores = sorted([("a", (i % 1000) / 1000), ("b", 0.5)], key=lambda item: -item[1])
        return [(i, rank, label, score) for rank, (label, score) in enumerate(scores, 1)]

    with Store(tmp_path / "big.db") as store:
        store.register_model("m", "v", tmp_path, ["a", "b"], {}, None)
        conn = store.db.conn
        ids = range(1, 100_001)
        with conn:
            conn.executemany(
                "INSERT INTO files (id, path, duration_s) VALUES (?, ?, ?)",
                ((i, f"/music/{i:06d}.mp3", 30.0 + i % 7) for i in ids),
            )
            conn.executemany(
                "INSERT INTO analyses (id, file_id, model_id, model_name, status, analysed_at)"
                " VALUES (?, ?, 1, 'm', 'tagged', 0)",
                ((i, i) for i in ids),
            )
            conn.executemany("INSERT INTO labels VALUES (?, ?, ?, ?)", (row for i in ids for row in ranked(i)))
        model = ResultsModel(store, ResultQuery(model="m"))
        model.refresh()
        assert model.total == 100_000 and model.rowCount() == PAGE  # one page read, not 100,000 rows
        assert model.canFetchMore(QModelIndex())
        model.fetchMore(QModelIndex())
        assert model.rowCount() == 2 * PAGE
        model.sort(LABELS_COLUMN, Qt.SortOrder.DescendingOrder)  # by best score, in SQL
        assert model.rowCount() == PAGE and model.row(0).labels[0].score == pytest.approx(0.999)
        model.set_query(ResultQuery(model="m", text="099999"))
        assert model.total == 1 and model.row(0).path == "/music/099999.mp3"


def test_settings_and_folders_persist_across_launches(qtbot, window: MainWindow, tmp_path: Path) -> None:
    window.library.add_folder(str(tmp_path))
    window.settings_page.threshold.setValue(0.4)
    window.settings_page.backend.setCurrentText("torch")
    window.settings_page.threads.setValue(1)
    window.close()
    again = MainWindow(window.qsettings)
    qtbot.addWidget(again)
    assert again.settings.genre_threshold == pytest.approx(0.4)
    assert (again.settings.backend, again.settings.threads) == ("torch", 1)
    assert again.library.folder_list() == [str(tmp_path)]
    assert again.results.genre_threshold == pytest.approx(0.4)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")
def test_listen_page_spots_a_wake_word_in_a_recording(qtbot, window: MainWindow, tmp_path: Path) -> None:
    page = window.listen
    window.nav.setCurrentRow(3)
    if not page.source.count():
        assert "No microphone found" in page.message.text()  # said in the page, not a crash
    path, _ = speak(tmp_path / "memo.wav", "okay nabu")
    page.use_recording(str(path))
    page.start()
    qtbot.waitUntil(lambda: page.worker is None, timeout=30_000)
    assert page.log.topLevelItemCount() == 1 and page.log.topLevelItem(0).text(1) == "okay_nabu"
    assert any(page.trace.history.values())
    assert "1 detection(s)" in page.message.text()
    with sqlite3.connect(tmp_path / "gui.db") as conn:
        assert conn.execute("SELECT word FROM detections").fetchall() == [("okay_nabu",)]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")
def test_listen_page_runs_opt_in_models_and_keywords_from_examples(qtbot, window: MainWindow, tmp_path: Path) -> None:
    page = window.listen
    assert page.checks[("openwakeword", "alexa")].isChecked() is False  # non-commercial: never on by default
    assert "NON-COMMERCIAL" in page.findChildren(QGroupBox)[1].title()
    for key, check in page.checks.items():
        check.setChecked(key == ("openwakeword", "alexa"))
    page.use_examples(keyword_examples(tmp_path / "examples"))
    page.vad.setChecked(True)
    alexa, _ = speak(tmp_path / "a.wav", "alexa", "en-us+m3")
    lights, _ = speak(tmp_path / "l.wav", "okay, lights on please", "en-us+m3")
    both = tmp_path / "both.wav"
    write(both, np.concatenate([sf.read(str(alexa), dtype="float32")[0], sf.read(str(lights), dtype="float32")[0]]),
          sf.info(str(alexa)).samplerate)  # fmt: skip
    page.use_recording(str(both))
    page.start()
    qtbot.waitUntil(lambda: page.worker is None, timeout=60_000)
    heard = sorted(page.log.topLevelItem(i).text(1) for i in range(page.log.topLevelItemCount()))
    assert heard == ["alexa", "lights_on"], page.message.text()
    assert set(page.trace.thresholds) == {"alexa", "lights_on", "play_music"}


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")
def test_find_keywords_in_the_library_then_filter_by_word_and_see_the_hit(qtbot, window: MainWindow, tmp_path: Path):
    calls = tmp_path / "calls"
    calls.mkdir()
    _, said_at = speak(calls / "call1.wav", "hello, okay nabu, what time is it", "en-us+m3")
    speak(calls / "call2.wav", "the meeting starts at nine in the morning")
    bad_corpus(calls / "broken")
    window.library.add_folder(str(calls))
    for key, check in window.listen.checks.items():
        check.setChecked(key == ("microwakeword", "okay_nabu"))
    with qtbot.waitSignal(window.run_ended, timeout=120_000) as ended:
        window.library.keywords_button.click()
    assert (ended.args[0].tagged, ended.args[0].failed) == (2, 4)
    assert window.library.status.text().startswith("1 keyword hit(s) in 1 file(s) · Done: 2 tagged")  # how many

    results = window.results
    results.model_box.setCurrentText("keywords:okay_nabu")
    results.label_box.setCurrentText("okay_nabu")
    results.apply_filters()
    assert [Path(results.model.row(i).path).name for i in range(results.model.rowCount())] == ["call1.wav"]
    results.table.selectRow(0)
    [(start, end, [hit])] = results.detail.timeline.segments
    # within the sentence (1.5 s of silence before it), after "hello": clicking it plays from ``start``
    assert hit.label == "okay_nabu" and 1.5 <= start < end < said_at


def test_the_train_wizard_teaches_a_model_and_makes_it_active(qtbot, window: MainWindow, tmp_path: Path) -> None:
    """Folder -> labels -> settings -> training -> results -> finish, as a user clicks through it."""
    from core.models.registry import resolve
    from tests.audio_factory import labelled_folder

    folder = labelled_folder(tmp_path / "my sounds")
    window.nav.setCurrentRow(window.PAGES.index("Train"))
    wizard = window.train
    assert wizard.currentPage() is wizard.folder_page and not wizard.folder_page.isComplete()

    wizard.folder_page.path.setText(str(folder))
    wizard.folder_page.path.editingFinished.emit()
    qtbot.waitUntil(wizard.folder_page.isComplete, timeout=60_000)
    wizard.next()
    classes = wizard.classes_page
    assert [classes.table.item(r, 0).text() for r in range(2)] == ["noise", "tones"]
    assert [classes.table.item(r, 1).text() for r in range(2)] == ["6", "6"]
    assert classes.skipped.count() == 1 and "corrupt.wav" in classes.skipped.item(0).text()

    wizard.next()
    settings = wizard.settings_page
    assert settings.base.currentData() == "whisper-tiny-en"  # 4 s files: more likely speech than songs
    assert not settings.advanced.isVisible()
    settings.set_base_folder(Path(window.settings.model))  # the tiny test model, for speed
    settings.name.setText("sounds")
    settings.epochs.setValue(4)
    settings.toggle.click()
    assert settings.advanced.isVisible()
    settings.batch.setValue(4)
    settings.scope.setCurrentIndex(settings.scope.findText("The whole network"))
    settings.rate.setText("3e-3")
    settings.validation.setValue(0.4)  # 5 validation files, all right: 57-100 %, better than guessing (50 %)

    wizard.next()  # the commit button: "Start training"
    training = wizard.training_page
    assert wizard.currentPage() is training
    qtbot.waitUntil(training.isComplete, timeout=120_000)
    assert training.chart.accuracies and training.log.count() == len(training.chart.accuracies)
    assert "as sounds" in training.status.text()

    wizard.next()
    results = wizard.results_page
    headline = results.headline.text()  # which figure is by file and which by clip (the table's), said plainly
    assert "100.0% of validation files right" in headline and "by clip, as in the table below:" in headline
    assert results.confusion.labels == ["noise", "tones"]
    assert results.per_label.rowCount() == 2

    wizard.next()
    assert wizard.currentPage() is wizard.finish_page and wizard.finish_page.activate.isChecked()
    with qtbot.waitSignal(wizard.model_ready) as ready:
        wizard.button(wizard.WizardButton.FinishButton).click()
    assert ready.args == ["sounds", True]
    assert window.settings.model == "sounds" and resolve("sounds").labels == ["noise", "tones"]
    assert wizard.currentPage() is wizard.folder_page  # ready for the next model

    listen = window.listen  # the new model listens too: "tones" fires, "noise" (background) never does
    for check in listen.checks.values():
        check.setChecked(False)
    listen.model.setCurrentIndex(listen.model.findData("sounds"))
    write(tmp_path / "beep.wav", np.concatenate([np.zeros(32000), tone(6.0, freq=450.0)]).astype(np.float32), 16000)
    listen.use_recording(str(tmp_path / "beep.wav"))
    listen.start()
    qtbot.waitUntil(lambda: listen.worker is None, timeout=30_000)
    assert {listen.log.topLevelItem(i).text(1) for i in range(listen.log.topLevelItemCount())} == {"tones"}


def test_cancelling_training_in_the_wizard_installs_nothing(qtbot, window: MainWindow, tmp_path: Path) -> None:
    from core.paths import models_dir
    from tests.audio_factory import labelled_folder

    folder = labelled_folder(tmp_path / "sounds", seconds=12.0)
    window.nav.setCurrentRow(window.PAGES.index("Train"))
    wizard = window.train
    wizard.folder_page.read(folder)
    qtbot.waitUntil(wizard.folder_page.isComplete, timeout=60_000)
    wizard.next()
    wizard.next()
    wizard.settings_page.set_base_folder(Path(window.settings.model))
    wizard.settings_page.name.setText("cancelled")
    wizard.next()
    training = wizard.training_page
    training.cancel_button.click()  # at once: while it is still reading clips
    qtbot.waitUntil(lambda: training.again.isVisible() and training.thread is None, timeout=60_000)
    assert "nothing was installed" in training.status.text()
    assert not training.isComplete() and not (models_dir() / "cancelled").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")
def test_analyse_calls_then_read_a_transcript_and_play_a_search_hit(qtbot, window: MainWindow, tmp_path: Path) -> None:
    from desktop_app.pages.calls import HIT
    from tests.call_factory import STANDARD, make_call

    folder = tmp_path / "calls"
    for name in ("two_party", "hold", "silent"):
        turns, options = STANDARD[name]
        make_call(folder / f"{name}.wav", turns, **options)
    window.library.add_folder(str(folder))
    with qtbot.waitSignal(window.run_ended, timeout=600_000) as ended:
        window.library.calls_button.click()
    assert (ended.args[0].tagged, ended.args[0].failed) == (3, 0)

    window.nav.setCurrentRow(window.PAGES.index("Calls"))
    page = window.calls
    model = page.model
    rows = {Path(model.row(i).path).stem: i for i in range(model.rowCount())}
    assert sorted(rows) == ["hold", "silent", "two_party"] and "3 call(s)" in page.count.text()

    def cell(name: str, column: str) -> str:
        return model.data(model.index(rows[name], model.columns.index(column)))

    assert [cell(name, "Speakers") for name in ("two_party", "hold", "silent")] == ["2", "2", "—"]
    minutes, seconds = cell("hold", "Hold").split(":")
    assert 18 <= int(minutes) * 60 + int(seconds) <= 22  # 20 s of hold music
    assert cell("two_party", "Hold") == "—" and cell("silent", "Notes") == "no speech"
    assert cell("two_party", "Language") == "en" and cell("silent", "Language") == "—"  # no one spoke: none
    assert cell("two_party", "Talk time").startswith("S1 0:1") and " · S2 0:1" in cell("two_party", "Talk time")

    page.table.selectRow(rows["two_party"])
    lines = page.detail.lines()
    assert len(lines) >= 6 and {speaker for _, speaker, _ in lines} == {"Speaker 1", "Speaker 2"}
    assert lines[0][0] == "0:00" and "customer support" in lines[0][2]
    assert {labels[0].label for _, _, labels in page.detail.timeline.segments} >= {"speaker 1", "speaker 2", "silence"}
    assert "Speaker 1" in page.detail.numbers.text() and "Silence" in page.detail.numbers.text()

    page.table.selectRow(rows["hold"])  # another call is open when the hit is clicked
    page.search.setText("refund")
    qtbot.waitUntil(lambda: page.hits.topLevelItemCount() >= 2)
    hits = [page.hits.topLevelItem(i) for i in range(page.hits.topLevelItemCount())]
    assert {item.text(0) for item in hits} == {"two_party.wav"} and all("<b>refund</b>" in i.text(3) for i in hits)
    item = hits[-1]
    hit = item.data(0, HIT)
    qtbot.mouseClick(page.hits.viewport(), Qt.MouseButton.LeftButton, pos=page.hits.visualItemRect(item).center())
    assert page.detail.path == hit.path and page.table.currentIndex().row() == rows["two_party"]
    assert page.detail.player.requested_s == pytest.approx(hit.start_s)
    assert page.detail.lines()[page.detail.current_line()][2] == hit.text  # the line it plays is highlighted
