"""The one way the app runs a worker off the event loop: a QThread of its own that ends with the work.

Every worker is a QObject with a ``run`` slot and a ``finished`` signal, and speaks only through
signals, which Qt queues to the GUI thread; pages never build a QThread themselves.

A worker made in Python is owned by Python: when the last Python reference to it goes, its C++
object is deleted there and then. A page that lets go of its worker as soon as the work reports
back (the ``done`` signal, queued to the GUI thread) could do so while the worker's thread was
still finishing — and the thread then crashed the whole app, emitting ``QThread::finished`` to a
deleted object (a segmentation fault in one test run in two). So every worker is also held here
until its thread has really ended, whatever its page does with it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QThread, QTimer


class _Keeper(QObject):
    """Holds each running thread's worker, in the GUI thread, until the thread has ended; then lets it go.

    Python deletes the worker when the last reference goes, here in the GUI thread, once nothing runs
    in its thread any more. (Not ``deleteLater``: that deletes it in its own thread while it ends, which
    races with a Python reference let go at the same moment; nor ``QThread.wait`` here: it keeps the
    GIL, which a thread that is ending may still need.)
    """

    def __init__(self) -> None:
        super().__init__()
        self.running: dict[QThread, QObject] = {}

    def hold(self, thread: QThread, worker: QObject) -> None:
        self.running[thread] = worker
        thread.finished.connect(lambda: self._release(thread), Qt.ConnectionType.QueuedConnection)

    def _release(self, thread: QThread) -> None:
        if not thread.isFinished():  # ``finished`` comes just before the thread's last steps
            QTimer.singleShot(10, lambda: self._release(thread))
            return
        self.running.pop(thread, None)


_keeper: _Keeper | None = None


def start_in_thread(worker: QObject, parent: QObject, *also_stop_on) -> QThread:
    """Run ``worker.run`` in a new thread that quits once ``worker.finished`` (or one of the
    ``also_stop_on`` signals) fires; the worker is let go once the thread has ended.

    The caller may drop its references whenever it likes: the worker is kept until its thread has ended.
    """
    global _keeper
    if _keeper is None:
        _keeper = _Keeper()  # made on first use, in the GUI thread (workers are only started from there)
    thread = QThread(parent)
    thread.setObjectName(type(worker).__name__)  # named in Qt's messages ("QThread: Destroyed while...")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    for signal in (worker.finished, *also_stop_on):
        # direct: quit() is thread-safe, and a queued one could wait behind a GUI slot that waits for the thread
        signal.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    _keeper.hold(thread, worker)
    thread.start()
    return thread
