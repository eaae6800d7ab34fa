"""`beet earmark`: a real beets library gets its genres (and mood) from Earmark's database, beets' way."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import beets
import beets.plugins
import pytest
from beets.library import Item, Library
from beets.ui import UserError, _raw_main

from beetsplug.earmark import EarmarkPlugin
from core.paths import default_db_path
from core.scan import file_stat
from core.store import Store
from core.tagwrite import read_tags
from tests.audio_factory import chords, write
from tests.test_write_tags import GENRES, OWNER, labels, real_track, seed


@pytest.fixture
def beets_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[beets.IncludeLazyConfig]:
    """beets' global configuration, pristine and private to the test (no user config read or written)."""
    monkeypatch.setenv("BEETSDIR", str(tmp_path / "beets"))
    beets.config.clear()
    beets.config.read(user=False, defaults=True)
    beets.config["ui"]["color"] = False
    yield beets.config
    beets.plugins.BeetsPlugin.listeners.clear()
    beets.plugins.BeetsPlugin._raw_listeners.clear()
    beets.plugins._instances.clear()
    beets.config.clear()


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, beets_config) -> Library:
    """Two real Wesnoth tracks ("Romantic Classical"), a file with no genre, and one Earmark never saw.

    Earmark's analysis is in its default database, under this test's own EARMARK_HOME.
    """
    monkeypatch.setenv("EARMARK_HOME", str(tmp_path / "earmark"))
    music = tmp_path / "music"
    battle, menu = real_track(music, "battle.ogg"), real_track(music, "main_menu.ogg")
    bare = write(music / "bare.flac", chords(2.0), 22050)
    write(music / "unseen.flac", chords(2.0, seed=1), 22050)
    seed(default_db_path(), "genres", {"genre": GENRES, "mood": ["calm", "sad"]}, {
        battle: labels(("classical", 0.55), ("jazz", 0.30), ("calm", 0.9)),
        menu: labels(("ambient", 0.12), ("calm", 0.8)),  # no genre passes 0.15: must keep its own
        bare: labels(("rock", 0.4), ("hip-hop", 0.2), ("sad", 0.5)),
    })  # fmt: skip
    beets_config["library"] = str(tmp_path / "beets.db")
    beets_config["directory"] = str(music)
    lib = Library(str(tmp_path / "beets.db"), str(music))
    for path in sorted(music.iterdir()):
        lib.add(Item.from_path(str(path)))
    return lib


def beet_earmark(lib: Library, *args: str) -> None:
    """`beet earmark ARGS`, as beets' command line calls a plugin's command."""
    command = EarmarkPlugin().commands()[0]
    opts, query = command.parser.parse_args(list(args))
    command.func(lib, opts, query)


def fields(lib: Library) -> dict[str, tuple[list[str], str | None]]:
    """Each item's genres and mood, as beets' database holds them now."""
    return {Path(os.fsdecode(item.path)).name: (item.genres, item.get("mood")) for item in lib.items()}


def files(lib: Library) -> dict[str, bytes]:
    return {Path(os.fsdecode(item.path)).name: Path(os.fsdecode(item.path)).read_bytes() for item in lib.items()}


@pytest.mark.parametrize(
    ("mode", "battle", "menu"),
    [
        ("keep", OWNER, OWNER),
        ("append", [*OWNER, "Jazz"], OWNER),  # "Classical" the owner's genre says already
        ("replace", ["Classical", "Jazz"], OWNER),  # nothing passed the score: its genre is never removed
    ],
)
def test_genres_follow_the_mode_in_beets_database_and_in_the_files(library, capsys, mode, battle, menu) -> None:
    beet_earmark(library, "--mode", mode, "--write")
    now = fields(library)
    assert now["battle.ogg"][0] == battle
    assert now["main_menu.ogg"][0] == menu
    assert now["bare.flac"] == (["Rock", "Hip-Hop"], "Sad")  # a file without a genre gets Earmark's in every mode
    assert read_tags(Path(library.directory.decode()) / "bare.flac")["genre"] == ["Rock", "Hip-Hop"]
    assert read_tags(Path(library.directory.decode()) / "battle.ogg")["genre"] == battle
    out = capsys.readouterr().out
    assert "genres:\n    + Hip-Hop\n    + Rock\n  mood: Sad\n" in out  # beets' own change listing
    assert "tags written into their files" in out


def test_the_mood_goes_into_a_flexible_attribute_and_keep_keeps_the_owners(library) -> None:
    item = library.items("title:Battle").get()
    item["mood"] = "Epic"
    item.store()
    beet_earmark(library, "-W")
    assert fields(library)["battle.ogg"][1] == "Epic"
    assert fields(library)["main_menu.ogg"][1] == "Calm"
    beet_earmark(library, "-W", "--mode", "append")
    assert fields(library)["battle.ogg"][1] == "Epic; Calm"


def test_names_and_the_mood_separator_come_from_beets_config(library, beets_config) -> None:
    beets_config["earmark"].set({"canonical": {"rock": "Rock & Roll"}, "separator": " / "})
    item = library.items("title:Battle").get()
    item["mood"] = "Epic"
    item.store()
    beet_earmark(library, "-w", "--mode", "append")
    assert fields(library)["bare.flac"] == (["Rock & Roll", "Hip-Hop"], "Sad")  # genres: beets' list, no separator
    assert read_tags(Path(library.directory.decode()) / "bare.flac")["genre"] == ["Rock & Roll", "Hip-Hop"]
    assert fields(library)["battle.ogg"][1] == "Epic / Calm"
    beets_config["earmark"].set({"canonical": {"rock": "Rock & Roll", "hip-hop": 2}})
    with pytest.raises(UserError, match="earmark.canonical must map labels to genre names"):
        beet_earmark(library)


def test_mood_off_leaves_the_mood_alone(library, beets_config) -> None:
    beets_config["earmark"]["mood"] = False
    beet_earmark(library, "-W")
    assert fields(library)["bare.flac"] == (["Rock", "Hip-Hop"], None)


@pytest.mark.parametrize("how", ["-W", "import.write: no"])
def test_without_writing_only_beets_database_changes(library, how) -> None:
    before = files(library)
    if how == "-W":
        beet_earmark(library, "--mode", "replace", "-W")
    else:
        beets.config["import"]["write"] = False
        beet_earmark(library, "--mode", "replace")
    assert files(library) == before
    assert fields(library)["battle.ogg"][0] == ["Classical", "Jazz"]


def test_pretend_shows_the_changes_and_stores_nothing(library, capsys) -> None:
    before_files, before_fields = files(library), fields(library)
    beet_earmark(library, "--mode", "replace", "-p")
    assert files(library) == before_files and fields(library) == before_fields
    out = capsys.readouterr().out
    assert "Aleksi Aubry-Carlson - The Battle for Wesnoth OST - Battle Music" in out
    assert "genres:\n    - Romantic Classical\n    + Classical\n    + Jazz\n" in out
    assert "earmark: 3 item(s) would change (pretend: nothing stored)" in out


def test_items_earmark_never_analysed_are_reported_and_left_alone(library, capsys) -> None:
    unseen = Path(library.directory.decode()) / "unseen.flac"
    before = unseen.read_bytes()
    beet_earmark(library, "--mode", "replace", "--min-score", "0")
    assert fields(library)["unseen.flac"] == ([], None)
    assert unseen.read_bytes() == before
    out = capsys.readouterr().out
    assert "earmark: 1 item(s) not analysed by Earmark, left alone: run `earmark tag` on the library first" in out


def test_writing_tags_is_not_a_reason_for_earmark_to_analyse_the_file_again(library) -> None:
    bare = Path(library.directory.decode()) / "bare.flac"
    beet_earmark(library, "-w")
    assert read_tags(bare)["genre"] == ["Rock", "Hip-Hop"]
    with Store(default_db_path()) as store:
        assert store.prior_analyses("genres", "1")[str(bare)].matches(file_stat(bare))


def test_a_model_without_genres_is_one_clear_error(tmp_path: Path, beets_config) -> None:
    song = write(tmp_path / "music" / "call.flac", chords(2.0), 22050)
    seed(
        tmp_path / "calls.db", "calls-intent", {"intent": ["technical", "billing"]}, {song: labels(("technical", 0.9))}
    )
    lib = Library(str(tmp_path / "beets.db"), str(tmp_path / "music"))
    lib.add(Item.from_path(str(song)))
    beets_config["earmark"]["db"] = str(tmp_path / "calls.db")
    with pytest.raises(UserError, match="model calls-intent has no genre labels"):
        beet_earmark(lib, "--mode", "replace")
    assert lib.items().get().genres == [] and "genre" not in read_tags(song)


def test_no_earmark_database_is_one_clear_error(tmp_path: Path, beets_config) -> None:
    beets_config["earmark"]["db"] = str(tmp_path / "nowhere.db")
    with pytest.raises(UserError, match="no Earmark database at .*nowhere.db: run `earmark tag`"):
        beet_earmark(Library(str(tmp_path / "empty.db"), str(tmp_path)))
    assert not (tmp_path / "nowhere.db").exists()  # not created empty


def test_beet_finds_the_plugin_by_its_name_in_the_config(library, tmp_path: Path, capsys) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"library: {tmp_path / 'beets.db'}\nplugins: [earmark]\nearmark:\n  mode: append\n")
    _raw_main(["-c", str(config), "earmark", "-W", "title:Battle"])
    assert fields(library)["battle.ogg"][0] == [*OWNER, "Jazz"]
    assert fields(library)["bare.flac"][0] == []  # not matched by the query
    assert "earmark: changed 1 item(s)" in capsys.readouterr().out
