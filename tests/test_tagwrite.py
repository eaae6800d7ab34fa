"""Writing genre labels into files: previewed, multi-valued, atomic."""

from __future__ import annotations

import os
from pathlib import Path

import mutagen
import pytest

from core.records import LabelScore
from core.tagwrite import TagWriteError, plan_genres, read_tags, write_genres
from tests.audio_factory import chords, write

LABELS = [LabelScore("rock", 0.6), LabelScore("pop", 0.3), LabelScore("jazz", 0.1), LabelScore("metal", 0.05)]


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
    assert (change.before, change.after) == (["Unknown"], ["rock", "pop"])
    assert read_tags(path)["genre"] == ["Unknown"]  # planning writes nothing
    write_genres(change)
    tags = read_tags(path)
    assert tags["genre"] == ["rock", "pop"] and tags["title"] == ["Keep me"]
    assert not plan_genres(path, LABELS, threshold=0.25).changes


def test_a_failed_write_leaves_the_original_untouched(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path / "song.flac", chords(2.0), 22050)
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(TagWriteError, match="disk full"):
        write_genres(plan_genres(path, LABELS, threshold=0.25))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["song.flac"]  # no temporary copy left behind


def test_a_file_that_is_not_audio_is_a_clear_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp3"
    fake.write_text("not audio")
    with pytest.raises(TagWriteError, match="fake.mp3"):
        write_genres(plan_genres(fake, LABELS, threshold=0.25))
