"""The Ray engine against the local engine, side by side in one process, and what a cluster would add.

    python bench/ray_engine.py [--files 120] [--model musicnn-merged] [--corpus DIR]

It tags the same corpus (30 s clips of real music, bench/corpus.py) with: (1) the local engine;
(2) the Ray engine on a local instance that the run starts itself, as ``earmark tag --engine ray``
does; (3) the same with Ray already running (``ray start --head``, joined by its address: a cluster's
case, no start-up in the run). Ray's driver runs in a process of its own in every case. Then a
two-node cluster on this machine (``ray.cluster_utils.Cluster`` in a process of its own, two raylets
on loopback, two logical CPUs each) runs one run and each node's share of the files is counted.
Last, the store's single writer alone: the run's results written again into a fresh database,
files/s and rows/s. It prints a Markdown report (the README table, and the N-machine estimate)
and writes it to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import build  # noqa: E402
from bench.throughput import machine  # noqa: E402
from core.models.catalog import DEFAULT_MODEL  # noqa: E402
from core.records import FileStat, FileTags  # noqa: E402
from core.runs.build import build_run  # noqa: E402
from core.runs.engines import EngineSpec  # noqa: E402
from core.runs.observer import RunObserver  # noqa: E402
from core.runs.requests import TagRequest  # noqa: E402
from core.store import Store  # noqa: E402
from tests.ray_cluster import two_nodes as nodes_on_this_machine  # noqa: E402


@dataclass
class Row:
    name: str
    wall_s: float
    first_s: float  # until the first file was written: start-up (Ray: workers started, the model loaded in each)
    files: int
    audio_s: float

    @property
    def rate(self) -> float:
        return self.files / self.wall_s

    @property
    def steady(self) -> float:
        """Files/s once the first file is written: what a large archive sees."""
        return (self.files - 1) / max(self.wall_s - self.first_s, 1e-9)


class Watch(RunObserver):
    """When the first file was written, and every file's result (for the writer's measurement)."""

    def __init__(self) -> None:
        self.outcomes: list[FileTags] = []
        self.first: float | None = None

    def file_done(self, outcome) -> None:
        self.first = self.first or time.perf_counter()
        if isinstance(outcome, FileTags):
            self.outcomes.append(outcome)


def tag(name: str, corpus: Path, model: str, spec: EngineSpec, db: Path):
    """One run over ``corpus`` into a fresh database: its row, the run (a Ray engine counts nodes), the results."""
    db.unlink(missing_ok=True)
    watch = Watch()
    with Store(db) as store:
        run = build_run(TagRequest((corpus,), model, engine=spec), store, watch)
        run.task = run.load()  # the model is loaded in this process before the clock starts, for every engine alike
        started = time.perf_counter()
        summary = run.run([corpus])
        wall = time.perf_counter() - started
    assert summary.failed == 0 and not summary.interrupted, summary.failures[:3]
    row = Row(name, wall, (watch.first or started) - started, summary.tagged, summary.audio_seconds)
    print(f"  {name}: {row.wall_s:.1f} s, first file after {row.first_s:.1f} s, {row.steady:.2f} files/s", flush=True)
    return row, run, watch.outcomes


@contextmanager
def ray_head() -> Iterator[str]:
    """A Ray instance already running on this computer (`ray start --head`), as a cluster's would be: its address."""
    port = 6390
    ray = [str(Path(sys.executable).with_name("ray"))]
    start = [*ray, "start", "--head", "--port", str(port), "--include-dashboard", "false", "--disable-usage-stats"]
    subprocess.run(start, check=True, capture_output=True)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([*ray, "stop"], check=False, capture_output=True)


def two_nodes(corpus: Path, model: str, db: Path) -> tuple[Row, dict[str, int]]:
    """One run on a cluster of two nodes of two logical CPUs each: a model worker and a reader on each."""
    with nodes_on_this_machine(os.environ["EARMARK_HOME"]) as cluster:
        os.environ["RAY_AUTH_MODE"] = "disabled"  # as that cluster runs
        try:
            row, run, _ = tag("4. Ray, two nodes on this machine (2 + 2 logical CPUs)", corpus, model,
                              EngineSpec("ray", address=cluster.address), db)  # fmt: skip
        finally:
            del os.environ["RAY_AUTH_MODE"]
        shares = {("head node" if node == cluster.head else "second node"): n for node, n in run.engine.nodes.items()}
    return row, shares


def writer(outcomes: list[FileTags], model: str, db: Path, copies: int) -> tuple[float, float, int]:
    """The store's single writer alone: ``copies`` x the run's results, one transaction a file (files/s, rows/s)."""
    db.unlink(missing_ok=True)
    with Store(db) as store:
        model_id = store.register_model(model, "bench", "/bench", [s.label for s in outcomes[0].labels], {}, None)
        run_id = store.start_run(model_id, ["/bench"])
        rows = 0
        started = time.perf_counter()
        for copy in range(copies):
            for tags in outcomes:
                stat = FileStat(Path(f"/bench/{copy}/{tags.stat.path.name}"), tags.stat.size, tags.stat.mtime)
                store.save_tags(run_id, model_id, model, dataclasses.replace(tags, stat=stat), "full")
                rows += 1 + len(tags.labels) + sum(len(segment.labels) for segment in tags.segments)
        wall = time.perf_counter() - started
    files = copies * len(outcomes)
    return files / wall, rows / wall, rows // files


def report(rows: list[Row], shares: dict[str, int], written: tuple[float, float, int], corpus: str, load: float) -> str:
    local = rows[0]
    node_rate = rows[2].steady
    files_s, rows_s, rows_per_file = written
    lines = [
        f"## The Ray engine, {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Machine: {machine()}; load average (1 min) when it started {load:.1f}.",
        "",
        f"Corpus: {corpus}.",
        "",
        "| run | wall s | first file s | files/s | vs local | files/s after the first | vs local |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        ratios = f"{row.rate / local.rate:.0%} | {row.steady:.2f} | {row.steady / local.steady:.0%}"
        lines.append(f"| {row.name} | {row.wall_s:.1f} | {row.first_s:.1f} | {row.rate:.2f} | {ratios} |")
    total = sum(shares.values())
    lines += [
        "",
        "Two nodes, each node's share of the files (read and decoded there): "
        + ", ".join(f"{name} {count} ({count / total:.0%})" for name, count in sorted(shares.items())),
        "",
        f"The store's single writer alone: {files_s:.0f} files/s ({rows_s:,.0f} rows/s, {rows_per_file} rows a file:"
        " the analysis, every label, each segment's top labels), one transaction a file.",
        "",
        f"On paper: N machines like this one tag about N x {node_rate:.2f} files/s once started (row 3, after the"
        f" first file); the driver's single writer keeps up until N x {node_rate:.2f} = {files_s:.0f} files/s, about"
        f" {files_s / node_rate:.0f} machines.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=120, help="30 s files in the corpus")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "earmark-ray-bench-corpus")
    parser.add_argument("--copies", type=int, default=20, help="times the results are written again for the writer")
    args = parser.parse_args()
    os.environ.setdefault("EARMARK_HOME", str(Path(tempfile.gettempdir()) / "earmark-bench-home"))
    files = build(args.corpus, args.files, long_files=0)
    corpus = f"{len(files)} x 30 s clips in ogg/mp3/flac/wav at 44.1 kHz stereo, model {args.model}"
    load = os.getloadavg()[0]
    print(f"{corpus}; {machine()}; load {load:.1f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="earmark-ray-bench-"))

    local, _, outcomes = tag("1. local engine", args.corpus, args.model, EngineSpec(), work / "local.db")
    rows = [local]
    rows.append(tag("2. Ray, local instance started by the run", args.corpus, args.model, EngineSpec("ray"),
                    work / "ray.db")[0])  # fmt: skip
    with ray_head() as address:
        rows.append(tag("3. Ray, local instance already running", args.corpus, args.model,
                        EngineSpec("ray", address=address), work / "running.db")[0])  # fmt: skip
    cluster_row, shares = two_nodes(args.corpus, args.model, work / "nodes.db")
    rows.append(cluster_row)
    written = writer(outcomes, args.model, work / "writer.db", args.copies)
    text = report(rows, shares, written, corpus, load)
    out = Path(__file__).parent / "results" / f"ray_engine-{time.strftime('%Y%m%d-%H%M')}.md"
    out.write_text(text + "\n", encoding="utf-8")
    print("\n" + text + f"\n\nwritten to {out}")


if __name__ == "__main__":
    main()
