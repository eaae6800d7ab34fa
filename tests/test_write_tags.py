"""Genres written the owner's way: keep / append / replace, never a genre lost, every write undoable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mutagen
import pytest

from core.audio import AudioInfo
from core.cli import main
from core.records import FileTags, LabelScore
from core.scan import file_stat
from core.store import Store
from core.tagwrite import GenrePolicy, propose, read_tags
from tests.audio_factory import chords, write

WESNOTH = Path("/usr/share/games/wesnoth/1.16/data/core/music")
GENRES = ["classical", "ambient", "jazz", "rock", "hip-hop"]
OWNER = ["Romantic Classical"]


def labels(*pairs: tuple[str, float]) -> list[LabelScore]:
    return [LabelScore(label, score) for label, score in pairs]


# --- which genres: the policy ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["keep", "append", "replace"])
def test_nothing_above_the_threshold_never_removes_the_owners_genre(mode: str) -> None:
    # The reported loss: "main_menu.ogg: Romantic Classical -> (nothing)" emptied the file's genre.
    weak = labels(("ambient", 0.10), ("jazz", 0.05))
    assert propose(OWNER, weak, GenrePolicy(mode=mode, threshold=0.15)) == OWNER
    assert propose([], weak, GenrePolicy(mode=mode, threshold=0.15)) == []


def test_keep_fills_only_files_without_a_genre() -> None:
    found = labels(("classical", 0.6), ("ambient", 0.3))
    assert propose(OWNER, found, GenrePolicy()) == OWNER
    assert propose([], found, GenrePolicy()) == ["Classical", "Ambient"]
    assert propose(["  "], found, GenrePolicy()) == ["Classical", "Ambient"]  # a blank genre is no genre


def test_append_keeps_the_owners_genres_first_and_adds_no_twin() -> None:
    found = labels(("classical", 0.6), ("ambient", 0.3), ("jazz", 0.2))
    policy = GenrePolicy(mode="append", max_genres=2)
    assert propose(["CLASSICAL", "Film"], found, policy) == ["CLASSICAL", "Film", "Ambient"]
    assert propose(["Classical", "Ambient"], found, policy) == ["Classical", "Ambient"]  # nothing new
    # nor what an owner's genre already says (the reported "Romantic Classical; Classical")
    assert propose(["Romantic Classical"], found, policy) == ["Romantic Classical", "Ambient"]
    assert propose(["Dark Ambient Drone"], found, policy) == ["Dark Ambient Drone", "Classical"]


def test_replace_writes_the_best_genres_up_to_the_maximum() -> None:
    found = labels(("classical", 0.6), ("ambient", 0.3), ("jazz", 0.2), ("rock", 0.16))
    assert propose(OWNER, found, GenrePolicy(mode="replace", max_genres=2)) == ["Classical", "Ambient"]


def test_names_follow_the_owners_map_then_ours_and_an_empty_name_is_never_written() -> None:
    found = labels(("hip-hop", 0.6), ("ambient", 0.5), ("jazz", 0.4))
    policy = GenrePolicy(mode="replace", canonical={"Ambient": "Chillout", "jazz": ""})
    assert propose([], found, policy) == ["Hip-Hop", "Chillout"]


def test_a_separator_joins_genres_into_one_value_and_reads_joined_values_back() -> None:
    found = labels(("classical", 0.6), ("ambient", 0.3))
    policy = GenrePolicy(mode="append", separator="; ")
    assert propose([], found, policy) == ["Classical; Ambient"]
    assert propose(["Film; Classical"], found, policy) == ["Film; Classical; Ambient"]
    assert propose(["Classical; Ambient"], found, policy) == ["Classical; Ambient"]


def test_a_bad_policy_is_one_clear_line() -> None:
    with pytest.raises(Exception, match="keep, append or replace"):
        GenrePolicy(mode="overwrite")  # type: ignore[arg-type]
    with pytest.raises(Exception, match="at least 1"):
        GenrePolicy(max_genres=0)


# --- writing real files from the store, and undoing it --------------------------------------------


def real_track(folder: Path, name: str) -> Path:
    source = WESNOTH / name
    if not source.exists():
        pytest.skip(f"{source} is missing: `make test` installs wesnoth-1.16-music")
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(source, folder / name))


def seed(db: Path, model: str, groups: dict[str, list[str]], files: dict[Path, list[LabelScore]]) -> None:
    """A store as a run leaves it: each file analysed by ``model`` at its current size and mtime."""
    with Store(db) as store:
        vocabulary = [label for group in groups.values() for label in group]
        model_id = store.register_model(model, "1", db.parent, vocabulary, groups, None)
        run_id = store.start_run(model_id, [str(db.parent)])
        for path, scores in files.items():
            info = AudioInfo(44100, 2, 10.0, "Vorbis")
            store.save_tags(run_id, model_id, model, FileTags(file_stat(path), info, 10.0, scores))


def cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two real Wesnoth tracks (tagged "Romantic Classical" by their makers) and a file with no genre."""
    lib = tmp_path / "lib"
    battle, menu = real_track(lib, "battle.ogg"), real_track(lib, "main_menu.ogg")
    bare = write(lib / "bare.flac", chords(2.0), 22050)
    db = tmp_path / "e.db"
    seed(db, "genres", {"genre": GENRES, "mood": ["calm"]}, {
        battle: labels(("classical", 0.55), ("jazz", 0.30), ("calm", 0.9)),
        menu: labels(("ambient", 0.12), ("calm", 0.8)),  # nothing passes 0.15: must keep its genre
        bare: labels(("rock", 0.4), ("hip-hop", 0.2)),
    })  # fmt: skip
    return db, lib, bare


def test_append_then_undo_on_real_files(capsys, library) -> None:
    db, lib, bare = library
    before = {path: path.read_bytes() for path in lib.iterdir()}
    code, out, err = cli(capsys, "write-tags", "--db", str(db), "--model", "genres", "--mode", "append", "--dry-run")
    assert code == 0 and "2 of 3 file(s) would change" in err
    assert {path: path.read_bytes() for path in lib.iterdir()} == before  # a dry run writes nothing

    code, out, err = cli(capsys, "write-tags", "--db", str(db), "--model", "genres", "--mode", "append")
    assert code == 0 and "Wrote genres into 2 file(s)" in err
    assert read_tags(lib / "battle.ogg")["genre"] == ["Romantic Classical", "Jazz"]  # "Classical" it says already
    assert read_tags(lib / "main_menu.ogg")["genre"] == OWNER  # the calm is not a genre; ambient too weak
    assert read_tags(bare)["genre"] == ["Rock", "Hip-Hop"]
    assert read_tags(lib / "battle.ogg")["title"] == ["Battle Music"]  # the rest of the tags untouched

    code, _out, err = cli(capsys, "write-tags", "--db", str(db), "--undo")
    assert code == 0 and "Restored the genres of 2 file(s)" in err
    assert read_tags(lib / "battle.ogg")["genre"] == OWNER
    assert "genre" not in read_tags(bare)  # as it was: no genre at all
    code, _out, err = cli(capsys, "write-tags", "--db", str(db), "--undo")
    assert code == 1 and err.startswith("earmark: nothing to undo")


def test_undo_leaves_a_genre_the_owner_changed_since(capsys, library) -> None:
    db, lib, bare = library
    assert cli(capsys, "write-tags", "--db", str(db), "--model", "genres", "--mode", "replace")[0] == 0
    audio = mutagen.File(str(lib / "battle.ogg"), easy=True)
    audio["genre"] = ["Soundtrack"]  # the owner, in another program
    audio.save()
    code, _out, err = cli(capsys, "write-tags", "--db", str(db), "--undo")
    assert code == 0 and "Restored the genres of 1 file(s)" in err
    assert "battle.ogg: refused — changed since Earmark wrote them: genres are now Soundtrack" in err
    assert read_tags(lib / "battle.ogg")["genre"] == ["Soundtrack"]
    assert "genre" not in read_tags(bare)


def test_an_undo_that_cannot_restore_a_file_keeps_it_to_restore_later(capsys, library) -> None:
    # The reported loss: a refused undo was marked done (exit 0), and the owner's genre could never come back.
    db, lib, bare = library
    assert cli(capsys, "write-tags", "--db", str(db), "--model", "genres", "--mode", "replace")[0] == 0
    battle = lib / "battle.ogg"
    battle.chmod(0o444)
    code, _out, err = cli(capsys, "write-tags", "--db", str(db), "--undo")
    assert code == 1 and "Restored the genres of 1 file(s)" in err
    assert "battle.ogg: refused — the file is read-only" in err and "1 file(s) not restored yet" in err
    assert read_tags(battle)["genre"] == ["Classical", "Jazz"] and "genre" not in read_tags(bare)
    battle.chmod(0o644)
    code, _out, err = cli(capsys, "write-tags", "--db", str(db), "--undo")
    assert code == 0 and "Restored the genres of 1 file(s)" in err and "not restored" not in err
    assert read_tags(battle)["genre"] == OWNER
    code, _out, err = cli(capsys, "write-tags", "--db", str(db), "--undo")
    assert code == 1 and err.startswith("earmark: nothing to undo")


def test_a_file_that_is_no_longer_the_audio_analysed_gets_no_genre(capsys, library) -> None:
    # The reported harm: a song replaced by a voice memo under its name was given the song's "Techno".
    from core.store import Store
    from core.tagwrite import GenrePolicy, apply, plan

    db, lib, bare = library
    memo = write(lib / "memo.flac", chords(3.0, seed=7), 22050)
    shutil.copy2(memo, bare)  # replaced after it was analysed
    code, out, err = cli(capsys, "write-tags", "--db", str(db), "--mode", "replace")
    assert code == 0 and f"earmark: {bare}: left as it is: it is not the audio Earmark analysed" in err
    assert str(bare) not in out and "genre" not in read_tags(bare)
    battle = lib / "battle.ogg"
    with Store(db) as store:  # ...and replaced between the preview and the write
        planned = plan(store, "genres", [str(battle)], GenrePolicy(mode="replace", max_genres=1))
        shutil.copy2(lib / "main_menu.ogg", battle)
        [outcome] = apply(store, planned.changes, "genres", "replace")
    assert outcome.status == "refused" and "not the audio Earmark analysed" in outcome.reason
    assert read_tags(battle)["genre"] == OWNER


def test_a_database_that_fails_mid_batch_says_what_was_written(capsys, library, monkeypatch) -> None:
    from core.store import StoreError

    db, lib, bare = library
    calls = []

    def failing(self, *args) -> None:
        calls.append(args)
        if len(calls) == 2:
            raise StoreError(f"{db} is in use by another program")

    monkeypatch.setattr(Store, "follow_rewrite", failing)
    code, _out, err = cli(capsys, "write-tags", "--db", str(db), "--mode", "replace")
    assert code == 1
    assert (
        err.strip()
        == f"earmark: stopped after writing 2 of 2 file(s) (undo restores them): {db} is in use by another program"
    )
    monkeypatch.undo()
    assert cli(capsys, "write-tags", "--db", str(db), "--undo")[0] == 0
    assert read_tags(lib / "battle.ogg")["genre"] == OWNER and "genre" not in read_tags(bare)


def test_a_model_without_genres_writes_nothing(capsys, tmp_path: Path) -> None:
    song = write(tmp_path / "call.flac", chords(2.0), 22050)
    db = tmp_path / "c.db"
    seed(db, "calls-intent", {"intent": ["technical", "billing"]}, {song: labels(("technical", 0.9))})
    code, _out, err = cli(capsys, "write-tags", "--db", str(db), "--model", "calls-intent", "--mode", "replace")
    assert code == 1
    assert err == "earmark: model calls-intent has no genre labels (its groups: intent); only genres are written" \
        " into files\n"  # fmt: skip
    assert "genre" not in read_tags(song)


def test_a_name_map_that_is_not_json_is_one_line(capsys, library, tmp_path: Path) -> None:
    db, _lib, _bare = library
    bad = tmp_path / "names.json"
    bad.write_text("{not json")
    code, _out, err = cli(capsys, "write-tags", "--db", str(db), "--map", str(bad))
    assert code == 1 and err.startswith("earmark: cannot read the genre name map") and err.count("\n") == 1
    bad.write_text(json.dumps(["a list"]))
    assert "must be a JSON object" in cli(capsys, "write-tags", "--db", str(db), "--map", str(bad))[2]


def test_writing_tags_is_not_a_reason_to_analyse_the_file_again(capsys, tmp_path: Path, tiny_model: Path) -> None:
    # Writing changed size and mtime, and the next Tag re-decoded every file ("0 unchanged").
    for i in range(3):
        write(tmp_path / "lib" / f"song{i}.flac", chords(3.0, seed=i), 22050)
    db = str(tmp_path / "t.db")
    assert cli(capsys, "tag", str(tmp_path / "lib"), "--model", str(tiny_model), "--db", db, "--quiet")[0] == 0
    code, _out, err = cli(capsys, "write-tags", "--db", db, "--mode", "replace", "--min-score", "0")
    assert code == 0 and "Wrote genres into 3 file(s)" in err
    code, _out, err = cli(capsys, "tag", str(tmp_path / "lib"), "--model", str(tiny_model), "--db", db)
    assert code == 0 and "Nothing to tag: 3 file(s) unchanged" in err
    # ...while a file whose audio really changed is analysed again
    write(tmp_path / "lib" / "song0.flac", chords(4.0, seed=9), 22050)
    code, _out, err = cli(capsys, "tag", str(tmp_path / "lib"), "--model", str(tiny_model), "--db", db)
    assert code == 0 and "2 unchanged" in err


def test_a_query_chooses_the_files_written(capsys, library) -> None:
    db, lib, bare = library
    code, out, err = cli(capsys, "write-tags", "genre:classical", "--db", str(db), "--mode", "replace", "--dry-run")
    assert code == 0 and "1 of 1 file(s) would change" in err
    assert out == f"{lib / 'battle.ogg'}\tRomantic Classical -> Classical; Jazz\n"  # a tab, not "\\t"
    code, _out, err = cli(capsys, "write-tags", "^genre:classical", "--db", str(db), "--mode", "replace")
    assert code == 0 and "Wrote genres into 1 file(s)" in err  # bare.flac; main_menu has no genre strong enough
    assert read_tags(bare)["genre"] == ["Rock", "Hip-Hop"] and read_tags(lib / "battle.ogg")["genre"] == OWNER
    code, _out, err = cli(capsys, "write-tags", "score:>abc", "--db", str(db))
    assert code == 1 and err.count("\n") == 1 and err.startswith("earmark: ")
