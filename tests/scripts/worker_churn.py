"""Start ROUNDS workers one after another, each let go by its page as soon as it reports back.

Run by tests/test_qt_threads.py in a process of its own (a crash must not take the suite with it):
before start_in_thread held workers until their thread had ended, this died with a segmentation
fault within a few hundred rounds, in QThread::finished, as the desktop tests did one run in two.
"""

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot  # noqa: E402

from desktop_app.workers.thread import start_in_thread  # noqa: E402


class Worker(QObject):
    """Shaped like the app's workers: ``done`` with the result, then ``finished`` in a finally."""

    done = Signal(list)
    finished = Signal()

    @Slot()
    def run(self) -> None:
        try:
            self.done.emit(["written"])
        finally:
            self.finished.emit()


class Page(QObject):
    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.writer: tuple | None = None
        self.count, self.rounds = 0, rounds

    def start(self) -> None:
        worker = Worker()
        worker.done.connect(self.written)
        self.writer = (worker, start_in_thread(worker, self))

    @Slot(list)
    def written(self, _lines: list) -> None:
        self.writer = None  # as the Results page did after a tag write: the worker's last reference
        self.count += 1
        if self.count == self.rounds:
            QTimer.singleShot(300, QCoreApplication.quit)
        else:
            QTimer.singleShot(0, self.start)


if __name__ == "__main__":
    app = QCoreApplication([])
    page = Page(int(sys.argv[1]))
    page.start()
    app.exec()
    print("rounds", page.count)
