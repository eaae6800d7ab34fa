"""Trying to break Earmark as a hostile user would: every failure found once, made again here.

Each bad input gets a clear one-line error and loses nothing; a killed run resumes without
duplicates; a refused model says why. No traceback reaches the user.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.cli import main
from core.paths import models_dir
from core.store import Store
from tests.audio_factory import bad_corpus, chords, hostile_corpus, labelled_folder, speak, write

ROOT = Path(__file__).resolve().parents[1]


def earmark(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "core", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, **kwargs)  # fmt: skip


def clean(err: str) -> None:
    """What a user must never see on the terminal."""
    assert "Traceback" not in err and "\x1b" not in err and "\x07" not in err
    assert not any(line.startswith(("Note:", "Warning:", "[src/")) for line in err.splitlines()), err


def test_hostile_files_are_error_rows_with_reasons_and_the_run_goes_on(capfd, tmp_path: Path, tiny_model: Path):
    """capfd, not capsys: a decoder library writing to the terminal bypasses Python's streams."""
    capsys = capfd
    library = tmp_path / "lib"
    write(library / "good.wav", chords(4.0), 22050)
    hostile = hostile_corpus(library / "hostile")
    bad = bad_corpus(library / "bad")  # with a text file named .mp3, which libmpg123 used to comment on
    db = str(tmp_path / "h.db")
    code = main(["tag", str(library), "--model", str(tiny_model), "--db", db])
    _, err = capsys.readouterr()
    assert code == 0 and "Tagged 1 file(s)" in err and f"{len(hostile) + len(bad)} failed" in err
    clean(err)
    assert "\\x1b[2Jclear\\x1b]0;owned\\x07.wav" in err  # the name, shown escaped
    assert main(["results", "--db", db, "--format", "json", "--status", "error"]) == 0
    rows = {Path(row["path"]).name: row["error"] for row in json.loads(capsys.readouterr().out)}
    assert set(rows) == set(hostile) | set(bad)  # JSON keeps the exact names
    for name, (_, reason) in hostile.items():
        assert reason in rows[name], (name, rows[name])
    assert main(["results", "--db", db]) == 0
    clean(capsys.readouterr().out)

    assert main(["tag", str(library / "hostile"), "--task", "keywords", "--db", db, "--wake", "okay_nabu"]) == 0
    _, err = capsys.readouterr()
    assert f"{len(hostile)} failed" in err
    clean(err)


def test_fifos_and_devices_named_on_the_command_line_are_not_regular_files(capsys, tmp_path: Path, tiny_model: Path):
    assert main(["tag", "/dev/zero", "--model", str(tiny_model), "--db", str(tmp_path / "d.db"), "--quiet"]) == 0
    assert "/dev/zero: not a regular file (a device or socket)" in capsys.readouterr().err


def test_a_full_disk_stops_the_run_in_one_line_and_keeps_what_was_done(capsys, tmp_path, tiny_model, monkeypatch):
    """The disk fills up mid-run (a database capped at a few pages more than it holds at the start)."""
    import core.cli.tag

    library = tmp_path / "lib"
    for i in range(30):
        write(library / f"song{i:02d}.wav", chords(3.0, seed=i), 22050)
    db = tmp_path / "full.db"

    def nearly_full(path):
        store = Store(path)
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 2}")
        return store

    monkeypatch.setattr(core.cli.tag, "open_store", nearly_full)
    args = ["tag", str(library), "--model", str(tiny_model), "--db", str(db), "--quiet"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"the disk holding {db} is full" in err and "rerun to resume" in err
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
        assert conn.execute("SELECT status FROM runs").fetchall() == [("failed",)]
    assert 1 <= kept < 30 and f"{kept} file(s) done are kept" in err
    monkeypatch.undo()  # space again: the same command resumes
    assert main(args) == 0
    assert f"Tagged {30 - kept} file(s)" in capsys.readouterr().err


def test_database_trouble_is_one_line(capsys, tmp_path: Path, tiny_model: Path, monkeypatch) -> None:
    import core.store.database
    import core.store.schema

    library = tmp_path / "lib"
    write(library / "a.wav", chords(3.0), 22050)
    db = tmp_path / "t.db"
    tag = ["tag", str(library), "--model", str(tiny_model), "--db", str(db), "--quiet", "--force"]
    assert main(tag) == 0
    capsys.readouterr()

    real_connect = sqlite3.connect  # a database file the user may read but not write
    monkeypatch.setattr(core.store.database.sqlite3, "connect",
                        lambda path, **kw: real_connect(f"file:{path}?mode=ro", uri=True, **kw))  # fmt: skip
    assert main(tag) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{db} is read-only" in err
    monkeypatch.undo()

    monkeypatch.setattr(core.store.database, "BUSY_TIMEOUT_S", 0.3)  # another writer holds it, for longer
    monkeypatch.setattr(core.store.schema, "BUSY_TIMEOUT_S", 0.3)
    with sqlite3.connect(db) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        assert main(tag) == 1
        holder.rollback()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is in use by another program" in err
    monkeypatch.undo()

    data = bytearray(db.read_bytes())
    data[4096 * 2 : 4096 * 6] = os.urandom(4096 * 4)  # damaged pages
    db.write_bytes(bytes(data))
    for command in (tag, ["results", "--db", str(db)]):
        assert main(command) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is damaged" in err and "move it aside" in err, err


def test_results_into_head_stops_quietly(tmp_path: Path, tiny_model: Path) -> None:
    for i in range(40):
        write(tmp_path / "lib" / f"s{i:02d}.wav", chords(1.0, seed=i), 16000)
    db = str(tmp_path / "p.db")
    assert main(["tag", str(tmp_path / "lib"), "--model", str(tiny_model), "--db", db, "--quiet"]) == 0
    for command in (f"results --db {db}", f"results --db {db} --format json", f"models info {tiny_model}"):
        result = subprocess.run(f"{sys.executable} -m core {command} | head -1", shell=True, capture_output=True,
                                text=True, cwd=ROOT, check=False)  # fmt: skip
        assert result.stderr.count("\n") <= 1 and "Error" not in result.stderr, result.stderr
        assert result.stdout.count("\n") == 1


@pytest.mark.slow
def test_processes_creating_one_database_at_once_all_succeed(tmp_path: Path) -> None:
    script = "import sys; from pathlib import Path; from core.store import Store; Store(Path(sys.argv[1])).close()"
    for trial in range(10):
        db = tmp_path / f"new{trial}.db"
        processes = [subprocess.Popen([sys.executable, "-c", script, str(db)], stderr=subprocess.PIPE, text=True,
                                      cwd=ROOT) for _ in range(4)]  # fmt: skip
        errors = [p.communicate()[1] for p in processes]
        assert all(p.returncode == 0 for p in processes), errors
        with Store(db) as store:
            assert store.schema_version >= 6


@pytest.mark.slow
def test_sigterm_stops_a_run_as_ctrl_c_does_and_a_killed_run_is_marked_interrupted(tmp_path: Path) -> None:
    library, db = tmp_path / "lib", tmp_path / "s.db"
    for i in range(40):
        write(library / f"track{i:02d}.wav", chords(6.0, 16000, seed=i), 16000)

    def committed() -> int:
        try:
            with sqlite3.connect(db) as conn:
                return conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            return 0

    def start_then(sig: int) -> subprocess.Popen:
        before = committed()
        process = earmark("tag", str(library), "--db", str(db), "--quiet", "--batch-size", "4")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None and committed() < before + 2:
            time.sleep(0.05)
        assert process.poll() is None, "the run finished before the signal could be sent"
        process.send_signal(sig)
        return process

    process = start_then(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 143 and "Interrupted:" in err and "Traceback" not in err
    process = start_then(signal.SIGKILL)
    process.communicate(timeout=60)
    finished = earmark("tag", str(library), "--db", str(db), "--quiet")
    _, err = finished.communicate(timeout=300)
    assert finished.returncode == 0, err
    with sqlite3.connect(db) as conn:
        statuses = [row[0] for row in conn.execute("SELECT status FROM runs ORDER BY id")]
        assert conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 40
    assert statuses == ["interrupted", "interrupted", "completed"]


@pytest.mark.slow
def test_ctrl_c_during_training_installs_the_best_finished_epoch(tmp_path: Path, tiny_model: Path) -> None:
    folder = labelled_folder(tmp_path / "sounds")
    env = {**os.environ, "EARMARK_HOME": str(tmp_path / "home")}
    process = earmark("train", str(folder), "--base", str(tiny_model), "--out", "x", "--epochs", "200",
                      "--patience", "200", "--batch-size", "2", env=env)  # fmt: skip
    lines = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if line.startswith("epoch 2:"):
            process.send_signal(signal.SIGINT)
            break
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "cancelling after the current step" in err and "Traceback" not in err and "terminate" not in err
    assert "installed x at" in out and "cancelled" in out
    installed = tmp_path / "home" / "models" / "x"
    assert (installed / "model.safetensors").is_file()
    assert not list(installed.parent.glob(".train-*"))


def test_a_built_in_model_name_cannot_be_taken(capsys, tmp_path: Path, tiny_model: Path) -> None:
    folder = labelled_folder(tmp_path / "sounds")
    for replace in ([], ["--replace"]):
        assert main(["train", str(folder), "--base", str(tiny_model), "--out", "musicnn-msd", *replace]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "'musicnn-msd' is the name of a built-in model" in err
    assert not (models_dir() / "musicnn-msd" / "training_report.json").exists()


def test_training_lists_unreadable_files_and_clears_what_killed_runs_left(capsys, tmp_path: Path, tiny_model: Path):
    folder = labelled_folder(tmp_path / "few", per_label=3)  # too few: the error names the unreadable file
    assert main(["train", str(folder), "--base", str(tiny_model)]) == 1
    err = capsys.readouterr().err
    assert "1 unreadable files were skipped:" in err and "corrupt.wav:" in err

    killed = models_dir() / ".train-other-k1ll3d"  # a killed run of another model's name
    (killed / "checkpoints").mkdir(parents=True)
    folder = labelled_folder(tmp_path / "enough")
    assert main(["train", str(folder), "--base", str(tiny_model), "--out", "y", "--epochs", "1"]) == 0
    assert not killed.exists()


def test_damaged_models_are_refused_in_one_line(capsys, tmp_path: Path, tiny_model: Path) -> None:
    import shutil

    library = tmp_path / "lib"
    write(library / "a.wav", chords(3.0), 22050)
    cut = shutil.copytree(tiny_model, tmp_path / "cut")
    weights = (cut / "model.safetensors").read_bytes()
    (cut / "model.safetensors").write_bytes(weights[: len(weights) // 2])
    labels = shutil.copytree(tiny_model, tmp_path / "labels")
    config = json.loads((labels / "config.json").read_text())
    config["id2label"] = {str(i): f"l{i}" for i in range(2_000_000)}
    (labels / "config.json").write_text(json.dumps(config))
    for model, reason in ((cut, "is cut short"), (labels, "names 2000000 labels but the weights' classifier has 8")):
        for command in (["tag", str(library), "--model", str(model), "--db", str(tmp_path / "m.db")],
                        ["models", "info", str(model)]):  # fmt: skip
            assert main(command) == 1
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and reason in err, err

    exported = shutil.copytree(tiny_model, tmp_path / "exported")
    (exported / "onnx").mkdir()
    (exported / "onnx" / "export.json").write_text("{not json")
    assert main(["models", "info", str(exported)]) == 0
    assert "exports:      none" in capsys.readouterr().out
    assert main(["tag", str(library), "--model", str(exported), "--db", str(tmp_path / "m.db"), "--quiet"]) == 0
    assert main(["tag", str(library), "--model", str(exported), "--backend", "onnx", "--force",
                 "--db", str(tmp_path / "m.db")]) == 1  # fmt: skip
    assert "has no ONNX export for this version" in capsys.readouterr().err


def test_a_recording_listened_to_twice_keeps_its_detections_once(capsys, tmp_path: Path) -> None:
    path, _ = speak(tmp_path / "call.wav", "okay nabu")
    db = str(tmp_path / "l.db")
    for _ in range(2):
        assert main(["listen", str(path), "--wake", "okay_nabu", "--db", db]) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM detections").fetchone()[0] == 1
    capsys.readouterr()
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEjunk")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert main(["listen", str(broken), str(empty), "--no-store"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == "earmark: no recording could be read"


def test_an_unexpected_failure_is_one_line_not_a_traceback(capsys, monkeypatch, tmp_path: Path) -> None:
    import core.cli.results

    def broken(_args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(core.cli.results, "run", broken)
    monkeypatch.delenv("EARMARK_DEBUG", raising=False)
    assert main(["results", "--db", str(tmp_path / "x.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ZeroDivisionError: division by zero" in err and "EARMARK_DEBUG=1" in err


def test_names_with_terminal_escapes_are_printed_escaped_and_refusals_line_by_line(capsys, tmp_path: Path) -> None:
    # The reported output: label folders named with escape codes or line breaks printed raw (train),
    # and a training refusal's list of problems printed as one line with literal "\n" in it.
    folder = tmp_path / "labelled"
    write(folder / "\x1b[2Jwiped" / "a.wav", chords(2.0), 16000)
    write(folder / "two\nlines" / "b.wav", chords(2.0), 16000)
    assert main(["train", str(folder), "--out", "escaped"]) == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2Jwiped" in err and "two\\nlines" in err
    lines = err.splitlines()
    assert len(lines) > 1 and all(line.startswith("earmark: ") for line in lines) and "\\n  " not in err


def test_ctrl_c_is_never_lost_even_inside_a_finalizer(capsys, tmp_path: Path, tiny_model: Path, monkeypatch) -> None:
    # The Ctrl-C test's flake (exit 0 after Ctrl-C): a KeyboardInterrupt raised while Python runs a finalizer
    # is printed as "ignored" and dropped, and the run went on to the end. Ctrl-C now sets the run's stop flag.
    import core.cli.common
    from core.cli.progress import TerminalProgress

    monkeypatch.setattr(core.cli.common, "_signals", [])  # this process's own record of signals, fresh
    for i in range(12):
        write(tmp_path / "lib" / f"song{i:02d}.wav", chords(3.0, seed=i), 22050)

    class Finalised:
        def __del__(self) -> None:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, arriving while a finalizer runs

    done = []
    file_done = TerminalProgress.file_done

    def ctrl_c_in_a_finalizer(self, outcome) -> None:
        file_done(self, outcome)
        done.append(outcome)
        if len(done) == 2:
            Finalised()  # made and dropped at once: its __del__ runs here

    monkeypatch.setattr(TerminalProgress, "file_done", ctrl_c_in_a_finalizer)
    code = main(["tag", str(tmp_path / "lib"), "--model", str(tiny_model), "--db", str(tmp_path / "i.db"), "--quiet"])
    assert code == 130 and "Interrupted:" in capsys.readouterr().err and len(done) < 12


def test_a_full_disk_while_preparing_a_built_in_model_is_one_line(capsys, tmp_path: Path, monkeypatch) -> None:
    import errno

    import core.models.registry

    def full(target, build):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setenv("EARMARK_HOME", str(tmp_path / "home"))  # a first run: the built-in is converted now
    monkeypatch.setattr(core.models.registry, "install_built", full)
    write(tmp_path / "lib" / "a.wav", chords(3.0), 22050)
    assert main(["tag", str(tmp_path / "lib"), "--db", str(tmp_path / "f.db"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a bug" not in err
    assert err.startswith("earmark: cannot prepare model musicnn-merged: the disk holding ") and "is full" in err
