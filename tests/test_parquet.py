"""``earmark results --format parquet -o FILE``: the JSON's rows and columns, straight into a data lake."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from core.cli import main
from tests.audio_factory import bad_corpus, chords, write

pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture
def db(tmp_path: Path, tiny_model: Path, capsys: pytest.CaptureFixture) -> str:
    for i in range(3):
        write(tmp_path / "lib" / f"song{i}.wav", chords(4.0, seed=i), 22050)
    bad_corpus(tmp_path / "lib" / "broken")
    path = str(tmp_path / "p.db")
    assert main(["tag", str(tmp_path / "lib"), "--model", str(tiny_model), "--db", path, "--quiet"]) == 0
    capsys.readouterr()
    return path


def test_parquet_holds_what_json_says(db: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["results", "--db", db, "--format", "json", "--top-k", "0"]) == 0
    listed = json.loads(capsys.readouterr().out)
    out = tmp_path / "lake" / "results.parquet"
    out.parent.mkdir()
    assert main(["results", "--db", db, "--format", "parquet", "--top-k", "0", "-o", str(out)]) == 0
    assert capsys.readouterr().err.strip() == f"{len(listed)} file(s) written to {out}"
    table = pq.read_table(out)
    assert table.column_names == list(listed[0])
    assert table.to_pylist() == listed
    assert str(table.schema.field("labels").type.value_type) == "struct<label: string, score: double>"
    assert {row["status"] for row in listed} == {"tagged", "error"}


def test_an_empty_result_is_a_table_with_the_columns(db: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "none.parquet"
    assert (
        main(["results", "--db", db, "--format", "parquet", "--label", "jazz", "--min-score", "2", "-o", str(out)]) == 0
    )
    table = pq.read_table(out)
    assert table.num_rows == 0 and table.column_names[:6] == [
        "path",
        "status",
        "error",
        "duration_s",
        "model",
        "labels",
    ]


def test_parquet_refusals_are_one_line(db: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["results", "--db", db, "--format", "parquet"]) == 1
    assert capsys.readouterr().err.strip() == "earmark: --format parquet writes a file: add -o FILE"
    assert main(["results", "--db", db, "-o", str(tmp_path / "x.txt")]) == 1
    assert "add --format csv, json or parquet" in capsys.readouterr().err
    assert main(["results", "--db", db, "--format", "parquet", "-o", str(tmp_path / "no" / "x.parquet")]) == 1
    assert capsys.readouterr().err.strip().startswith(f"earmark: cannot write {tmp_path / 'no' / 'x.parquet'}: ")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # where pyarrow is not installed
    assert main(["results", "--db", db, "--format", "parquet", "-o", str(tmp_path / "y.parquet")]) == 1
    assert capsys.readouterr().err.strip() == (
        'earmark: Parquet needs pyarrow: pip install pyarrow (or "earmark[ray]", which brings it)'
    )


def test_csv_and_json_go_to_a_file_too(db: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["results", "--db", db, "--format", "json"]) == 0
    printed = capsys.readouterr().out
    assert main(["results", "--db", db, "--format", "json", "-o", str(tmp_path / "r.json")]) == 0
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == printed


def test_o_never_replaces_the_database_nor_unasked_a_file(db: str, tmp_path: Path, capsys) -> None:
    # The reported loss: `results -o` wrote CSV over the live database, or over any file, without a word.
    database = Path(db).read_bytes()
    for target in (db, f"{db}-wal"):
        assert main(["results", "--db", db, "--format", "csv", "-o", target, "--force"]) == 1
        assert capsys.readouterr().err.strip().endswith("is the database these results come from: choose another file")
    (tmp_path / "link.csv").symlink_to(db)
    assert main(["results", "--db", db, "--format", "csv", "-o", str(tmp_path / "link.csv"), "--force"]) == 1
    assert "is the database these results come from" in capsys.readouterr().err
    assert Path(db).read_bytes() == database
    mine = tmp_path / "notes.csv"
    mine.write_text("the owner's own notes\n")
    assert main(["results", "--db", db, "--format", "csv", "-o", str(mine)]) == 1
    refusal = f"earmark: {mine} exists: choose another file, or add --force to replace it"
    assert capsys.readouterr().err.strip() == refusal
    assert mine.read_text() == "the owner's own notes\n"
    mine.chmod(0o640)
    assert main(["results", "--db", db, "--format", "csv", "-o", str(mine), "--force"]) == 0
    assert mine.read_text().startswith("path,status") and mine.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary copy left
