"""Finding audio files: recursive, by extension, hidden skipped, stable order, loop-safe."""

from __future__ import annotations

from pathlib import Path

from core.scan import scan


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_recursive_sorted_and_filtered(tmp_path: Path) -> None:
    for name in ["b.mp3", "a.FLAC", "sub/c.ogg", "sub/deeper/d.m4a", "notes.txt", "cover.jpg", ".hidden.wav",
                 ".cache/e.wav", "sub/f.opus", "g.aiff", "h.wma"]:  # fmt: skip
        touch(tmp_path / name)
    found = [p.relative_to(tmp_path).as_posix() for p in scan([tmp_path])]
    assert found == ["a.FLAC", "b.mp3", "g.aiff", "h.wma", "sub/c.ogg", "sub/deeper/d.m4a", "sub/f.opus"]


def test_symlink_loops_and_duplicates_are_walked_once(tmp_path: Path) -> None:
    touch(tmp_path / "music" / "a.wav")
    (tmp_path / "music" / "loop").symlink_to(tmp_path / "music")
    (tmp_path / "music" / "again").symlink_to(tmp_path / "music", target_is_directory=True)
    found = list(scan([tmp_path / "music", tmp_path / "music", tmp_path / "music" / "a.wav"]))
    assert found == [tmp_path / "music" / "a.wav"]


def test_named_files_are_taken_whatever_their_extension(tmp_path: Path) -> None:
    named = touch(tmp_path / "recording.bin")
    assert list(scan([named])) == [named]


def test_unlistable_folder_is_reported(tmp_path: Path) -> None:
    problems: list[str] = []
    (tmp_path / "broken").symlink_to(tmp_path / "nowhere")
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "gone").symlink_to(tmp_path / "nowhere2", target_is_directory=True)
    assert list(scan([tmp_path / "dir"], problems)) == []
    assert problems == []  # a dangling link without an audio name is not a folder, just ignored
