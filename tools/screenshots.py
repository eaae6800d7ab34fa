"""Regenerate the README's screenshots: each page of the window, after tagging a real library.

    python tools/screenshots.py [MUSIC_FOLDER]

Runs offscreen with a private data dir and settings; tags MUSIC_FOLDER (default: the Debian
music packages' recordings, as `make test` installs them) with musicnn-msd, analyses the test
suite's synthetic call recordings, then grabs each page into docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["EARMARK_HOME"] = tempfile.mkdtemp(prefix="earmark-shots-")

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_app.main_window import MainWindow  # noqa: E402
from desktop_app.widgets.tag_diff import TagDiffDialog  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DEFAULT_MUSIC = [Path("/usr/share/games/wesnoth/1.16/data/core/music"), Path("/usr/share/games/asc/music")]


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def demo_library() -> Path:
    """A small library: a dozen real tracks linked into one folder, plus a broken file."""
    folder = Path(os.environ["EARMARK_HOME"]) / "My Music"
    folder.mkdir()
    tracks = [t for root in DEFAULT_MUSIC if root.is_dir() for t in sorted(root.iterdir())][:12]
    for track in tracks:
        (folder / track.name).symlink_to(track)
    (folder / "voice memo.m4a").write_bytes(b"not really audio")
    return folder


def spoken_memo() -> Path | None:
    """A voice memo made with espeak-ng: chatter around two wake words."""
    if shutil.which("espeak-ng") is None:
        return None
    import numpy as np
    import soundfile as sf

    parts = []
    for text in ("okay nabu", "remind me to call the dentist tomorrow", "alexa", "what is the weather"):
        raw = Path(os.environ["EARMARK_HOME"]) / "part.wav"
        subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(raw), text], check=True)
        speech, rate = sf.read(str(raw), dtype="float32")
        parts += [np.zeros(rate, dtype=np.float32), speech]
    memo = Path(os.environ["EARMARK_HOME"]) / "memos" / "voice memo with wake words.wav"
    memo.parent.mkdir()
    sf.write(str(memo), np.concatenate([*parts, np.zeros(rate, dtype=np.float32)]), rate)
    return memo


def spoken_commands() -> Path:
    """A labelled folder: four voice commands, each said by six espeak-ng voices at two speeds."""
    import numpy as np
    import soundfile as sf

    root = Path(os.environ["EARMARK_HOME"]) / "voice commands"
    raw = root / "raw.wav"
    root.mkdir()
    for command in ("lights on", "lights off", "play music", "stop"):
        for voice in ("en", "en-us", "en+f3", "en-gb-x-rp", "en+m3", "en-029"):
            for speed in (130, 170):
                subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), command], check=True)
                speech, rate = sf.read(str(raw), dtype="float32")
                pad = np.zeros(int(0.3 * rate), dtype=np.float32)
                target = root / command.replace(" ", "_") / f"{voice.replace('+', '_')}-{speed}.wav"
                target.parent.mkdir(exist_ok=True)
                sf.write(str(target), np.concatenate([pad, speech, pad]), rate)
    raw.unlink()
    (root / "stop" / "truncated.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVE")
    return root


def shoot_training(window: MainWindow) -> None:
    """The Train wizard on spoken commands with the Whisper base: each page as the user sees it."""
    wizard = window.train
    window.nav.setCurrentRow(window.PAGES.index("Train"))
    folder = spoken_commands()
    wizard.folder_page.path.setText(str(folder))
    wizard.folder_page.read(folder)
    while not wizard.folder_page.isComplete():
        wait(100)
    window.grab().save(str(OUT / "train-folder.png"))
    wizard.next()
    wait(300)
    window.grab().save(str(OUT / "train-labels.png"))
    wizard.next()
    wizard.settings_page.toggle.click()
    wait(300)
    window.grab().save(str(OUT / "train-settings.png"))
    wizard.next()
    while len(wizard.training_page.chart.accuracies) < 3 and not wizard.training_page.isComplete():
        wait(100)
    window.grab().save(str(OUT / "train-progress.png"))
    while not wizard.training_page.isComplete():
        wait(100)
    wizard.next()
    wait(300)
    window.grab().save(str(OUT / "train-results.png"))
    wizard.next()
    wait(300)
    window.grab().save(str(OUT / "train-finish.png"))
    wizard.button(wizard.WizardButton.FinishButton).click()
    window.nav.setCurrentRow(window.PAGES.index("Models"))
    window.models.table.selectRow(window.models.table.rowCount() - 1)  # the new model, now active
    wait(300)
    window.grab().save(str(OUT / "train-model.png"))


def shoot_results(window: MainWindow, name: str) -> None:
    """The Results page with its filters applied and the first file open in the detail pane."""
    window.nav.setCurrentRow(1)
    window.results.apply_filters()
    window.results.table.selectRow(0)
    wait(300)
    window.grab().save(str(OUT / name))


def shoot_write_dialog(window: MainWindow) -> None:
    """Write genres to files: every file's genre now and after, in append mode, one file unticked."""
    from core.tagwrite import GenrePolicy, plan

    page = window.results
    rows = [page.model.row(i) for i in range(page.model.rowCount()) if page.model.row(i).status == "tagged"]
    dialog = TagDiffDialog(plan(page.store, rows[0].model, [row.path for row in rows], GenrePolicy()), window)
    dialog.mode.setCurrentIndex(dialog.mode.findData("append"))
    dialog.files.topLevelItem(1).setCheckState(0, Qt.CheckState.Unchecked)
    dialog.show()
    wait(300)
    dialog.grab().save(str(OUT / "write-genres.png"))
    dialog.close()


def shoot_calls(window: MainWindow, ended: QEventLoop) -> None:
    """Analyse calls on the test suite's synthetic calls, then the Calls page: a search for "thank" over every
    call, and its hit after the hold music clicked, so that call (speakers, hold, silence) plays from that line."""
    from tests.call_factory import standard_calls

    folder = Path(os.environ["EARMARK_HOME"]) / "Calls"
    standard_calls(folder)
    window.library.folders.selectAll()  # the folders tagged before: removed, as a user would
    window.library.remove.click()
    window.library.add_folder(str(folder))
    window.library.calls_button.click()
    ended.exec()
    window.nav.setCurrentRow(window.PAGES.index("Calls"))
    page = window.calls
    page.search.setText("thank")
    wait(500)  # the search runs once typing pauses
    hits = [page.hits.topLevelItem(i) for i in range(page.hits.topLevelItemCount())]
    hit = next(item for item in hits if item.text(0) == "hold.wav" and "holding" in item.text(3))
    page.hits.scrollToItem(hit)
    QTest.mouseClick(page.hits.viewport(), Qt.MouseButton.LeftButton, pos=page.hits.visualItemRect(hit).center())
    wait(1200)  # playing: the player's position moves on past the hit
    window.grab().save(str(OUT / "calls.png"))
    page.detail.player.player.stop()


def main() -> None:
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    music = Path(sys.argv[1]) if len(sys.argv) > 1 else demo_library()
    settings = QSettings(str(Path(os.environ["EARMARK_HOME"]) / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("db_path", str(Path(os.environ["EARMARK_HOME"]) / "earmark.db"))
    window = MainWindow(settings)
    window.resize(1360, 820)
    window.show()
    window.library.add_folder(str(music))
    OUT.mkdir(parents=True, exist_ok=True)

    loop = QEventLoop()
    window.run_ended.connect(loop.quit)
    window.library.tag_button.click()
    wait(4000)
    window.grab().save(str(OUT / "library-running.png"))
    loop.exec()
    wait(200)
    window.grab().save(str(OUT / "library.png"))

    window.results.status_box.setCurrentText("All")
    shoot_results(window, "results.png")
    shoot_write_dialog(window)

    window.nav.setCurrentRow(window.PAGES.index("Models"))
    window.models.table.selectRow(0)
    wait(300)
    window.grab().save(str(OUT / "models.png"))
    recording = spoken_memo()
    if recording is not None:
        window.nav.setCurrentRow(window.PAGES.index("Listen"))
        window.listen.use_recording(str(recording))
        window.listen.start()
        while window.listen.worker is not None:
            wait(100)
        window.grab().save(str(OUT / "listen.png"))
        # keyword search over the memo's folder, then its hits on the Results page
        window.library.folders.item(0).setSelected(True)  # the music folder: remove it, as a user would
        window.library.remove.click()
        window.library.add_folder(str(recording.parent))
        window.library.keywords_button.click()
        loop.exec()
        window.results.model_box.setCurrentText("keywords:okay_nabu,hey_jarvis,hey_mycroft,alexa")
        shoot_results(window, "keywords.png")

    if shutil.which("espeak-ng") is not None:
        shoot_calls(window, loop)
        shoot_training(window)
    window.nav.setCurrentRow(window.PAGES.index("Settings"))
    wait(200)
    window.grab().save(str(OUT / "settings.png"))
    window.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
