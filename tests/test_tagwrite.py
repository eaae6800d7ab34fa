"""Writing genre labels into files: previewed, multi-valued, atomic — and never at the owner's expense."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import mutagen
import pytest

from core.records import LabelScore
from core.tagwrite import (
    GenreChange,
    GenrePolicy,
    TagWriteError,
    propose,
    read_genres,
    read_tags,
    summarize,
    write_genres,
)
from tests.audio_factory import chords, write

LABELS = [LabelScore("rock", 0.6), LabelScore("pop", 0.3), LabelScore("jazz", 0.1), LabelScore("metal", 0.05)]


def plan_genres(path: Path, labels: list[LabelScore], threshold: float) -> GenreChange:
    """The preview the app and the CLI make, in replace mode (the one that changes most)."""
    before = read_genres(path)
    return GenreChange(path, before, propose(before, labels, GenrePolicy(mode="replace", threshold=threshold)))


@pytest.mark.parametrize("name", ["song.mp3", "song.flac", "song.ogg"])
def test_genres_above_the_threshold_are_written_best_first(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, chords(2.0), 22050)
    audio = mutagen.File(str(path), easy=True)
    if audio.tags is None:
        audio.add_tags()
    audio["title"] = "Keep me"
    audio["genre"] = "Unknown"
    audio.save()

    change = plan_genres(path, LABELS, threshold=0.25)
    assert (change.before, change.after) == (["Unknown"], ["Rock", "Pop"])
    assert read_tags(path)["genre"] == ["Unknown"]  # planning writes nothing
    assert write_genres(change).status == "written"
    tags = read_tags(path)
    assert tags["genre"] == ["Rock", "Pop"] and tags["title"] == ["Keep me"]
    assert not plan_genres(path, LABELS, threshold=0.25).changes


def test_a_failed_write_leaves_the_original_untouched(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path / "song.flac", chords(2.0), 22050)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    outcome = write_genres(plan_genres(path, LABELS, threshold=0.25))
    assert outcome.status == "refused" and "disk full" in outcome.reason
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["song.flac"]  # no temporary copy left behind


def test_a_file_that_is_not_audio_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp3"
    fake.write_text("not audio")
    with pytest.raises(TagWriteError, match="fake.mp3"):
        write_genres(plan_genres(fake, LABELS, threshold=0.25))


def set_genre(path: Path, genre: str) -> None:
    """The owner editing the file in another program."""
    audio = mutagen.File(str(path), easy=True)
    if audio.tags is None:
        audio.add_tags()
    audio["genre"] = genre
    audio.save()


@pytest.mark.parametrize("name", ["song.mp3", "song.flac", "song.ogg"])
def test_a_genre_the_owner_set_after_the_preview_is_kept_and_the_file_refused(tmp_path: Path, name: str) -> None:
    path = write(tmp_path / name, chords(2.0), 22050)
    change = plan_genres(path, LABELS, threshold=0.25)
    set_genre(path, "Owner's choice")
    outcome = write_genres(change)
    assert outcome.status == "refused" and "changed since the preview" in outcome.reason
    assert read_tags(path)["genre"] == ["Owner's choice"]


def test_a_file_changed_while_its_copy_is_tagged_is_refused(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path / "song.flac", chords(2.0), 22050)
    change = plan_genres(path, LABELS, threshold=0.25)
    copy2 = shutil.copy2

    def copy_then_owner_edits(src, dst):
        copy2(src, dst)
        set_genre(path, "Owner's choice")  # lands between our copy and our rename

    monkeypatch.setattr(shutil, "copy2", copy_then_owner_edits)
    outcome = write_genres(change)
    assert outcome.status == "refused" and "changed while" in outcome.reason
    assert read_tags(path)["genre"] == ["Owner's choice"]
    assert [p.name for p in tmp_path.iterdir()] == ["song.flac"]


def test_a_symlink_is_written_through_to_its_target_and_stays_a_link(tmp_path: Path) -> None:
    target = write(tmp_path / "library" / "song.flac", chords(2.0), 22050)
    link = tmp_path / "playlist" / "song.flac"
    link.parent.mkdir()
    link.symlink_to(target)
    assert write_genres(plan_genres(link, LABELS, threshold=0.25)).status == "written"
    assert link.is_symlink() and link.resolve() == target
    assert read_tags(target)["genre"] == ["Rock", "Pop"]
    assert sorted(p.name for p in link.parent.iterdir()) == ["song.flac"]  # no temporary copy beside the link


def test_a_hard_linked_file_is_refused_and_its_names_stay_one_file(tmp_path: Path) -> None:
    path = write(tmp_path / "song.flac", chords(2.0), 22050)
    other = tmp_path / "same song.flac"
    os.link(path, other)
    before = path.read_bytes()
    outcome = write_genres(plan_genres(path, LABELS, threshold=0.25))
    assert outcome.status == "refused" and "hard links" in outcome.reason
    assert path.stat().st_ino == other.stat().st_ino and path.stat().st_nlink == 2
    assert path.read_bytes() == before


def test_the_mode_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "song.flac", chords(2.0), 22050)
    path.chmod(0o640)
    assert write_genres(plan_genres(path, LABELS, threshold=0.25)).status == "written"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another owner")
def test_the_owner_and_set_id_bits_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path / "song.flac", chords(2.0), 22050)
    os.chown(path, 1234, 5678)
    path.chmod(0o6750)  # chown clears set-id bits, so they must be put back after it
    assert write_genres(plan_genres(path, LABELS, threshold=0.25)).status == "written"
    info = path.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (1234, 5678, 0o6750)
    assert read_tags(path)["genre"] == ["Rock", "Pop"]


def test_a_read_only_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "song.flac", chords(2.0), 22050)
    path.chmod(0o444)
    before = path.read_bytes()
    outcome = write_genres(plan_genres(path, LABELS, threshold=0.25))
    assert outcome.status == "refused" and "read-only" in outcome.reason
    assert path.read_bytes() == before and stat.S_IMODE(path.stat().st_mode) == 0o444


def test_a_read_only_folder_refuses_its_file_and_the_others_are_written(tmp_path: Path, monkeypatch) -> None:
    locked = write(tmp_path / "locked" / "song.flac", chords(2.0), 22050)
    free = write(tmp_path / "free" / "song.flac", chords(2.0, seed=1), 22050)
    before = locked.read_bytes()
    mkstemp = tempfile.mkstemp

    def read_only_folder(*args, dir=None, **kwargs):
        if Path(dir) == locked.parent:  # root ignores a folder's mode, so the folder says no here
            raise PermissionError(13, "Permission denied", str(dir))
        return mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only_folder)
    outcomes = [write_genres(plan_genres(path, LABELS, threshold=0.25)) for path in (locked, free)]
    assert [outcome.status for outcome in outcomes] == ["refused", "written"]
    assert "temporary file" in outcomes[0].reason and "\n" not in outcomes[0].reason
    assert locked.read_bytes() == before and read_tags(free)["genre"] == ["Rock", "Pop"]
    summary = summarize(outcomes)
    assert summary[0] == "Wrote genres into 1 file(s)." and "Refused 1 file(s)" in summary[1]
    assert summary[2].startswith("song.flac: refused — cannot create a temporary file")


# --- each format's own genre field ------------------------------------------------------------------


def id3_tagged(path: Path, version: int) -> Path:
    """A file whose ID3 tag (its own, or a WAV/AIFF chunk) holds a genre, a title and a cover picture."""
    from mutagen.id3 import APIC, ID3, TCON, TIT2

    audio = mutagen.File(str(path))
    if audio.tags is None:
        audio.add_tags()
    tags: ID3 = audio.tags
    tags.add(TCON(encoding=1, text=["Jazz"]))
    tags.add(TIT2(encoding=1, text=["Keep me"]))
    tags.add(APIC(encoding=0, mime="image/png", type=3, desc="cover", data=b"\x89PNG\r\n\x1a\n" + b"\0" * 64))
    audio.save(v2_version=version)
    return path


@pytest.mark.parametrize("name", ["song.wav", "song.aiff", "song.mp3"])
def test_id3_genres_are_read_and_written_with_a_picture_and_in_the_tags_version(tmp_path: Path, name: str) -> None:
    # The reported failures: a picture aborted the batch (TypeError), WAV/AIFF genres read as none and
    # the write failed ("not a Frame instance"), and ID3v2.3 came back as v2.4, undo or not.
    from mutagen.id3 import ID3

    path = id3_tagged(write(tmp_path / name, chords(2.0), 22050), version=3)
    original = path.read_bytes()
    assert read_genres(path) == ["Jazz"] and read_tags(path)["title"] == ["Keep me"]
    change = plan_genres(path, LABELS, threshold=0.25)
    assert (change.before, change.after) == (["Jazz"], ["Rock", "Pop"])
    assert write_genres(change).status == "written"
    tags = mutagen.File(str(path)).tags
    assert read_genres(path) == ["Rock/Pop"] and tags.version[:2] == (2, 3)  # v2.3's own separator
    assert (
        isinstance(tags, ID3)
        and tags.getall("APIC")[0].data.startswith(b"\x89PNG")
        and tags["TIT2"].text == ["Keep me"]
    )
    undo = GenreChange(path, change.after, change.before, since="Earmark wrote them")
    assert write_genres(undo).status == "written"
    assert path.read_bytes() == original  # undone byte for byte


def test_wma_genres_are_wm_genre(tmp_path: Path) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is installed by `make test`")
    import subprocess

    wav = write(tmp_path / "song.wav", chords(2.0), 22050)
    path = tmp_path / "song.wma"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "wmav2", str(path)], check=True)
    audio = mutagen.File(str(path))
    audio.tags["WM/Genre"] = ["Blues"]
    audio.save()
    assert read_genres(path) == ["Blues"] and read_tags(path)["genre"] == ["Blues"]
    assert write_genres(plan_genres(path, LABELS, threshold=0.25)).status == "written"
    tags = mutagen.File(str(path)).tags
    assert [str(v) for v in tags["WM/Genre"]] == ["Rock", "Pop"] and "genre" not in tags


@pytest.mark.parametrize("name", ["song.flac", "song.ogg"])
def test_an_undo_gives_back_the_same_vorbis_comments(tmp_path: Path, name: str) -> None:
    # The reported difference: undo moved GENRE to the end of the comments, in lower case.
    path = write(tmp_path / name, chords(2.0), 22050)
    audio = mutagen.File(str(path))
    audio.tags.extend([("GENRE", "Ambient"), ("TITLE", "Keep me")])  # as another tagger left them
    audio.save()
    original = path.read_bytes()
    change = plan_genres(path, LABELS, threshold=0.25)
    assert write_genres(change).status == "written"
    assert list(mutagen.File(str(path)).tags)[-3:] == [("GENRE", "Rock"), ("GENRE", "Pop"), ("TITLE", "Keep me")]
    assert write_genres(GenreChange(path, change.after, change.before, since="Earmark wrote them")).status == "written"
    assert path.read_bytes() == original


def test_an_undo_removes_the_id3_tag_that_the_write_added(tmp_path: Path) -> None:
    path = write(tmp_path / "song.wav", chords(2.0), 22050)
    original = path.read_bytes()
    change = plan_genres(path, LABELS, threshold=0.25)
    assert change.before == [] and write_genres(change).status == "written"
    assert write_genres(GenreChange(path, change.after, [], since="Earmark wrote them")).status == "written"
    assert path.read_bytes() == original


def test_a_file_in_a_read_only_folder_is_refused_even_for_root(tmp_path: Path) -> None:
    path = write(tmp_path / "album" / "song.flac", chords(2.0), 22050)
    before = path.read_bytes()
    path.parent.chmod(0o555)
    try:
        outcome = write_genres(plan_genres(path, LABELS, threshold=0.25))
    finally:
        path.parent.chmod(0o755)
    assert outcome.status == "refused" and outcome.reason == "its folder is read-only"
    assert path.read_bytes() == before


def test_a_copy_left_by_a_killed_write_is_cleared_by_the_next_one(tmp_path: Path) -> None:
    # kill -9 during a write left ".song.flac.XXXX.flac" beside the song for good.
    import socket
    import subprocess
    import sys

    path = write(tmp_path / "song.flac", chords(2.0), 22050)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process that has ended: its pid is free
    host = socket.gethostname()
    killed = tmp_path / f".song.flac.earmark-{host}-{gone.pid}-abcd1234.flac"
    writing = tmp_path / f".song.flac.earmark-{host}-{os.getpid()}-efgh5678.flac"  # a live writer's
    killed.write_bytes(b"half a copy")
    writing.write_bytes(b"in progress")
    assert write_genres(plan_genres(path, LABELS, threshold=0.25)).status == "written"
    assert sorted(p.name for p in tmp_path.iterdir()) == [writing.name, "song.flac"]
