"""The Ray engine as a user meets it: the local engine's results on a cluster, faults survived, clear refusals.

The slow tests run on a two-node cluster on this machine (``ray.cluster_utils.Cluster``: two raylets
on loopback, in a process of their own), so that files really are spread over nodes; the kill -9
story runs the CLI, which starts its own Ray instance as a user's would. Ray never runs in the test
process itself, nor in Earmark's: its driver has a process of its own.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from core.cli import main
from core.records import FileStat
from core.runs.build import build_run
from core.runs.engines import EngineSpec, engine
from core.runs.engines.folders import pack, unpacked
from core.runs.observer import RunObserver
from core.runs.options import RequestError, TagOptions
from core.runs.requests import TagRequest
from core.scan import file_stat
from core.store import Store
from tests.audio_factory import bad_corpus, chords, good_corpus, hostile_corpus, keyword_examples, speak, write
from tests.ray_cluster import TwoNodes, two_nodes

RAY_LOG_LINE = re.compile(r"\.(cc|py):\d+|\b(INFO|WARNING|ERROR)\b|Traceback|ray::")


def earmark(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, check=False, **kwargs)


def library(root: Path, files: int, seconds: float = 6.0) -> Path:
    for i in range(files):
        write(root / f"track{i:02d}.wav", chords(seconds, 16000, seed=i), 16000)
    return root


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoNodes]:
    """Two Ray nodes of 2 CPUs each on this machine, in a process of their own; the runs join them by address."""
    pytest.importorskip("ray")
    with two_nodes(str(tmp_path_factory.getbasetemp() / "earmark-home")) as nodes, pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_AUTH_MODE", "disabled")  # as the cluster was started (the drivers inherit it)
        yield nodes


def on(cluster: TwoNodes) -> EngineSpec:
    return EngineSpec("ray", address=cluster.address)


def tag(db: Path, folder: Path, model: Path, spec: EngineSpec, observer: RunObserver | None = None):
    with Store(db) as store:
        run = build_run(TagRequest((folder,), str(model), engine=spec), store, observer)
        summary = run.run([folder])
        rows = {row.path: row for row in store.results(run.analyser.name, top_k=0)}
        segments = {path: store.segments(path, run.analyser.name) for path in rows}
    return run, summary, rows, segments


def close(got: dict, want: dict) -> bool:
    """The same keys, every score within 1e-4."""
    return got.keys() == want.keys() and all(abs(got[key] - want[key]) < 1e-4 for key in want)


# --- fast: refusals and the pieces, no cluster -------------------------------------------------------------


def test_a_bad_cluster_address_is_one_clear_line(tiny_model: Path, tmp_path: Path) -> None:
    folder = library(tmp_path / "lib", 1)
    command = ["tag", str(folder), "--model", str(tiny_model), "--db", str(tmp_path / "a.db"), "--engine", "ray"]
    result = earmark(*command, "--ray-address", "127.0.0.1:1")
    assert result.returncode == 1
    assert result.stderr.strip() == "earmark: cannot reach a Ray cluster at 127.0.0.1:1: connection refused"
    result = earmark("tag", str(folder), "--db", str(tmp_path / "a.db"), "--ray-address", "nowhere")
    assert result.returncode == 1
    assert result.stderr.strip() == "earmark: a Ray address and GPUs per worker need --engine ray"
    with pytest.raises(RequestError, match="bad Ray address 'nowhere'"):
        engine(EngineSpec("ray", address="nowhere"))
    for share in ("nan", "inf", "-1"):  # nan passed the check, then crashed the run
        result = earmark(*command, "--gpus-per-worker", share)
        assert result.returncode == 1
        assert result.stderr.strip() == "earmark: workers must be positive and GPUs per worker a number, not negative"


def test_a_port_that_is_not_ray_is_said_at_once(tiny_model: Path, tmp_path: Path, monkeypatch) -> None:
    # The reported hang: an address whose port answered, but not as Ray, waited for minutes with no word.
    pytest.importorskip("ray")
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import core.runs.engines.ray as ray_engine

    web = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    folder = library(tmp_path / "lib", 1)
    try:
        address = f"127.0.0.1:{web.server_address[1]}"
        started = time.monotonic()
        result = earmark("tag", str(folder), "--model", str(tiny_model), "--db", str(tmp_path / "a.db"), "--engine",
                         "ray", "--ray-address", address)  # fmt: skip
        assert time.monotonic() - started < 60 and result.returncode == 1
        assert result.stderr.strip() == f"earmark: {address} is not a Ray cluster's head (it does not answer as Ray" \
            " does): check the port that `ray start --head` printed"  # fmt: skip
        monkeypatch.setattr(ray_engine, "CONNECT_TIMEOUT_S", 0.5)
        with pytest.raises(RequestError, match="is not a Ray cluster's head"):
            ray_engine.check_address(f"127.0.0.1:{silent.getsockname()[1]}")
    finally:
        web.shutdown()
        silent.close()


def test_without_ray_installed_the_engine_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails, as where the extra is not installed
    monkeypatch.delitem(sys.modules, "core.runs.engines.ray", raising=False)
    with pytest.raises(RequestError, match=r'the Ray engine needs Ray on this computer: pip install "earmark\[ray\]"'):
        engine(EngineSpec("ray"))


def test_people_who_never_ask_for_ray_never_load_it() -> None:
    code = (
        "import sys, core.cli, core.runs.build, core.runs.tasks, desktop_app.pages.settings;"
        "from core.runs.engines import EngineSpec, engine; engine(EngineSpec());"
        "sys.exit('ray' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_tasks_recipe_travels_and_makes_the_same_task(tiny_model: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as store:
        run = build_run(TagRequest((tmp_path,), str(tiny_model)), store)
        task = run.load()
    recipe = pickle.loads(pickle.dumps(task.recipe))
    packed = pack(tiny_model)
    copy = unpacked(packed.name, packed.digest, lambda: packed, root=tmp_path / "cache")
    assert copy.name == tiny_model.name and copy != tiny_model
    again = recipe.build({"folder": copy}, device="cpu")
    assert again.analyser.labels == task.analyser.labels and again.analyser.version == task.analyser.version


def test_a_shipped_folder_is_unpacked_once_per_machine_and_whole(tiny_model: Path, tmp_path: Path) -> None:
    packed = pack(tiny_model)
    fetched: list[int] = []

    def fetch():
        fetched.append(1)
        return packed

    first = unpacked(packed.name, packed.digest, fetch, root=tmp_path)
    second = unpacked(packed.name, packed.digest, fetch, root=tmp_path)
    assert first == second and len(fetched) == 1
    assert {p.name: p.read_bytes() for p in first.iterdir()} == {p.name: p.read_bytes() for p in tiny_model.iterdir()}
    assert [p.name for p in first.parent.parent.iterdir()] == [packed.digest]  # no scratch folder left behind


# --- slow: a two-node cluster in this process --------------------------------------------------------------


@pytest.mark.slow
def test_ray_writes_what_the_local_engine_writes(cluster, tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    good_corpus(folder / "good")
    bad_corpus(folder / "bad")
    hostile = hostile_corpus(folder / "hostile")
    library(folder / "more", 8)
    _, local, local_rows, local_segments = tag(tmp_path / "local.db", folder, tiny_model, EngineSpec())
    run, remote, rows, segments = tag(tmp_path / "ray.db", folder, tiny_model, on(cluster))

    assert (remote.tagged, remote.failed) == (local.tagged, local.failed) and local.tagged >= 16
    assert rows.keys() == local_rows.keys()
    for path, row in rows.items():
        expected = local_rows[path]
        assert (row.status, row.error, row.duration_s) == (expected.status, expected.error, expected.duration_s)
        assert close({i.label: i.score for i in row.labels}, {i.label: i.score for i in expected.labels}), path
        timeline = {(s, start, end, label): score for s, start, end, label, score in segments[path]}
        assert close(timeline, {(s, start, end, label): p for s, start, end, label, p in local_segments[path]}), path
    for name, (path, reason) in hostile.items():
        assert reason in rows[str(path)].error, name
    assert len(run.engine.nodes) == 2 and sum(run.engine.nodes.values()) == len(rows)  # both nodes read files


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is installed by `make test`")
def test_keyword_search_on_ray_hears_what_the_local_engine_hears(cluster, tmp_path: Path) -> None:
    examples = keyword_examples(tmp_path / "examples")  # a folder the workers get a copy of
    calls = tmp_path / "calls"
    calls.mkdir()
    speak(calls / "alexa.wav", "alexa", "en-us+m3")
    speak(calls / "lights.wav", "okay, lights on please", "en-us+m3")
    heard = {}
    for name in ("local", "ray"):
        db = tmp_path / f"{name}.db"
        argv = ["tag", "--task", "keywords", "--wake", "alexa", "--keyword-examples", str(examples), "--db", str(db)]
        where = ["--ray-address", cluster.address] if name == "ray" else []
        assert main([*argv, "--quiet", "--engine", name, *where, str(calls)]) == 0
        with Store(db) as store:
            model = f"keywords:{examples.name}"
            heard[name] = {row.path: store.segments(row.path, model) for row in store.results(model, top_k=0)}
    assert heard["ray"] == heard["local"]
    assert [hit[3] for hit in heard["ray"][str(calls / "lights.wav")]] == ["lights_on"]


@pytest.mark.slow
def test_a_file_no_worker_can_see_gets_an_error_row_that_says_why(cluster, tiny_model: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "n.db") as store:
        task = build_run(TagRequest((tmp_path,), str(tiny_model)), store).load()
    outcomes: list = []
    missing = FileStat(tmp_path / "elsewhere" / "song.wav", 1000, 1.0)
    engine(on(cluster)).execute(task, [missing], TagOptions(), outcomes.append, RunObserver(), threading.Event())
    [failure] = outcomes
    assert failure.stat == missing
    assert failure.error.startswith("not found on Ray node ")
    assert "a filesystem every node mounts at the same path" in failure.error


@pytest.mark.slow
def test_a_worker_that_cannot_load_the_model_ends_the_run_with_one_line(cluster, tiny_model, tmp_path) -> None:
    from core.runs.engines.ray import ClusterError

    folder = library(tmp_path / "lib", 2)
    with Store(tmp_path / "m.db") as store:
        task = build_run(TagRequest((folder,), str(tiny_model)), store).load()
    (tmp_path / "hollow").mkdir()
    (tmp_path / "hollow" / "weights.bin").write_bytes(b"not a model")
    task.recipe = replace(task.recipe, folders={"folder": tmp_path / "hollow"})  # what a worker would be sent
    jobs = [file_stat(path) for path in sorted(folder.iterdir())]
    with pytest.raises(ClusterError, match=r"^the Ray cluster failed: .*ModelError: .*hollow has no config\.json"):
        engine(on(cluster)).execute(task, jobs, TagOptions(), print, RunObserver(), threading.Event())


class KillsAModelWorker(RunObserver):
    """Kills one model worker's process (kill -9) once ``after`` files are written."""

    def __init__(self, after: int) -> None:
        self.after, self.done, self.killed = after, 0, None

    def file_done(self, outcome) -> None:
        self.done += 1
        if self.done == self.after:
            self.killed = worker_pids("_Scorer")[0]
            os.kill(self.killed, signal.SIGKILL)


def worker_pids(stage: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(
                f"ray::MapWorker(MapBatches({stage}))".encode()
            ):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.mark.slow
def test_a_killed_worker_is_restarted_and_every_file_is_written_once(cluster, tiny_model: Path, tmp_path: Path) -> None:
    folder = library(tmp_path / "lib", 24)
    killer = KillsAModelWorker(after=3)
    _, summary, rows, _ = tag(tmp_path / "w.db", folder, tiny_model, on(cluster), killer)
    assert killer.killed is not None and killer.killed not in worker_pids("_Scorer")
    assert (summary.tagged, summary.failed) == (24, 0)
    assert sorted(rows) == sorted(str(p) for p in folder.iterdir()) and all(r.status == "tagged" for r in rows.values())
    with sqlite3.connect(tmp_path / "w.db") as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT file_id) FROM analyses").fetchone() == (24, 24)


@pytest.mark.slow
def test_kill_9_of_the_driver_then_a_rerun_resumes_without_duplicates(tiny_model: Path, tmp_path: Path) -> None:
    folder, db = library(tmp_path / "lib", 24), tmp_path / "k.db"
    command = ["tag", str(folder), "--model", str(tiny_model), "--db", str(db), "--engine", "ray", "--quiet"]
    process = subprocess.Popen([sys.executable, "-m", "core", *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    committed, deadline = 0, time.monotonic() + 300
    while committed < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        try:
            with sqlite3.connect(db) as conn:
                committed = conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
        except sqlite3.OperationalError:
            continue
    assert process.poll() is None, process.communicate()[1]
    process.kill()
    process.communicate()
    with sqlite3.connect(db) as conn:
        done_before = conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
        labels = conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0]
    assert 3 <= done_before < 24 and labels % done_before == 0  # whole files only

    result = earmark(*command)
    assert result.returncode == 0, result.stderr
    assert f"Tagged {24 - done_before} file(s)" in result.stderr
    assert not RAY_LOG_LINE.search(result.stderr), result.stderr  # Ray stays quiet on the terminal
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT file_id) FROM analyses").fetchone() == (24, 24)
        assert conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 24 * labels // done_before
        assert [row[0] for row in conn.execute("SELECT status FROM runs ORDER BY id")] == ["interrupted", "completed"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.slow
def test_the_readme_example_joins_a_cluster_started_with_ray_start(tiny_model: Path, tmp_path: Path) -> None:
    port, folder, db = free_port(), library(tmp_path / "lib", 4), tmp_path / "j.db"
    ray_cli = Path(sys.executable).with_name("ray")
    start = [str(ray_cli), "start", "--head", "--block", "--port", str(port), "--num-cpus", "2"]
    head = subprocess.Popen([*start, "--include-dashboard", "false", "--disable-usage-stats"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not listening(port) and time.monotonic() < deadline:
            time.sleep(1)
        result = earmark("tag", str(folder), "--model", str(tiny_model), "--db", str(db), "--engine", "ray",
                         "--ray-address", f"127.0.0.1:{port}", "--quiet")  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "Tagged 4 file(s)" in result.stderr and not RAY_LOG_LINE.search(result.stderr), result.stderr
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        head.wait(timeout=60)


# --- the app ------------------------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_model: Path):
    from PySide6.QtCore import QSettings

    from desktop_app.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("db_path", str(tmp_path / "gui.db"))
    settings.setValue("model", str(tiny_model))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.mark.gui
def test_settings_choose_a_ray_cluster_and_check_the_connection(qtbot, window, tmp_path: Path) -> None:
    page = window.settings_page
    assert page.engine.currentText() == "This computer" and not page.check.isEnabled()
    page.engine.setCurrentIndex(page.engine.findData("ray"))
    assert page.check.isEnabled()
    page.ray_address.setText("127.0.0.1:1")
    page.ray_address.editingFinished.emit()
    page.check.click()
    qtbot.waitUntil(lambda: "connection refused" in page.cluster_status.text(), timeout=30_000)
    assert page.cluster_status.text() == "cannot reach a Ray cluster at 127.0.0.1:1: connection refused"
    request = window._request([tmp_path], "tags", None)
    assert request.engine == EngineSpec("ray", "127.0.0.1:1")


@pytest.mark.gui
@pytest.mark.slow
def test_the_app_tags_on_ray_with_the_same_progress(qtbot, window, tmp_path: Path) -> None:
    folder = library(tmp_path / "music", 6)
    window.settings_page.engine.setCurrentIndex(window.settings_page.engine.findData("ray"))
    window.library.add_folder(str(folder))
    with qtbot.waitSignal(window.run_ended, timeout=300_000) as ended:
        window.library.tag_button.click()
    summary = ended.args[0]
    assert (summary.tagged, summary.failed) == (6, 0)
    assert window.library.bar.value() == window.library.bar.maximum() == 6
