"""A Ray cluster (Ray Data): the same stages on many machines, the store still written by this process alone.

What runs where:

* this process, the driver: the plan (as for any run), the model folders packed into Ray's object
  store, each file's scored segments put back together and finished (cheap: averages), and every
  file written to SQLite in one transaction as it completes — the store keeps its single writer;
* CPU workers (an actor pool, ``map_batches``): each reads files by their path — the same path as
  on this computer, so the library must be on a shared filesystem — and decodes and featurises
  them into segments, streamed on as they are made;
* model workers (an actor pool, a share of a GPU each when asked): score the segments in batches of
  about the task's batch size in model windows.

Each worker makes the task again from its recipe (:mod:`core.runs.recipe`) once, reading a copy of
the model folders unpacked on its machine. A worker process that dies is restarted by Ray and its
work is done again (``max_restarts``/``max_task_retries``); a file that comes back twice is
written once. This is the only module that imports Ray: it is an optional extra
(``pip install "earmark[ray]"``) and nothing else loads it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import EarmarkError
from ...records import FileFailure, FileStat, FileTags
from ..observer import RunObserver
from ..options import RequestError, TagOptions
from ..recipe import Recipe
from ..stages import FileError, Pending, Segment
from ..task import Task
from . import EngineSpec
from .folders import Packed, pack, unpacked
from .work import next_batch, read, score

try:
    import ray
    import ray.data
    from ray._private.authentication.authentication_token_setup import maybe_enable_token_auth_if_token_available
    from ray.util.annotations import RayDeprecationWarning
except ImportError as error:  # an optional extra: say how to get it, in one line
    raise RequestError('the Ray engine needs Ray on this computer: pip install "earmark[ray]"') from error

RETRIES = 3  # times a file's work is done again when its worker process dies (then the file fails)
BLOCKS_PER_CPU = 16  # small blocks (a few files) spread evenly over workers and cost little when redone
CONNECT_TIMEOUT_S = 5.0
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  # RFC 9113: how every HTTP/2 (gRPC) connection opens
HTTP2_EMPTY_SETTINGS, HTTP2_SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00", 0x04
TOKEN_HINT = "a cluster started with `ray start` wants its token: copy ~/.ray/auth_token from the head node here"
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


class RayEngine:
    """Runs a task's stages as a Ray Dataset; ``nodes`` counts the files read on each node (by node id)."""

    def __init__(self, spec: EngineSpec) -> None:
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
        if not os.environ.get("EARMARK_DEBUG"):  # Ray Data's plans, advice and tracebacks: the run says what failed
            logging.getLogger("ray.data").setLevel(logging.CRITICAL)
            warnings.filterwarnings("ignore", module=r"ray\.")
        if not ray.is_initialized():
            address = self.spec.address
            observer.preparing(f"joining the Ray cluster at {address}" if address else "starting Ray on this computer")
        with connected(self.spec.address):
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False  # the run's own progress bar says it all
            context.max_errored_blocks = -1  # a file whose workers kept dying fails alone, not the whole run
            batches = iter(self._dataset(task.recipe, jobs).iter_batches(batch_size=None, batch_format="numpy"))
            try:
                self._collect(task, jobs, batches, record, observer, stop)
            except ray.exceptions.RayError as error:  # a worker that cannot start, a cluster that went away...
                raise ClusterError(f"the Ray cluster failed: {_reason(error)}") from error
            finally:
                getattr(batches, "close", lambda: None)()  # stops the pipeline's workers now, not when collected

    def _dataset(self, recipe: Recipe, jobs: list[FileStat]) -> ray.data.Dataset:
        """File records -> CPU workers (read, decode, featurise) -> model workers (score), streamed."""
        resources = ray.cluster_resources()
        cpus, gpus = int(resources.get("CPU", 0)), resources.get("GPU", 0.0)
        scorers = self._scorers(cpus, gpus)
        shipped = {keyword: _ship(folder) for keyword, folder in recipe.folders.items()}
        made = {"fn_constructor_kwargs": {"recipe": recipe, "shipped": shipped}}
        # a dead worker is restarted and its files read again, RETRIES times at most (Ray's default is forever,
        # which a file that crashes its decoder would never end)
        retry = {"max_restarts": -1, "max_task_retries": RETRIES, "scheduling_strategy": "SPREAD"}
        rows = [
            {"job": job, "path": os.fsencode(stat.path), "size": stat.size, "mtime": stat.mtime}  # any file name
            for job, stat in enumerate(jobs)
        ]
        blocks = min(len(jobs), BLOCKS_PER_CPU * cpus)
        readers, scorers = min(blocks, cpus - scorers), min(blocks, scorers)  # no more workers than blocks
        with warnings.catch_warnings():  # Ray 2.60 says these arguments will be renamed in 2.64
            warnings.simplefilter("ignore", RayDeprecationWarning)
            return (
                ray.data.from_items(rows, override_num_blocks=blocks)
                .map_batches(_Reader, batch_size=1, num_cpus=1, **made, **retry,
                             compute=ray.data.ActorPoolStrategy(size=readers))
                .map_batches(_Scorer, batch_size=None, num_cpus=1, num_gpus=self.spec.gpus_per_worker or None,
                             **made, **retry, compute=ray.data.ActorPoolStrategy(size=scorers))
            )  # fmt: skip

    def _scorers(self, cpus: int, gpus: float) -> int:
        """Model workers: as asked, else one per node (or per GPU share); always with a CPU left for reading."""
        share = self.spec.gpus_per_worker
        if share and gpus < share:
            raise RequestError(f"the Ray cluster has {gpus:g} GPU(s): not enough for {share:g} per model worker")
        nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
        wanted = self.spec.workers or (int(gpus // share) if share else max(1, min(nodes, cpus // 2)))
        if wanted >= cpus:
            raise RequestError(f"the Ray cluster has {cpus} CPU(s): at most {max(cpus - 1, 0)} model worker(s)")
        if share and wanted * share > gpus:
            raise RequestError(f"the Ray cluster has {gpus:g} GPU(s): not enough for {wanted} x {share:g}")
        return wanted

    def _collect(self, task, jobs, batches, record, observer, stop) -> None:
        """Put each file's items back together as they stream in; write each file once, whole."""
        pending: dict[int, Pending] = {}
        done: set[int] = set()
        for batch in batches:
            for job, item, node in zip(batch["job"].tolist(), batch["item"], batch["node"], strict=True):
                if stop.is_set():
                    return
                if job in done:
                    continue  # redone after a worker died: written already
                if job not in pending:
                    observer.file_started(jobs[job])
                    pending[job] = Pending(jobs[job])
                    self.nodes[str(node)] += 1
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


class _Reader:
    """A CPU worker: reads files and decodes them into segments (its task made once, on the CPU)."""

    def __init__(self, recipe: Recipe, shipped: dict) -> None:
        self.task = recipe.build(_unpack(shipped), device="cpu")
        self.node = ray.get_runtime_context().get_node_id()
        self.host = socket.gethostname()

    def __call__(self, batch: dict[str, np.ndarray]) -> Iterator[dict[str, np.ndarray]]:
        for job, path, size, mtime in zip(
            *(batch[key].tolist() for key in ("job", "path", "size", "mtime")), strict=True
        ):
            stat = FileStat(Path(os.fsdecode(path)), size, mtime)
            if not os.path.lexists(path):
                message = (f"not found on Ray node {self.host}: workers read files at the path this computer"
                           " sees (put the library on a filesystem every node mounts at the same path)")  # fmt: skip
                items: Iterator = iter([FileError(job, FileFailure(stat, message))])
            else:
                items = read(self.task, job, stat, lambda: False)
            for item in items:
                yield {"job": np.array([job]), "item": _objects([item]), "node": np.array([self.node])}


class _Scorer:
    """A model worker: scores the segments of each batch, in batches of about the task's size in windows."""

    def __init__(self, recipe: Recipe, shipped: dict) -> None:
        self.task = recipe.build(_unpack(shipped))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        waiting = [item for item in batch["item"] if isinstance(item, Segment) and item.features is not None]
        while waiting:
            take, _windows = next_batch(waiting, self.task.batch_size)
            score(self.task, waiting[:take])
            waiting = waiting[take:]
        return {"job": batch["job"], "item": _objects(list(batch["item"])), "node": batch["node"]}


def _reason(error: BaseException) -> str:
    """What went wrong on the cluster, in one line: the worker's own exception when Ray carries one."""
    cause = getattr(error, "cause", None)
    error = cause if isinstance(cause, BaseException) else error
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else 'no message'}"


def _objects(items: list) -> np.ndarray:
    column = np.empty(len(items), dtype=object)
    column[:] = items
    return column


def _ship(folder) -> tuple[str, str, list]:
    """A model folder into the object store: (name, digest, [reference]); the list keeps Ray from resolving it."""
    packed = pack(folder)
    return packed.name, packed.digest, [ray.put(packed)]


def _unpack(shipped: dict) -> dict:
    def fetch(reference: list) -> Callable[[], Packed]:
        return lambda: ray.get(reference[0])

    return {key: unpacked(name, digest, fetch(ref)) for key, (name, digest, ref) in shipped.items()}


# --- connecting -------------------------------------------------------------------------------------------


def check_address(address: str) -> tuple[str, int]:
    """``host:port`` of a cluster's head, reachable from here; a one-line reason otherwise."""
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


@contextmanager
def connected(address: str | None) -> Iterator[None]:
    """This process joined to the cluster at ``address`` (None: a Ray instance started here), quietly.

    A process already connected (a benchmark, a test's cluster) stays connected and is left so.
    """
    if address is not None:
        check_address(address)
    if ray.is_initialized():
        yield
        return
    debug = bool(os.environ.get("EARMARK_DEBUG"))
    if not debug:
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # Ray's C++ core, here and in what it starts
    level = logging.WARNING if debug else logging.ERROR
    with _stderr_silenced(not debug):  # the C++ core says which log level it read, even when told "fatal"
        # `ray start --head` (Ray 2.60) admits only drivers with its token: used when this computer has one, as
        # ray.init does itself for a cluster it finds, but not for one named by its address
        token = address is None or maybe_enable_token_auth_if_token_available(warn_if_disabled=False)
        # "local": a new instance of our own, never one that happens to be running on this computer
        try:
            ray.init(address or "local", include_dashboard=False, log_to_driver=debug, logging_level=level)
        except (ConnectionError, RuntimeError, ValueError) as error:  # not a Ray head, another Ray version...
            where = address or "this computer"
            hint = "" if token else f"; {TOKEN_HINT}"
            raise ClusterError(f"cannot join the Ray cluster at {where}: {_reason(error)}{hint}") from error
    if not debug:
        # the cluster's notes ("a task failed, 3 retries remaining") go to stdout, which --json keeps for results;
        # they stay in the cluster's logs (Ray 2.60 offers no setting for this: its printer is replaced)
        ray._private.worker.print_to_stdstream = lambda data, ignore_prefix: None
    try:
        yield
    finally:
        ray.shutdown()


def cluster_info(address: str | None) -> Cluster:
    """Join the cluster at ``address`` (or start one here), say what it has, and leave: the app's connection check."""
    with connected(address):
        resources = ray.cluster_resources()
        nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
        return Cluster(address or "this computer", nodes, resources.get("CPU", 0.0), resources.get("GPU", 0.0))


@contextmanager
def _stderr_silenced(silence: bool) -> Iterator[None]:
    if not silence:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
