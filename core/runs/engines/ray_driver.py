"""Ray's driver: :func:`main` runs in a process of its own (:mod:`.ray_process` starts it), never in Earmark's.

It joins the cluster (or starts Ray on this computer), runs the task's stages as a Ray Dataset —
file records -> CPU workers (read, decode, featurise) -> model workers (score) — and sends each
scored item back over the socket ``FD``, until the run is done or the other end closes. Each worker
makes the task again from its recipe (:mod:`core.runs.recipe`) once, reading a copy of the model
folders shipped through Ray's object store and unpacked on its machine.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import ray
import ray.data
from ray._private.authentication.authentication_token_setup import maybe_enable_token_auth_if_token_available
from ray.util.annotations import RayDeprecationWarning

from ...errors import EarmarkError
from ...records import FileFailure, FileStat
from ..options import RequestError
from ..recipe import Recipe
from ..stages import FileError, Segment
from . import EngineSpec
from .folders import Packed, pack, unpacked
from .ray import RETRIES, Cluster, ClusterError, check_address
from .work import next_batch, read, score

BLOCKS_PER_CPU = 16  # small blocks (a few files) spread evenly over workers and cost little when redone
TOKEN_HINT = "a cluster started with `ray start` wants its token: copy ~/.ray/auth_token from the head node here"


def main(fd: int) -> int:
    """Answer the one request that comes over the socket; its errors go back as one line each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is Earmark's to handle: it closes the link to stop this
    link = Connection(fd)
    try:
        request = link.recv()
        if request[0] == "cluster":
            link.send(("cluster", _cluster_info(request[1])))
        else:
            _run(link, *request[1:])
        link.send(("done",))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return 0  # Earmark stopped the run, or went away
    except RequestError as error:
        link.send(("error", "request", str(error)))
    except EarmarkError as error:
        link.send(("error", "cluster", str(error)))
    except Exception as error:  # noqa: BLE001 - whatever Ray raises reaches the user as one line
        link.send(("error", "cluster", f"the Ray cluster failed: {_reason(error)}"))
    return 0


def _run(link: Connection, spec: EngineSpec, recipe: Recipe, jobs: list[FileStat]) -> None:
    if not os.environ.get("EARMARK_DEBUG"):  # Ray Data's plans, advice and tracebacks: the run says what failed
        logging.getLogger("ray.data").setLevel(logging.CRITICAL)
        warnings.filterwarnings("ignore", module=r"ray\.")
    with connected(spec.address):
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the run's own progress bar says it all
        context.max_errored_blocks = -1  # a file whose workers kept dying fails alone, not the whole run
        batches = iter(_dataset(spec, recipe, jobs).iter_batches(batch_size=None, batch_format="numpy"))
        try:
            for batch in batches:
                if link.poll():  # the other end closed: stopped
                    return
                items = zip(batch["job"].tolist(), batch["item"], batch["node"].tolist(), strict=True)
                link.send(("items", list(items)))
        except ray.exceptions.RayError as error:  # a worker that cannot start, a cluster that went away...
            raise ClusterError(f"the Ray cluster failed: {_reason(error)}") from error
        finally:
            getattr(batches, "close", lambda: None)()  # stops the pipeline's workers now, not when collected


def _dataset(spec: EngineSpec, recipe: Recipe, jobs: list[FileStat]) -> ray.data.Dataset:
    """File records -> CPU workers (read, decode, featurise) -> model workers (score), streamed."""
    resources = ray.cluster_resources()
    cpus, gpus = int(resources.get("CPU", 0)), resources.get("GPU", 0.0)
    scorers = _scorers(spec, cpus, gpus)
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
            .map_batches(_Scorer, batch_size=None, num_cpus=1, num_gpus=spec.gpus_per_worker or None,
                         **made, **retry, compute=ray.data.ActorPoolStrategy(size=scorers))
        )  # fmt: skip


def _scorers(spec: EngineSpec, cpus: int, gpus: float) -> int:
    """Model workers: as asked, else one per node (or per GPU share); always with a CPU left for reading."""
    share = spec.gpus_per_worker
    if share and gpus < share:
        raise RequestError(f"the Ray cluster has {gpus:g} GPU(s): not enough for {share:g} per model worker")
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    wanted = spec.workers or (int(gpus // share) if share else max(1, min(nodes, cpus // 2)))
    if wanted >= cpus:
        raise RequestError(f"the Ray cluster has {cpus} CPU(s): at most {max(cpus - 1, 0)} model worker(s)")
    if share and wanted * share > gpus:
        raise RequestError(f"the Ray cluster has {gpus:g} GPU(s): not enough for {wanted} x {share:g}")
    return wanted


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


@contextmanager
def connected(address: str | None) -> Iterator[None]:
    """This process joined to the cluster at ``address`` (None: a Ray instance started here), quietly."""
    if address is not None:
        check_address(address)
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
        # the cluster's notes ("a task failed, 3 retries remaining") go to stdout; they stay in the cluster's
        # logs (Ray 2.60 offers no setting for this: its printer is replaced)
        ray._private.worker.print_to_stdstream = lambda data, ignore_prefix: None
    try:
        yield
    finally:
        ray.shutdown()


def _cluster_info(address: str | None) -> Cluster:
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
