"""The window's menu bar and the results table's row menu.

Thin on purpose: every action calls what a page or core already does (the Library's folders and runs, the
Results page's selection and write, core's export), so a menu never behaves differently from its button.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from core import __version__
from core.export_results import ExportError, save_rows
from core.paths import data_dir
from core.records import ResultRow
from core.store import StoreError

if TYPE_CHECKING:
    from .main_window import MainWindow

EXPORT_FILTERS = {"csv": "CSV (*.csv)", "json": "JSON (*.json)"}
OPEN_FOLDERS_MAX = 5  # folders "Open containing folder" opens at once: a whole selection would flood the desktop


def _add(menu: QMenu, text: str, slot: Callable[[], object], shortcut: QKeySequence | str | None = None) -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(lambda _checked=False: slot())
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    return action


class WindowMenus:
    """File, Edit, Tools and Help in the menu bar, and the menu on the results table's rows."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        bar = window.menuBar()
        file = bar.addMenu("&File")
        _add(file, "&Add folder…", self.add_folder, "Ctrl+O")
        _add(file, "&Export results…", self.export_results, "Ctrl+E")
        file.addSeparator()
        _add(file, "&Quit", window.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu("&Edit")
        _add(edit, "&Find", window.focus_search, QKeySequence.StandardKey.Find)
        _add(edit, "Copy &path of the selected files", self.copy_paths)
        edit.addSeparator()
        _add(edit, "&Settings", lambda: window.show_page("Settings"), QKeySequence.StandardKey.Preferences)
        tools = bar.addMenu("&Tools")
        _add(tools, "&Tag the library", window.start_run)
        _add(tools, "Find &keywords", lambda: window.start_run("keywords"))
        _add(tools, "Analyse &calls", lambda: window.start_run("calls"))
        tools.addSeparator()
        _add(tools, "&Re-tag the selected files", self.retag)
        self.write = _add(tools, "&Write tags to the selected files…", window.results.write_genres)
        tools.aboutToShow.connect(lambda: self.write.setEnabled(window.results.write_button.isEnabled()))
        tools.addSeparator()
        _add(tools, "Train a &model…", lambda: window.show_page("Train"))
        help_menu = bar.addMenu("&Help")
        _add(help_menu, "&About Earmark", self.about)
        table = window.results.table
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._popup_row_menu)

    # --- the results table's rows -------------------------------------------------------------------

    def rows(self) -> list[ResultRow]:
        return self.window.results.selected_rows()

    def row_menu(self) -> QMenu | None:
        """What can be done with the selected rows; None when no row is selected."""
        rows = self.rows()
        if not rows:
            return None
        menu = QMenu(self.window.results.table)
        _add(menu, "Open containing folder", self.open_folders)
        _add(menu, "Copy path" if len(rows) == 1 else f"Copy {len(rows)} paths", self.copy_paths)
        menu.addSeparator()
        _add(menu, f"Re-tag with {self.window.settings.model}", self.retag)
        write = _add(menu, "Write tags…", self.window.results.write_genres)
        button = self.window.results.write_button
        write.setEnabled(button.isEnabled())  # only for a model with a genre group; the button says why not
        write.setToolTip(button.toolTip())
        menu.setToolTipsVisible(True)
        return menu

    def _popup_row_menu(self, position: QPoint) -> None:
        menu = self.row_menu()
        if menu is not None:
            menu.popup(self.window.results.table.viewport().mapToGlobal(position))

    def open_folders(self) -> None:
        folders = list(dict.fromkeys(Path(row.path).parent for row in self.rows()))
        for folder in folders[:OPEN_FOLDERS_MAX]:
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
                self._say(f"Could not open {folder}: no file manager answered")
                return
        if len(folders) > OPEN_FOLDERS_MAX:
            self._say(f"Opened the first {OPEN_FOLDERS_MAX} of {len(folders)} folders")

    def copy_paths(self) -> None:
        paths = [row.path for row in self.rows()]
        if paths:
            QGuiApplication.clipboard().setText("\n".join(paths))
            self._say(f"Copied {len(paths)} path(s)")

    def retag(self) -> None:
        """Tag the selected files again with the active model, whether or not they changed."""
        files = [Path(row.path) for row in self.rows() if row.status != "missing"]
        if not files:
            self._say("Select files that are still there to re-tag them")
            return
        self._say(f"Re-tagging {len(files)} file(s) with {self.window.settings.model}: progress on the Library page")
        self.window.start_run("tags", files)

    # --- the menu bar ---------------------------------------------------------------------------------

    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Add a folder to tag")
        if folder:
            self.window.library.add_folder(folder)
            self.window.show_page("Library")

    def export_results(self) -> None:
        """What the Results page shows (its model, filters and order; every row, not only those loaded) as
        CSV or JSON, the same as ``earmark results --format csv|json`` prints."""
        page, store = self.window.results, self.window.store
        model = page.model_box.currentText()
        if store is None or not model:
            self._say("No results to export yet: tag a folder first")
            return
        name = re.sub(r"[^\w.-]+", "-", model).strip("-") or "results"
        suggested = str(Path.home() / f"earmark-{name}.csv")
        target, chosen = QFileDialog.getSaveFileName(
            self.window, "Export results", suggested, ";;".join(EXPORT_FILTERS.values())
        )
        if not target:
            return
        fmt = "json" if target.lower().endswith(".json") or chosen == EXPORT_FILTERS["json"] else "csv"
        try:
            rows = store.page(replace(page.current_query(), with_calls=True), 0, -1)
            save_rows(rows, Path(target), fmt, store.path, replace=True)  # the save dialog asked to replace
        except (OSError, StoreError, ExportError) as error:
            QMessageBox.warning(self.window, "Export results", f"Could not export to {target}: {error}")
            return
        self._say(f"Exported {len(rows):,} file(s) to {target}")

    def about(self) -> None:
        QMessageBox.about(
            self.window,
            "About Earmark",
            f"<b>Earmark {__version__}</b><p>Tags your audio on your own computer: nothing leaves it.</p>"
            f"<p>Data directory: {data_dir()}<br>Database: {self.window.settings.db}</p>",
        )

    def _say(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 10000)
