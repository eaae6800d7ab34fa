"""The one way the app runs a worker off the event loop: a QThread of its own that ends with the work.

Every worker is a QObject with a ``run`` slot and a ``finished`` signal, and speaks only through
signals, which Qt queues to the GUI thread; pages never build a QThread themselves.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QThread


def start_in_thread(worker: QObject, parent: QObject, *also_stop_on) -> QThread:
    """Run ``worker.run`` in a new thread that quits, and lets both go, once ``worker.finished``
    (or one of the ``also_stop_on`` signals) fires.

    The caller keeps its references only until then (``deleteLater`` follows).
    """
    thread = QThread(parent)
    thread.setObjectName(type(worker).__name__)  # named in Qt's messages ("QThread: Destroyed while...")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    for signal in (worker.finished, *also_stop_on):
        # direct: quit() is thread-safe, and a queued one could wait behind a GUI slot that waits for the thread
        signal.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.finished.connect(worker.deleteLater)
    thread.start()
    return thread
