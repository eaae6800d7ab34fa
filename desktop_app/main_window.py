"""The main window: a sidebar of pages over one store, and the tagging worker's lifecycle."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, QThread, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QStyle,
    QWidget,
)

from core import __version__
from core.errors import EarmarkError
from core.listen.catalog import ListenRequest
from core.runs.observer import RunSummary
from core.runs.options import TagOptions
from core.runs.requests import CallsRequest, KeywordRequest, TagRequest
from core.runs.stages import warm_up
from core.store import Store, StoreError

from .menus import WindowMenus
from .pages.calls import CallsPage
from .pages.library import LibraryPage
from .pages.listen import ListenPage
from .pages.models import ModelsPage
from .pages.results import ResultsPage
from .pages.settings import SettingsPage
from .pages.train.wizard import TrainWizard
from .settings import AppSettings, open_settings
from .widgets.elided_label import ElidedLabel
from .workers.tag import TagWorker
from .workers.thread import start_in_thread

REFRESH_MS = 1500  # how often the results table re-reads during a run
SIZE = QSize(1280, 800)  # the window's size on a screen big enough for it
FRAME = QSize(16, 48)  # room kept on the screen for the window's frame and title bar
ICON = Path(__file__).parent / "resources" / "earmark.svg"
NAV_STYLE = """
QListWidget#nav { border: none; background: palette(base); font-size: 14px; padding-top: 8px; }
QListWidget#nav::item { padding: 9px 10px; border-radius: 6px; margin: 1px 6px; }
QListWidget#nav::item:selected { background: palette(highlight); color: palette(highlighted-text); }
"""


class MainWindow(QMainWindow):
    run_ended = Signal(object)  # the RunSummary, or the reason (str) the run could not happen
    PAGES = ("Library", "Results", "Calls", "Models", "Listen", "Train", "Settings")

    def __init__(self, qsettings: QSettings | None = None) -> None:
        super().__init__()
        warm_up()  # before the event loop runs: the first run's DSP imports would otherwise stall it
        self.qsettings = qsettings or open_settings()  # under the data directory: EARMARK_HOME moves it too
        self.settings = AppSettings.load(self.qsettings)
        self.setWindowTitle("Earmark")
        self.setWindowIcon(QIcon(str(ICON)))
        self.thread: QThread | None = None
        self._task = "tags"  # the running (or last) run's task
        self.worker: TagWorker | None = None
        self.store = self._open_store()

        self.library = LibraryPage()
        self.library.set_folders(self.settings.folders)
        self.results = ResultsPage(self.store)
        self.results.genre_threshold = self.settings.genre_threshold
        self.calls = CallsPage(self.store)
        self.models = ModelsPage()
        self.models.active = self.settings.model
        self.settings_page = SettingsPage(self.settings)
        self.listen = ListenPage(self.settings.db)
        self.train = TrainWizard()
        self.train.model_ready.connect(self._model_trained)

        self.pages = QStackedWidget()
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setStyleSheet(NAV_STYLE)
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(170)
        icons = (QStyle.StandardPixmap.SP_DirIcon, QStyle.StandardPixmap.SP_FileDialogDetailedView,
                 QStyle.StandardPixmap.SP_FileDialogContentsView, QStyle.StandardPixmap.SP_ComputerIcon,
                 QStyle.StandardPixmap.SP_MediaVolume, QStyle.StandardPixmap.SP_BrowserReload,
                 QStyle.StandardPixmap.SP_FileDialogInfoView)  # fmt: skip
        for number, (name, icon, page) in enumerate(
            zip(
                self.PAGES,
                icons,
                (self.library, self.results, self.calls, self.models, self.listen, self.train, self.settings_page),
                strict=True,
            ),
            start=1,
        ):
            QListWidgetItem(self.style().standardIcon(icon), name, self.nav)
            self.pages.addWidget(page)
            QShortcut(QKeySequence(f"Ctrl+{number}"), self, activated=lambda n=number - 1: self.nav.setCurrentRow(n))
        self.nav.currentRowChanged.connect(self._show_page)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 8, 0)
        layout.addWidget(self.nav)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.status_label = ElidedLabel("")  # a long model name or path is elided, never widens the window
        self.statusBar().addPermanentWidget(self.status_label, 1)
        self.menus = WindowMenus(self)

        self.library.tag_requested.connect(self.start_run)
        self.library.keywords_requested.connect(lambda: self.start_run("keywords"))
        self.library.calls_requested.connect(lambda: self.start_run("calls"))
        self.library.pause_requested.connect(self._pause)
        self.library.cancel_requested.connect(self.cancel_run)
        self.library.folders_changed.connect(self._folders_changed)
        self.models.active_changed.connect(self._model_changed)
        self.models.deleted.connect(lambda _name: self.listen.refresh_models())
        self.settings_page.changed.connect(self._settings_changed)
        self._refresh_timer = QTimer(self, interval=REFRESH_MS, timeout=self.results.refresh_rows)
        self._dirty = False

        self.nav.setCurrentRow(1 if self.store and self.store.model_names() else 0)
        self.results.reload(self.settings.model)
        self.calls.reload()
        self._update_status()
        if self.store is None:
            self.library.status.setText(f"{self.store_error} — choose another database in Settings.")
        if self.settings.notice:
            self.statusBar().showMessage(self.settings.notice, 20000)
        self._fit_screen()

    def _fit_screen(self) -> None:
        """Open within the screen's free area, and never grow past it: the window's minimum is what its
        pages need now, capped by the screen, and held there (a long name shown later elides instead)."""
        free = self.screen().availableGeometry().size() - FRAME
        central = self.centralWidget()
        central.setMinimumSize(central.minimumSizeHint().boundedTo(free - QSize(0, self._chrome_height())))
        self.resize(SIZE.boundedTo(free))

    def _chrome_height(self) -> int:
        """The menu and status bars' height, which the central widget shares the window's height with."""
        return self.menuBar().sizeHint().height() + self.statusBar().sizeHint().height()

    def _update_library_summary(self) -> None:
        if self.store is None:
            return
        model = self.results.model_box.currentText() or self.settings.model
        tagged, failed, seconds = self.store.totals(model)
        self.library.show_library(tagged, failed, seconds / 3600, model)

    # --- the store ----------------------------------------------------------------------------

    def _open_store(self) -> Store | None:
        """The window's own read connection; None (and ``store_error`` says why) when unusable."""
        self.store_error = ""
        try:
            return Store(self.settings.db)
        except StoreError as error:
            self.store_error = str(error)
            self.statusBar().showMessage(self.store_error)
            return None

    def _update_status(self) -> None:
        self._update_library_summary()
        where = self.settings.db if self.store else "no database"
        self.status_label.setText(f"Model: {self.settings.model} · Database: {where} · Earmark {__version__}")

    # --- pages ----------------------------------------------------------------------------------

    def show_page(self, name: str) -> None:
        self.nav.setCurrentRow(self.PAGES.index(name))

    def _show_page(self, row: int) -> None:
        self.pages.setCurrentIndex(row)
        if self.PAGES[row] == "Models":
            self.models.device, self.models.backend = self.settings.device, self.settings.backend
            self.models.reload()

    def focus_search(self) -> None:
        """Ctrl+F: the Calls page's search over transcripts there, else the results' path filter."""
        if self.pages.currentWidget() is self.calls:
            self.calls.search.setFocus()
            return
        self.nav.setCurrentRow(1)
        self.results.search.setFocus()

    def _folders_changed(self, folders: list[str]) -> None:
        self.settings.folders = folders
        self.settings.save(self.qsettings)

    def _model_changed(self, name: str) -> None:
        self.settings.model = name
        self.settings.save(self.qsettings)
        self._update_status()

    def _model_trained(self, name: str, activate: bool) -> None:
        self.listen.refresh_models()
        if activate:
            self.models.active = name
            self._model_changed(name)
        self.statusBar().showMessage(
            f"Model {name} installed" + (" and active: Tag in the Library uses it" if activate else ""), 10000
        )

    def _settings_changed(self) -> None:
        self.settings.save(self.qsettings)
        self.results.genre_threshold = self.settings.genre_threshold
        if self.store is None or Path(self.store.path) != self.settings.db:
            if self.store is not None:
                self.store.close()
            self.store = self._open_store()
            self.results.set_store(self.store)
            self.calls.set_store(self.store)
            self.listen.db = self.settings.db
        self._update_status()

    # --- a run ----------------------------------------------------------------------------------

    def start_run(self, task: str = "tags", files: list[Path] | None = None) -> None:
        """Tag the library's folders, search them for the Listen page's words (``keywords``), or analyse the
        call recordings in them (``calls``). With ``files`` (Re-tag on the results' rows), tag those files
        again, whether or not they changed."""
        if self.thread is not None:
            self.statusBar().showMessage("A run is in progress: wait for it, or cancel it on the Library page", 10000)
            return
        keywords = task == "keywords"
        self._task = task
        choice = self.listen.choice() if keywords else None
        if keywords and choice is None:
            self.library.run_failed("choose wake words, a keyword examples folder or a model on the Listen page first")
            return
        folders = files if files is not None else [Path(f) for f in self.library.folder_list()]
        present = [f for f in folders if f.exists()]
        gone = [str(f) for f in folders if not f.exists()]
        if not present:
            self.library.run_failed("no folder to tag" + (f" ({', '.join(gone)} no longer exists)" if gone else ""))
            return
        if gone:
            self.statusBar().showMessage(f"Skipped, no longer there: {', '.join(gone)}", 10000)
        try:
            request = self._request(present, task, choice, force=files is not None)
        except EarmarkError as error:
            self.library.run_failed(str(error))
            return
        self.library.run_started()
        worker = TagWorker(request, self.settings.db)
        worker.preparing.connect(self.library.preparing)
        worker.planned.connect(self.library.planned)
        worker.current_file.connect(self.library.show_current)
        worker.progress.connect(self.library.show_progress)
        worker.progress.connect(self._mark_dirty)
        worker.file_failed.connect(self.library.add_error)
        worker.finished.connect(self._run_finished)
        worker.failed.connect(self._run_failed)
        self.worker = worker
        self.thread = start_in_thread(worker, self, worker.failed)  # a run that cannot happen ends with failed
        self._refresh_timer.timeout.disconnect()
        self._refresh_timer.timeout.connect(self._refresh_if_dirty)
        self._refresh_timer.start()

    def _request(
        self, folders: list[Path], task: str, listen: ListenRequest | None, force: bool = False
    ) -> TagRequest | KeywordRequest | CallsRequest:
        """The run the window's settings ask for: the same request the CLI would build."""
        s = self.settings
        if task == "calls":
            return CallsRequest(tuple(folders), s.device, engine=s.engine_spec)
        if listen is not None:
            return KeywordRequest(tuple(folders), replace(listen, device=s.device), engine=s.engine_spec)
        options = TagOptions(segment_top_k=s.top_k, coverage=s.coverage, force=force)
        return TagRequest(tuple(folders), s.model, s.backend, s.device, s.threads or None, options, s.engine_spec)

    def _mark_dirty(self, _progress: object) -> None:
        self._dirty = True

    def _refresh_if_dirty(self) -> None:
        if self._dirty and self.store is not None:
            self._dirty = False
            self.results.refresh_rows()
            self.calls.reload()

    def _pause(self, paused: bool) -> None:
        if self.worker is not None:
            self.worker.pause() if paused else self.worker.resume()

    def cancel_run(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _run_finished(self, summary: RunSummary) -> None:
        searched = self._task == "keywords"
        self._end_run()
        self.library.run_finished(summary, self.store.run_hits(summary.run_id) if searched and self.store else None)
        self.results.reload(self.settings.model)
        self.calls.reload()
        self._update_library_summary()
        self.run_ended.emit(summary)

    def _run_failed(self, reason: str) -> None:
        self._end_run()
        self.library.run_failed(reason)
        self.run_ended.emit(reason)

    def _end_run(self) -> None:
        self._refresh_timer.stop()
        if self.thread is not None:
            self.thread.wait()
        self.thread = self.worker = None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Closing during a run stops it cleanly: committed files stay, the next Tag resumes."""
        self.listen.shutdown()
        self.train.shutdown()
        if self.worker is not None and self.thread is not None:
            for signal in (self.worker.finished, self.worker.failed, self.worker.progress):
                signal.disconnect()  # the window is going: nothing may update it any more
            self.worker.cancel()
            self.thread.quit()
            self.thread.wait(30000)
            self.thread = self.worker = None
            self._refresh_timer.stop()
        self.settings.save(self.qsettings)
        if self.store is not None:
            store, self.store = self.store, None
            self.results.set_store(None)  # a query still waiting to run (typed just before) finds no database
            self.calls.set_store(None)
            store.close()
        event.accept()
