"""The Settings page's connection check: join the Ray cluster, say what it has, leave (seconds, off the event loop)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.errors import EarmarkError


class ClusterCheckWorker(QObject):
    """``done`` says in one line what the cluster at ``address`` offers, or why it cannot be used; then ``finished``."""

    done = Signal(bool, str)  # reachable, what to show
    finished = Signal()

    def __init__(self, address: str | None) -> None:
        super().__init__()
        self.address = address

    def run(self) -> None:
        try:
            from core.runs.engines.ray import cluster_info  # Ray is imported here, only when asked for

            self.done.emit(True, f"Connected: {cluster_info(self.address).describe()}")
        except EarmarkError as error:
            self.done.emit(False, str(error))
        finally:
            self.finished.emit()
