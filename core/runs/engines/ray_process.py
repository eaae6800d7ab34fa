"""Ray's driver in a process of its own, and the messages between it and Earmark.

One request goes to the driver — ``("run", spec, recipe, jobs)`` or ``("cluster", address)`` — and
replies come back: ``("items", [(job, item, node), ...])`` as the pipeline makes them, ``("cluster",
Cluster)``, then ``("done",)``, or ``("error", "request" | "cluster", message)``. Closing the link
tells the driver to stop: it leaves the cluster (or shuts down the Ray it started) and exits. A
driver whose Earmark was killed sees the link close and does the same.

The messages are pickled, as Ray pickles them itself: both ends are Earmark's own code, never a file
a user handed over.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection

from ..options import RequestError

DRIVER = "import sys; from core.runs.engines.ray_driver import main; sys.exit(main(int(sys.argv[1])))"
POLL_S = 0.2  # how often a wait for the driver looks at the stop flag
EXIT_WAIT_S = 60.0  # time the driver gets to leave the cluster before it is killed


class DriverProcess:
    """:func:`.ray_driver.main` in a new Python with a socket to it; a context manager that always ends it.

    Imported by its name there (not run as ``__main__``), so that Ray's workers find its classes by name too.
    """

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        debug = bool(os.environ.get("EARMARK_DEBUG"))
        with ours, theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", DRIVER, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=None if debug else subprocess.DEVNULL,  # this process's stdout may be --json results
            )
            self.link = Connection(os.dup(ours.fileno()))

    def __enter__(self) -> DriverProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ask(self, request: tuple) -> None:
        self.link.send(request)

    def replies(self, stop: threading.Event) -> Iterator[tuple]:
        """The driver's replies until it is done (or ``stop`` is set); its errors raised here, as they were there."""
        from .ray import ClusterError

        while not stop.is_set():
            if not self.link.poll(POLL_S):
                continue
            try:
                message = self.link.recv()
            except (EOFError, OSError) as error:
                code = self.process.wait()
                raise ClusterError(f"the Ray driver process ended unexpectedly (exit code {code})") from error
            if message[0] == "done":
                return
            if message[0] == "error":
                raise (RequestError if message[1] == "request" else ClusterError)(message[2])
            yield message

    def close(self) -> None:
        """Tell the driver to stop (the link closes), and wait for it to leave Ray cleanly."""
        self.link.close()
        try:
            self.process.wait(timeout=EXIT_WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
