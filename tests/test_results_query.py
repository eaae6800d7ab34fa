"""The results as a music lover asks for them: the files' own tags stored at scan time, a beets-like
query shared by ``earmark results QUERY`` and the app, and a table that sorts by what it shows."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from pathlib import Path

import mutagen
import pytest

from core.audio import AudioInfo
from core.cli import main
from core.filetags import read_metadata
from core.query import QueryError, Range, Term, parse_query
from core.records import FileMetadata, FileTags, LabelScore, ResultQuery
from core.scan import file_stat
from core.store import Store
from tests.audio_factory import chords, write

GROUPS = {"genre": ["jazz", "rock", "hard rock", "classical"], "mood": ["calm", "loud"]}
LABELS = [label for group in GROUPS.values() for label in group]


def tagged(path: Path, seconds: float = 2.0, seed: int = 0, **tags: str | list[str]) -> Path:
    """A short audio file carrying the given tags (mutagen's easy names: artist, title, date...)."""
    write(path, chords(seconds, 16000, seed=seed), 16000)
    if tags:
        audio = mutagen.File(str(path), easy=True)
        if audio.tags is None:
            audio.add_tags()
        for key, value in tags.items():
            audio[key] = value
        audio.save()
    return path


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """Two albums and a stray file: flac, ogg and a file with no tags at all."""
    root = tmp_path / "lib"
    album = root / "Kaufman" / "Blue Hours"
    tagged(album / "02 night.flac", seed=1, artist="Bill Kaufman", title="Night Walk", album="Blue Hours",
           date="2005-03-01", tracknumber="2/9", genre=["Jazz", "Bebop"])  # fmt: skip
    tagged(album / "01 morning.ogg", seed=2, artist="Bill Kaufman", title="Morning", album="Blue Hours",
           date="2005", tracknumber="1")  # fmt: skip
    tagged(root / "Loud" / "anthem.flac", seed=3, artist="The Loud Ones", title="Anthem", album="Amplified",
           date="1995", tracknumber="1", genre="Rock")  # fmt: skip
    tagged(root / "untagged.wav", seed=4)
    return root


def record(store: Store, files: dict[Path, list[tuple[str, float]]]) -> None:
    """The files as a finished run leaves them: labels as given (best first), and their own tags."""
    model = store.register_model("m", "v1", Path("/models/m"), LABELS, GROUPS, None)
    run = store.start_run(model, ["/"])
    for path, labels in files.items():
        ranked = sorted(labels, key=lambda item: -item[1])
        stat = file_stat(path)
        info = AudioInfo(16000, 1, 2.0, "FLAC")
        store.save_tags(run, model, "m", FileTags(stat, info, 2.0, [LabelScore(*item) for item in ranked]))
        store.save_file_metadata([(stat, read_metadata(path))])


@pytest.fixture
def store(tmp_path: Path, library: Path) -> Store:
    files = {
        library / "Kaufman" / "Blue Hours" / "02 night.flac": [("jazz", 0.6), ("rock", 0.2), ("calm", 0.9)],
        library / "Kaufman" / "Blue Hours" / "01 morning.ogg": [("jazz", 0.25), ("classical", 0.3), ("calm", 0.5)],
        library / "Loud" / "anthem.flac": [("hard rock", 0.7), ("rock", 0.5), ("loud", 0.8), ("jazz", 0.01)],
        library / "untagged.wav": [("classical", 0.4), ("calm", 0.2)],
    }
    with Store(tmp_path / "q.db") as opened:
        record(opened, files)
        yield opened


def names(store: Store, text: str, **view) -> list[str]:
    query = ResultQuery(model="m", search=parse_query(text), group_labels=tuple(GROUPS["genre"]), **view)
    return [Path(row.path).name for row in store.page(query, 0, -1)]


# --- the parser ------------------------------------------------------------------------------------


def test_the_issue_example_parses_into_its_terms() -> None:
    terms = parse_query('genre:jazz score:>0.3 artist:kaufman year:2000..2010 "blue hours" ^genre:rock').terms
    assert terms == (
        Term("genre", "jazz"),
        Term("score", range=Range(low=0.3, low_included=False)),
        Term("artist", "kaufman"),
        Term("year", range=Range(2000.0, 2010.0)),
        Term("any", "blue hours"),
        Term("genre", "rock", negated=True),
    )
    assert parse_query('-artist:"bill evans" year:2005 score:<=0.5 genre:=rock "a:b"').terms == (
        Term("artist", "bill evans", negated=True),
        Term("year", range=Range(2005.0, 2005.0)),
        Term("score", range=Range(high=0.5)),
        Term("genre", "rock", exact=True),
        Term("any", "a:b"),
    )
    assert not parse_query("   ")
    assert parse_query('"-"').terms == (Term("any", "-"),)  # quoted, it is the character


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("score:>abc", "'abc' is not a number"),
        ("year:20x", "'20x' is not a whole year"),
        ("year:2010..2000", "is empty"),
        ("score:nan", "not a finite number"),
        ("colour:red", "unknown field 'colour'"),
        ("artist:", "artist: needs a value"),
        ("status:done", "not a status"),
        ('artist:"bill', "unclosed quote"),
        ("score:..", "needs a number"),
        ("^", "'\\^' alone means 'not'"),  # it matched nothing, silently
        ("jazz -", "'-' alone means 'not'"),
    ],
)
def test_bad_input_is_one_clear_line(text: str, says: str) -> None:
    with pytest.raises(QueryError, match=says) as raised:
        parse_query(text)
    assert "\n" not in str(raised.value)


# --- the file's own tags ------------------------------------------------------------------------------


def test_tags_are_read_from_each_format_and_garbage_is_just_no_metadata(library: Path, tmp_path: Path) -> None:
    night = read_metadata(library / "Kaufman" / "Blue Hours" / "02 night.flac")
    assert (night.artist, night.title, night.album, night.year, night.track) == (
        "Bill Kaufman", "Night Walk", "Blue Hours", 2005, 2
    )  # fmt: skip
    assert night.genre == "Jazz; Bebop"
    assert read_metadata(library / "Kaufman" / "Blue Hours" / "01 morning.ogg").title == "Morning"
    assert read_metadata(library / "untagged.wav").artist is None
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"ID3\x04\x00\x00\x00\x00\x0f\x7f" + b"\xff" * 300)  # a tag header that lies about its size
    empty = read_metadata(library / "untagged.wav")
    assert read_metadata(junk) == read_metadata(tmp_path / "no-such-file.flac") == empty


def test_a_named_pipe_in_the_library_does_not_hang_the_run_on_its_tags(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.mp3"
    os.mkfifo(pipe)
    found = []
    reader = threading.Thread(target=lambda: found.append(read_metadata(pipe)), daemon=True)
    reader.start()
    reader.join(10)
    assert found == [FileMetadata()]  # no one ever writes into the pipe: opening it to read would wait forever


# --- the store's filters ---------------------------------------------------------------------------------


def test_queries_filter_by_tags_labels_scores_and_years(store: Store) -> None:
    assert names(store, "artist:kaufman") == ["01 morning.ogg", "02 night.flac"]
    assert names(store, "ARTIST:Kaufman year:2000..2010 title:night") == ["02 night.flac"]
    assert names(store, "year:..2000") == ["anthem.flac"]
    assert names(store, "filegenre:bebop") == ["02 night.flac"]
    assert names(store, "album:amplified") == ["anthem.flac"]
    assert names(store, "blue walk") == ["02 night.flac"]  # plain words: path, artist, title or album, all of them
    assert names(store, '"night walk"') == ["02 night.flac"]
    assert names(store, "-artist:kaufman") == ["anthem.flac", "untagged.wav"]  # no artist tag is not kaufman
    assert names(store, "^year:2005") == ["anthem.flac", "untagged.wav"]
    # genre: Earmark's genre among the top genres shown (top_k of the genre group)
    assert names(store, "genre:jazz") == ["01 morning.ogg", "02 night.flac", "anthem.flac"]  # anthem's third
    assert names(store, "genre:jazz", top_k=2) == ["01 morning.ogg", "02 night.flac"]
    assert names(store, "genre:jazz", top_k=1) == ["02 night.flac"]  # morning's top genre is classical
    assert names(store, "genre:rock") == ["02 night.flac", "anthem.flac"]  # rock and hard rock
    assert names(store, "genre:=rock", top_k=1) == []  # anthem's top genre is hard rock
    assert names(store, "genre:jazz score:>0.3") == ["02 night.flac"]  # the score of that label
    assert names(store, "genre:jazz -score:>0.3", top_k=2) == ["01 morning.ogg"]
    assert names(store, "score:>=0.4") == ["02 night.flac", "anthem.flac", "untagged.wav"]  # the best genre shown
    assert names(store, "label:calm score:>0.6") == ["02 night.flac"]  # ranked among moods
    assert names(store, "-genre:jazz", top_k=2) == ["anthem.flac", "untagged.wav"]
    assert names(store, "status:tagged artist:loud") == ["anthem.flac"]
    assert names(store, "status:error") == []


def test_a_label_the_model_lacks_is_an_error_not_an_empty_list(store: Store) -> None:
    with pytest.raises(QueryError, match="no genre label like 'polka'"):
        names(store, "genre:polka")
    with pytest.raises(QueryError, match="no label label like 'zzz'"):
        store.count(ResultQuery(model="m", search=parse_query("label:zzz")))


def test_sorting_by_album_keeps_tracks_in_order_and_files_without_tags_last(store: Store) -> None:
    assert names(store, "", sort="album") == ["anthem.flac", "01 morning.ogg", "02 night.flac", "untagged.wav"]
    assert names(store, "", sort="album", descending=True) == [
        "01 morning.ogg", "02 night.flac", "anthem.flac", "untagged.wav"
    ]  # fmt: skip
    assert names(store, "", sort="year") == ["anthem.flac", "01 morning.ogg", "02 night.flac", "untagged.wav"]


def test_sorting_by_score_follows_the_label_shown_in_the_group(store: Store) -> None:
    """The mood 'calm' scores 0.9 for night: sorting the genre view must not rank night by it."""
    ranked = names(store, "", sort="score", descending=True)
    assert ranked == ["anthem.flac", "02 night.flac", "untagged.wav", "01 morning.ogg"]  # 0.7, 0.6, 0.4, 0.3


# --- scan time: tags stored, and filled in later without analysing again -------------------------------------


def test_earmark_results_query_lists_the_matching_files_with_their_tags(
    capsys, library: Path, tiny_model: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "cli.db")
    assert main(["tag", str(library), "--model", str(tiny_model), "--db", db, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["results", "artist:kaufman year:2000..2010", "--db", db, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["title"], row["album"], row["year"], row["track"]) for row in rows] == [
        ("Morning", "Blue Hours", 2005, 1), ("Night Walk", "Blue Hours", 2005, 2)
    ]  # fmt: skip
    assert rows[1]["file_genre"] == "Jazz; Bebop" and rows[1]["artist"] == "Bill Kaufman"
    assert main(["results", "^artist:kaufman", "title:anthem", "--db", db]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line.endswith("\tThe Loud Ones — Anthem (Amplified, 1995) [Rock]")
    assert main(["results", "year:20x", "--db", db]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'20x' is not a whole year" in err


def test_a_rerun_fills_in_tags_of_files_analysed_before_without_analysing_them(
    capsys, library: Path, tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "old.db"
    argv = ["tag", str(library), "--model", str(tiny_model), "--db", str(db), "--quiet"]
    assert main(argv) == 0
    with sqlite3.connect(db) as conn:  # what a database from before the tags were kept looks like
        conn.execute("UPDATE files SET artist = NULL, title = NULL, album = NULL, year = NULL, track = NULL,"
                     " genre = NULL, tags_mtime = NULL")  # fmt: skip
        analysed = conn.execute("SELECT id, analysed_at FROM analyses ORDER BY id").fetchall()

    def no_model(*_args, **_kwargs):
        raise AssertionError("a rerun over unchanged audio must not load a model")

    monkeypatch.setattr("core.models.runtime.load_backend", no_model)
    capsys.readouterr()
    assert main(argv) == 0
    assert "Nothing to tag" in capsys.readouterr().err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, analysed_at FROM analyses ORDER BY id").fetchall() == analysed
        assert conn.execute("SELECT COUNT(*) FROM files WHERE tags_mtime IS NULL").fetchone()[0] == 0
    assert main(["results", "artist:kaufman", "--db", str(db), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2

    reads: list[Path] = []
    monkeypatch.setattr("core.runs.run.read_metadata", lambda path: reads.append(path))
    assert main(argv) == 0
    assert reads == []  # unchanged files: their tags are not read again


# --- the app's table ---------------------------------------------------------------------------------------


@pytest.mark.gui
def test_the_file_column_shows_the_path_below_the_library_and_sorts_by_it(qtbot, store: Store) -> None:
    from PySide6.QtCore import Qt

    from desktop_app.widgets.results_model import COLUMNS, ResultsModel

    model = ResultsModel(store, ResultQuery(model="m"))
    model.refresh()
    shown = [model.data(model.index(i, 0)) for i in range(model.rowCount())]
    assert shown == ["Kaufman/Blue Hours/01 morning.ogg", "Kaufman/Blue Hours/02 night.flac", "Loud/anthem.flac",
                     "untagged.wav"]  # fmt: skip
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert [model.data(model.index(i, 0)) for i in range(model.rowCount())] == shown[::-1]
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole) == model.row(0).path  # the full path on hover
    row = {column: model.data(model.index(1, COLUMNS.index(column))) for column in COLUMNS}
    assert (row["Artist"], row["Title"], row["Album"], row["#"], row["Year"], row["Genre tag"]) == (
        "The Loud Ones", "Anthem", "Amplified", "1", "1995", "Rock"
    )  # fmt: skip


@pytest.mark.gui
def test_top_labels_sort_by_the_label_shown_in_the_selected_group(qtbot, store: Store) -> None:
    from PySide6.QtCore import Qt

    from desktop_app.widgets.results_model import LABELS_COLUMN, ResultsModel

    model = ResultsModel(store, ResultQuery(model="m", group_labels=tuple(GROUPS["genre"])))
    model.sort(LABELS_COLUMN, Qt.SortOrder.DescendingOrder)
    firsts = [model.row(i).labels[0].score for i in range(model.rowCount())]
    assert firsts == sorted(firsts, reverse=True) == [0.7, 0.6, 0.4, 0.3]


@pytest.mark.gui
def test_the_query_box_filters_and_says_what_is_wrong_inline(qtbot, store: Store) -> None:
    from desktop_app.pages.results import ResultsPage

    page = ResultsPage(store)
    qtbot.addWidget(page)
    page.show()
    page.reload()
    assert "genre:jazz" in page.search.placeholderText() and page.search.width() > 300
    page.search.setText("artist:kaufman year:2000..2010")
    page.apply_filters()
    assert page.model.total == 2 and page.query_error.isHidden()
    page.search.setText("score:>abc")
    page.apply_filters()
    assert page.query_error.isVisible() and "'abc' is not a number" in page.query_error.text()
    assert page.model.total == 2  # the rows of the last good query stay, and the count says whose they are
    assert page.count.text() == "2 file(s) of the last query that could be read"
    page.search.setText("genre:polka")
    page.apply_filters()
    assert "no genre label like 'polka'" in page.query_error.text()
    page._debounce.stop()  # typing armed it: it must not fire after this test's database is closed


def test_letter_case_is_ignored_in_every_script(tmp_path: Path) -> None:
    # The reported miss: case-insensitive for ASCII only, so artist:ärtist did not find "Ärtist".
    song = tagged(tmp_path / "lib" / "song.flac", seed=5, artist="Ärtist Ölund", title="ΣΟΦΙΑ", album="Straße")
    with Store(tmp_path / "u.db") as store:
        record(store, {song: [("jazz", 0.5)]})
        for text in ("artist:ärtist", "ÄRTIST", "ölund", "title:σοφια", "album:strasse"):
            assert names(store, text) == ["song.flac"], text
        assert names(store, "artist:artist") == []  # folded, not stripped of its accents
