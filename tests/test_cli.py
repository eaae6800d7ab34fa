"""The CLI contract: exit codes, one-line reasons, JSON shape, filters."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from core.cli import main
from tests.audio_factory import bad_corpus, chords, write

METADATA = ("artist", "title", "album", "year", "track", "file_genre")  # the file's own tags, after the labels


@pytest.fixture
def library(tmp_path: Path) -> Path:
    for i in range(3):
        write(tmp_path / "lib" / f"song{i}.wav", chords(4.0, seed=i), 22050)
    bad_corpus(tmp_path / "lib" / "broken")
    return tmp_path / "lib"


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_tag_then_results_as_json(capsys, library: Path, tiny_model: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    code, out, err = run(capsys, "tag", str(library), "--model", str(tiny_model), "--db", db, "--json", "--quiet")
    assert code == 0  # completed, although four files failed
    tagged = json.loads(out)
    assert len(tagged) == 7
    assert "4 failed" in err and "failed: " in err

    code, out, _ = run(capsys, "results", "--db", db, "--format", "json", "--top-k", "0")
    assert code == 0
    listed = json.loads(out)
    assert [row["path"] for row in listed] == sorted(row["path"] for row in listed)
    by_status = {}
    for row in listed:
        assert set(row) == {"path", "status", "error", "duration_s", "model", "labels", *METADATA}
        by_status.setdefault(row["status"], []).append(row)
    assert len(by_status["tagged"]) == 3 and len(by_status["error"]) == 4
    assert all(row["error"] and row["labels"] == [] for row in by_status["error"])
    for row in by_status["tagged"]:
        assert row["model"] == "tiny-musicnn" and row["duration_s"] == pytest.approx(4.0, abs=0.05)
        scores = [label["score"] for label in row["labels"]]
        assert len(scores) == 8 and scores == sorted(scores, reverse=True)


def test_results_filters(capsys, library: Path, tiny_model: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "f.db")
    assert run(capsys, "tag", str(library), "--model", str(tiny_model), "--db", db, "--quiet")[0] == 0
    _, out, _ = run(capsys, "results", "--db", db, "--group", "mood", "--format", "json", "--status", "tagged")
    rows = json.loads(out)
    assert rows and all({label["label"] for label in row["labels"]} <= {"calm", "loud"} for row in rows)

    _, out, _ = run(capsys, "results", "--db", db, "--format", "json", "--top-k", "1", "--status", "tagged")
    top_label = json.loads(out)[0]["labels"][0]["label"]
    _, out, _ = run(capsys, "results", "--db", db, "--label", top_label, "--top-k", "1", "--format", "json")
    with_label = json.loads(out)
    assert with_label and all(row["labels"][0]["label"] == top_label for row in with_label)
    scores = [row["labels"][0]["score"] for row in with_label]
    assert scores == sorted(scores, reverse=True)

    _, out, _ = run(capsys, "results", "--db", db, "--min-score", "1.01", "--format", "json", "--status", "tagged")
    assert all(row["labels"] == [] for row in json.loads(out))

    _, out, _ = run(capsys, "results", "--db", db, "--format", "csv")
    assert out.splitlines()[0] == "path,status,error,duration_s,model,labels," + ",".join(METADATA)
    assert len(out.splitlines()) == 1 + 7


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["tag", "/no/such/folder"], "no such file or folder: /no/such/folder"),
        (["tag", ".", "--model", "not-a-model"], "no model 'not-a-model'"),
        (["tag", ".", "--model", "musicnn-msd", "--group", "tempo"], "no label group 'tempo'"),
        (["results", "--group", "genre"], "no Earmark database at"),  # a reading command makes no database
        (["search", "refund"], "no Earmark database at"),
    ],
)
def test_failures_exit_1_with_one_line(capsys, tmp_path: Path, args: list[str], reason: str) -> None:
    code, _, err = run(capsys, *args, "--db", str(tmp_path / "x.db"))
    assert code == 1
    err = "".join(line for line in err.splitlines(True) if "(first run only)" not in line)  # the model's conversion
    assert err.count("\n") == 1 and reason in err and err.startswith("earmark: ")
    assert args[0] == "tag" or not (tmp_path / "x.db").exists()


def test_another_programs_sqlite_file_is_refused_untouched(capsys, library: Path, tiny_model: Path, tmp_path) -> None:
    # The reported damage: beets' library given as --db got Earmark's tables, its schema version and WAL mode.
    beets = tmp_path / "library.db"
    with sqlite3.connect(beets) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, path BLOB, genre TEXT)")
        conn.execute("INSERT INTO items (path, genre) VALUES ('/music/a.flac', 'Jazz')")
    conn.close()
    before = beets.read_bytes()
    for args in (["tag", str(library), "--model", str(tiny_model)], ["results"], ["write-tags", "--undo"]):
        code, _, err = run(capsys, *args, "--db", str(beets))
        assert (
            code == 1
            and err == f"earmark: {beets} is not an Earmark database (it holds another program's tables: items)\n"
        )
    assert beets.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["lib", "library.db"]


def test_search_limit_must_be_positive(capsys, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["search", "refund", "--limit", "0", "--db", str(tmp_path / "c.db")])
    assert exit_.value.code == 2 and "'0' is not a whole number of at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["folder", "garbage"])
def test_unusable_database_exits_1(capsys, library: Path, tiny_model: Path, tmp_path: Path, kind: str) -> None:
    db = tmp_path / "bad.db"
    if kind == "folder":
        db.mkdir()
    else:
        db.write_bytes(b"this is not a database" * 100)
    code, _, err = run(capsys, "tag", str(library), "--model", str(tiny_model), "--db", str(db))
    assert code == 1 and "cannot open database" in err and err.count("\n") == 1


def test_models_list_and_info(capsys) -> None:
    code, out, _ = run(capsys, "models", "list")
    assert code == 0 and "musicnn-msd" in out and "musicnn-mtt" in out
    code, out, _ = run(capsys, "models", "info", "musicnn-msd")
    assert code == 0
    assert "licence:      ISC" in out and "genre: rock, pop" in out and "labels:       50" in out


def test_rerun_says_nothing_was_decoded(capsys, tmp_path: Path, tiny_model: Path) -> None:
    write(tmp_path / "lib" / "one.wav", chords(3.0), 22050)
    args = ["tag", str(tmp_path / "lib"), "--model", str(tiny_model), "--db", str(tmp_path / "r.db"), "--quiet"]
    assert run(capsys, *args)[0] == 0
    code, _, err = run(capsys, *args)
    assert code == 0 and "Nothing to tag: 1 file(s) unchanged" in err and "nothing decoded" in err
