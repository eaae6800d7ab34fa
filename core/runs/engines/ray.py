"""A Ray cluster (Ray Data): the same stages on many machines, the store still written by this process alone.

What runs where:

* this process: the plan (as for any run), each file's scored segments put back together and
  finished (cheap: averages), and every file written to SQLite in one transaction as it completes —
  the store keeps its single writer;
* Ray's driver, in a process of its own (:mod:`.ray_driver`): it joins the cluster (or starts Ray
  on this computer), packs the model folders into Ray's object store, runs the pipeline and streams
  each scored item back here. Never this process: Ray's native threads outlive ``ray.shutdown()``
  and its crash handler replaces Python's, so an app that had tagged on a cluster once could later
  die with no word of where (the test suite did, one run in two);
* CPU workers (an actor pool, ``map_batches``): each reads files by their path — the same path as
  on this computer, so the library must be on a shared filesystem — and decodes and featurises
  them into segments;
* model workers (an actor pool, a share of a GPU each when asked): score the segments in batches.

A worker process that dies is restarted by Ray and its work is done again; a file that comes back
twice is written once. Ray is an optional extra (``pip install "earmark[ray]"``): only the driver
process and the workers import it.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ...errors import EarmarkError
from ...records import FileFailure, FileStat, FileTags
from ..observer import RunObserver
from ..options import RequestError, TagOptions
from ..stages import FileError, Pending, Segment
from ..task import Task
from . import EngineSpec
from .ray_process import DriverProcess

RETRIES = 3  # times a file's work is done again when its worker process dies (then the file fails)
CONNECT_TIMEOUT_S = 5.0
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  # RFC 9113: how every HTTP/2 (gRPC) connection opens
HTTP2_EMPTY_SETTINGS, HTTP2_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00", 0x04
LOST = "its Ray worker died {retries} times while reading it (see the Ray logs on the cluster)"


class ClusterError(EarmarkError):
    """The cluster could not do the run; the message says why in one line (the cluster's Ray logs say more)."""


@dataclass(frozen=True)
class Cluster:
    """What a connection check reports."""

    address: str
    nodes: int
    cpus: float
    gpus: float

    def describe(self) -> str:
        return f"{self.nodes} node(s), {self.cpus:g} CPU(s), {self.gpus:g} GPU(s) at {self.address}"


def _require_ray() -> None:
    if importlib.util.find_spec("ray") is None:  # an optional extra: say how to get it, in one line
        raise RequestError('the Ray engine needs Ray on this computer: pip install "earmark[ray]"')


class RayEngine:
    """Runs a task's stages on Ray; ``nodes`` counts the files read on each node (by node id)."""

    def __init__(self, spec: EngineSpec) -> None:
        _require_ray()
        if spec.address is not None:
            check_address(spec.address)  # a bad address is said before anything is read or loaded
        self.spec = spec
        self.nodes: Counter[str] = Counter()

    def execute(
        self,
        task: Task,
        jobs: list[FileStat],
        options: TagOptions,
        record: Callable[[FileTags | FileFailure], None],
        observer: RunObserver,
        stop: threading.Event,
    ) -> None:
        if not jobs:
            return
        if task.recipe is None:
            raise RequestError(f"{task.describe()} cannot run on a Ray cluster (it cannot be made again on a worker)")
        address = self.spec.address
        observer.preparing(f"joining the Ray cluster at {address}" if address else "starting Ray on this computer")
        with DriverProcess() as driver:
            driver.ask(("run", self.spec, task.recipe, jobs))
            items = (item for _kind, batch in driver.replies(stop) for item in batch)
            self._collect(task, jobs, items, record, observer, stop)

    def _collect(self, task, jobs, items: Iterator[tuple[int, object, str]], record, observer, stop) -> None:
        """Put each file's items back together as they stream in; write each file once, whole."""
        pending: dict[int, Pending] = {}
        done: set[int] = set()
        for job, item, node in items:
            if stop.is_set():
                return
            if job in done:
                continue  # redone after a worker died: written already
            if job not in pending:
                observer.file_started(jobs[job])
                pending[job] = Pending(jobs[job])
                self.nodes[node] += 1
            file = pending[job]
            if isinstance(item, FileError):
                outcome: FileTags | FileFailure | None = item.failure
            else:
                if isinstance(item, Segment):
                    file.segments[item.index] = item
                else:
                    file.end = item
                outcome = task.finish(file) if file.complete else None
            if outcome is not None:
                done.add(job)
                del pending[job]
                record(outcome)
        if not stop.is_set():
            for job, stat in enumerate(jobs):
                if job not in done:  # every retry failed: the block was given up on
                    record(FileFailure(stat, LOST.format(retries=RETRIES + 1)))


def cluster_info(address: str | None) -> Cluster:
    """Join the cluster at ``address`` (or start one here), say what it has, and leave: the app's connection check."""
    _require_ray()
    if address is not None:
        check_address(address)
    with DriverProcess() as driver:
        driver.ask(("cluster", address))
        for _kind, cluster in driver.replies(threading.Event()):
            return cluster
    raise ClusterError("the Ray driver process said nothing about the cluster")


# --- the address ------------------------------------------------------------------------------------------


def check_address(address: str) -> tuple[str, int]:
    """``host:port`` of a cluster's head, reachable from here and answering as one; a one-line reason otherwise."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise RequestError(f"bad Ray address {address!r}: use host:port, as `ray start --head` prints it")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S) as connection:
            speaks = os.environ.get("RAY_USE_TLS", "0") not in ("0", "") or _speaks_grpc(connection)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise RequestError(f"cannot reach a Ray cluster at {address}: {reason.lower()}") from error
    if not speaks:  # Ray itself would retry for minutes before saying so
        raise RequestError(f"{address} is not a Ray cluster's head (it does not answer as Ray does): check the port"
                           " that `ray start --head` printed")  # fmt: skip
    return host, int(port)


def _speaks_grpc(connection: socket.socket) -> bool:
    """Whether the server answers an HTTP/2 greeting with its settings, as the head's gRPC server (GCS) does."""
    connection.sendall(HTTP2_PREFACE + HTTP2_EMPTY_SETTINGS)
    try:
        header = connection.recv(9, socket.MSG_WAITALL)
    except TimeoutError:
        return False
    return len(header) == 9 and header[3] == HTTP2_SETTINGS
