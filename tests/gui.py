"""The main window as GUI tests open and drive it: offscreen, its own database, a given model active."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings  # noqa: E402

from desktop_app.main_window import MainWindow  # noqa: E402


def open_window(qtbot, tmp_path: Path, model: str) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("db_path", str(tmp_path / "gui.db"))
    settings.setValue("model", model)
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    return win


def tag(qtbot, win: MainWindow, timeout: int = 120_000):
    """Press Tag and wait for the run to end; returns its summary (or the reason it failed)."""
    with qtbot.waitSignal(win.run_ended, timeout=timeout) as ended:
        win.library.tag_button.click()
    return ended.args[0]
