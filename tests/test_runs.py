"""The runs layer as a user meets it: planning before loading, one builder, honest run rows, installs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.models.catalog import DEFAULT_MODEL
from core.models.install import install, staging
from core.runs.build import build_run
from core.runs.engines import EngineSpec
from core.runs.options import RequestError, TagOptions
from core.runs.requests import TagRequest
from core.store import Store
from tests.audio_factory import chords, write


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    for i in range(3):
        write(tmp_path / "lib" / f"song{i}.wav", chords(3.0, seed=i), 22050)
    return tmp_path / "lib"


def test_a_rerun_over_an_unchanged_folder_loads_no_model(folder: Path, tiny_model: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    args = ["tag", str(folder), "--model", str(tiny_model), "--db", str(db), "--quiet"]
    assert main(args) == 0
    probe = (
        "import sys; from core.cli import main; code = main(sys.argv[1:]);"
        "print(code, 'torch' in sys.modules, 'transformers' in sys.modules)"
    )
    rerun = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=False,
                           env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})  # fmt: skip
    assert rerun.stdout.split() == ["0", "False", "False"], rerun.stderr
    assert "Nothing to tag: 3 file(s) unchanged" in rerun.stderr


def test_the_model_loads_only_when_there_is_work(folder: Path, tiny_model: Path, tmp_path: Path) -> None:
    request = TagRequest((folder,), str(tiny_model), options=TagOptions())
    with Store(tmp_path / "l.db") as store:
        first = build_run(request, store)
        assert first.run(list(request.paths)).tagged == 3 and first.task is not None
        again = build_run(request, store)
        assert again.run(list(request.paths)).skipped == 3 and again.task is None
        backends = [row["backend"] for row in store.runs()]
    assert backends == ["torch on cpu", None]


def test_a_run_that_cannot_load_its_model_is_recorded_failed(folder: Path, tiny_model: Path, tmp_path: Path, capsys):
    db = tmp_path / "f.db"
    code = main(["tag", str(folder), "--model", str(tiny_model), "--backend", "onnx", "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "has no ONNX export" in err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("failed",)]


def test_bad_requests_are_refused_before_anything_is_read(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(RequestError, match="no such file or folder: /no/where"):
        TagRequest((Path("/no/where"),))
    with pytest.raises(RequestError, match="must be positive"):
        TagOptions(segment_top_k=0)
    with pytest.raises(RequestError, match="unknown engine 'warp'"):
        TagRequest((folder,), engine=EngineSpec("warp"))


def test_an_install_replaces_whole_folders_and_clears_what_dead_processes_left(tmp_path: Path) -> None:
    target = tmp_path / "models" / "m"
    target.mkdir(parents=True)
    (target / "old.txt").write_text("old")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / "models" / ".m-killed"
    abandoned.mkdir()
    (abandoned / ".owner-pid").write_text(str(dead.pid))
    running = tmp_path / "models" / ".m-running"
    running.mkdir()
    (running / ".owner-pid").write_text(str(os.getpid()))  # another install of the same model, under way
    with staging(target) as scratch:
        assert not abandoned.exists() and running.exists()
        built = scratch / "m"
        built.mkdir()
        (built / "new.txt").write_text("new")
        assert (target / "old.txt").exists()  # nothing changes until the folder is complete
        install(built, target)
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert sorted(p.name for p in target.parent.iterdir()) == [".m-running", "m"]


@pytest.mark.slow
def test_earmark_check_tags_and_listens_offline(capsys) -> None:
    assert main(["check", "tag", "listen"]) == 0
    out = capsys.readouterr().out
    assert f"tag: {DEFAULT_MODEL} on " in out and "listen: wake words: okay_nabu" in out
    assert main(["check", "sing"]) == 1
    assert "no check sing (use tag, listen, calls, train)" in capsys.readouterr().err
