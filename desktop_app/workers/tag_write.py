"""Writing genres into files, or undoing the last write, off the event loop (a file at a time, each copied)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.errors import EarmarkError
from core.store import Store
from core.tagwrite import GenreChange, apply, summarize, undo_last, undo_summary, written_files


class TagWriteWorker(QObject):
    """Writes the chosen changes (or, with no changes, undoes the last write); ``done`` gets the summary lines."""

    done = Signal(list)
    finished = Signal()

    def __init__(self, db: Path, changes: list[GenreChange] | None, model: str | None = None, mode: str = "") -> None:
        super().__init__()
        self.db, self.changes, self.model, self.mode = db, changes, model, mode

    def run(self) -> None:
        try:
            self.done.emit(self._work())
        except EarmarkError as error:
            self.done.emit([str(error)])
        except Exception as error:  # noqa: BLE001 - one line for the user, never a traceback in a slot
            self.done.emit([f"Unexpected error: {error}"])
        finally:
            self.finished.emit()

    def _work(self) -> list[str]:
        with Store(self.db) as store:  # one connection per thread
            if self.changes is None:
                return undo_summary(*undo_last(store))
            outcomes = apply(store, self.changes, self.model, self.mode)
            return summarize(outcomes) + written_files(outcomes)
