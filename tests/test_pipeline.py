"""Tagging a folder end to end with a tiny model: what lands in the store, and what is skipped."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from core.models.backend import TorchBackend
from core.models.registry import inspect_folder
from core.runs.observer import RunObserver
from core.runs.options import TagOptions
from core.runs.tasks.tags import TagRun
from core.store import Store
from tests.audio_factory import bad_corpus, chords, good_corpus, write
from tests.tiny_models import TINY_LABELS


@pytest.fixture(scope="module")
def backend(tiny_model: Path) -> TorchBackend:
    return TorchBackend(inspect_folder(tiny_model), device="cpu")


def tag(backend: TorchBackend, db: Path, *paths: Path, **options) -> object:
    with Store(db) as store:
        return TagRun(backend, store, TagOptions(**options)).run(list(paths))


def rows(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_every_file_gets_all_labels_ranked(backend: TorchBackend, tmp_path: Path) -> None:
    files = good_corpus(tmp_path / "lib")
    db = tmp_path / "e.db"
    summary = tag(backend, db, tmp_path / "lib")
    assert summary.tagged == len(files) and summary.failed == 0
    with Store(db) as store:
        results = store.results("tiny-musicnn", top_k=0)
    assert {Path(r.path).name for r in results} == set(files)
    for result in results:
        assert result.status == "tagged"
        if Path(result.path).name == "silence.wav":  # a music tagger labels no music where there is none
            assert [i.label for i in result.labels] == ["no music"]
            continue
        assert sorted(i.label for i in result.labels) == sorted(TINY_LABELS)
        scores = [i.score for i in result.labels]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores)
    # ranks are 1..N in score order, in the table itself
    ranked = rows(db, "SELECT rank, score FROM labels WHERE analysis_id = 1 ORDER BY rank")
    assert [r for r, _ in ranked] == list(range(1, len(TINY_LABELS) + 1))
    assert [s for _, s in ranked] == sorted((s for _, s in ranked), reverse=True)


def test_file_properties_are_recorded(backend: TorchBackend, tmp_path: Path) -> None:
    good_corpus(tmp_path / "lib")
    db = tmp_path / "p.db"
    tag(backend, db, tmp_path / "lib")
    props = {
        Path(p).name: (rate, ch, dur)
        for p, rate, ch, dur in rows(db, "SELECT path, sample_rate, channels, duration_s FROM files")
    }
    assert props["telephone.wav"][:2] == (8000, 1)
    assert props["surround.flac"][:2] == (48000, 6)
    assert props["chords.wav"][2] == pytest.approx(8.0, abs=0.05)
    assert props["short.wav"][2] == pytest.approx(0.4, abs=0.05)


def test_long_file_gets_a_timeline(backend: TorchBackend, tmp_path: Path) -> None:
    write(tmp_path / "lib" / "mix.wav", np.concatenate([chords(20.0, 16000), chords(21.5, 16000, seed=5)]), 16000)
    db = tmp_path / "t.db"
    tag(backend, db, tmp_path / "lib", segment_seconds=10.0, segment_top_k=3)
    with Store(db) as store:
        timeline = store.segments(str(tmp_path / "lib" / "mix.wav"), "tiny-musicnn")
    segments = sorted({(seg, start, end) for seg, start, end, _, _ in timeline})
    # 41.5 s in 10 s segments: the 1.5 s tail (shorter than a 3 s window) joins the last one
    assert [(s, a, b) for s, a, b in segments] == [(0, 0, 10), (1, 10, 20), (2, 20, 30), (3, 30, 41.5)]
    assert all(sum(1 for row in timeline if row[0] == seg) == 3 for seg, _, _ in segments)


def test_bad_files_become_error_rows_and_the_batch_goes_on(backend: TorchBackend, tmp_path: Path) -> None:
    good = good_corpus(tmp_path / "lib")
    bad = bad_corpus(tmp_path / "lib" / "bad")
    db = tmp_path / "b.db"
    summary = tag(backend, db, tmp_path / "lib")
    assert summary.tagged == len(good)
    assert summary.failed == len(bad)
    with Store(db) as store:
        errors = {Path(r.path).name: r.error for r in store.results("tiny-musicnn", status="error")}
    assert set(errors) == set(bad)
    assert "empty file" in errors["empty.wav"]
    assert "No such file" in errors["gone.ogg"]
    assert "not a readable audio file" in errors["notes.mp3"]
    assert errors["truncated.flac"]
    # a rerun leaves unchanged failures alone, unless asked to retry them
    assert tag(backend, db, tmp_path / "lib").decoded == 0
    assert tag(backend, db, tmp_path / "lib", retry_errors=True).failed == len(bad)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file_is_an_error_row(backend: TorchBackend, tmp_path: Path) -> None:
    locked = write(tmp_path / "lib" / "locked.wav", chords(3.0), 22050)
    locked.chmod(0)
    summary = tag(backend, tmp_path / "u.db", tmp_path / "lib")
    assert summary.failed == 1 and "ermission" in summary.failures[0].error


def test_rerun_decodes_nothing_and_changes_are_picked_up(backend: TorchBackend, tmp_path: Path) -> None:
    files = good_corpus(tmp_path / "lib")
    db = tmp_path / "r.db"
    first = tag(backend, db, tmp_path / "lib")
    again = tag(backend, db, tmp_path / "lib")
    assert again.decoded == 0 and again.skipped == first.tagged

    changed = files["chords.wav"]
    write(changed, chords(9.0, seed=9), 22050)
    os.utime(changed, (1_700_000_000, 1_700_000_000))
    files["silence.wav"].unlink()
    third = tag(backend, db, tmp_path / "lib")
    assert (third.tagged, third.skipped, third.missing) == (1, len(files) - 2, 1)
    with Store(db) as store:
        status = {Path(r.path).name: r.status for r in store.results("tiny-musicnn")}
    assert status["silence.wav"] == "missing"  # kept, flagged
    assert rows(db, "SELECT COUNT(*) FROM analyses")[0][0] == len(files)  # no duplicates
    changed_duration = rows(db, "SELECT duration_s FROM files WHERE path = ?", str(changed))[0][0]
    assert changed_duration == pytest.approx(9.0, abs=0.05)


def test_a_new_model_version_retags(backend: TorchBackend, tmp_path: Path) -> None:
    from tests.tiny_models import tiny_musicnn

    good_corpus(tmp_path / "lib")
    db = tmp_path / "v.db"
    tag(backend, db, tmp_path / "lib")
    retrained = TorchBackend(inspect_folder(tiny_musicnn(tmp_path / "tiny-musicnn", seed=1)), device="cpu")
    assert retrained.info.version != backend.info.version
    summary = tag(retrained, db, tmp_path / "lib")
    assert summary.skipped == 0 and summary.tagged > 0
    assert rows(db, "SELECT COUNT(*) FROM analyses")[0][0] == summary.tagged  # replaced, not duplicated


def test_batches_across_files_give_the_same_scores_as_one_by_one(backend: TorchBackend, tmp_path: Path) -> None:
    good_corpus(tmp_path / "lib")
    tag(backend, tmp_path / "batched.db", tmp_path / "lib", batch_size=64, decode_workers=2)
    tag(backend, tmp_path / "single.db", tmp_path / "lib", batch_size=1)
    query = (
        "SELECT f.path, l.label, l.score FROM labels l"
        " JOIN analyses a ON a.id = l.analysis_id JOIN files f ON f.id = a.file_id"
    )
    batched = {(p, label): s for p, label, s in rows(tmp_path / "batched.db", query)}
    single = {(p, label): s for p, label, s in rows(tmp_path / "single.db", query)}
    assert batched.keys() == single.keys()
    assert max(abs(batched[k] - single[k]) for k in batched) < 1e-5


def test_stop_keeps_committed_files_and_the_next_run_resumes(backend: TorchBackend, tmp_path: Path) -> None:
    for i in range(6):
        write(tmp_path / "lib" / f"track{i}.wav", chords(4.0, seed=i), 22050)
    db = tmp_path / "s.db"

    class StopAfterTwo(RunObserver):
        def __init__(self) -> None:
            self.done = 0

        def file_done(self, outcome) -> None:
            self.done += 1
            if self.done == 2:
                run.stop.set()

    with Store(db) as store:
        run = TagRun(backend, store, TagOptions(batch_size=1), StopAfterTwo())
        first = run.run([tmp_path / "lib"])
    assert first.interrupted and 2 <= first.tagged < 6
    second = tag(backend, db, tmp_path / "lib")
    assert second.skipped == first.tagged and second.tagged == 6 - first.tagged
    assert rows(db, "SELECT COUNT(*) FROM analyses")[0][0] == 6
    assert [r[0] for r in rows(db, "SELECT status FROM runs ORDER BY id")] == ["interrupted", "completed"]


def test_a_stop_while_the_model_waits_for_audio_still_ends_the_run(backend: TorchBackend, tmp_path: Path) -> None:
    """The model thread is blocked waiting for the next file's audio when the stop comes."""
    for i in range(3):
        write(tmp_path / "lib" / f"track{i}.wav", chords(4.0, seed=i), 22050)

    stop = threading.Event()

    class StopWhileDecodingTheSecond(RunObserver):
        def file_started(self, stat) -> None:
            if stat.path.name == "track1.wav":
                time.sleep(0.5)  # the model thread finishes track0 and waits for audio
                stop.set()

    outcome: list = []

    def tag_in_a_thread() -> None:  # as the GUI runs it; a hang must not hang the test suite
        with Store(tmp_path / "w.db") as store:
            run = TagRun(backend, store, TagOptions(batch_size=1), StopWhileDecodingTheSecond(), stop)
            outcome.append(run.run([tmp_path / "lib"]))

    worker = threading.Thread(target=tag_in_a_thread, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the run hung after stop"
    assert outcome[0].interrupted and outcome[0].tagged <= 1


def test_excerpts_tag_three_stretches_and_a_full_run_upgrades_them(backend: TorchBackend, tmp_path: Path) -> None:
    write(tmp_path / "lib" / "long.flac", chords(180.0, 16000), 16000)
    write(tmp_path / "lib" / "short.wav", chords(20.0, 16000, seed=1), 16000)
    db = tmp_path / "x.db"
    first = tag(backend, db, tmp_path / "lib", coverage="excerpts")
    assert first.tagged == 2
    with Store(db) as store:
        timeline = store.segments(str(tmp_path / "lib" / "long.flac"), "tiny-musicnn")
        short = store.segments(str(tmp_path / "lib" / "short.wav"), "tiny-musicnn")
    spans = sorted({(start, end) for _, start, end, _, _ in timeline})
    assert spans == [(15.0, 45.0), (75.0, 105.0), (135.0, 165.0)]  # centred on each third
    assert sorted({(start, end) for _, start, end, _, _ in short}) == [(0.0, 20.0)]  # too short: all of it
    coverage = dict(rows(db, "SELECT f.path, a.coverage FROM analyses a JOIN files f ON f.id = a.file_id"))
    assert coverage == {str(tmp_path / "lib" / "long.flac"): "excerpts", str(tmp_path / "lib" / "short.wav"): "full"}
    assert rows(db, "SELECT duration_s FROM files WHERE path LIKE '%long.flac'")[0][0] == pytest.approx(180.0)

    assert tag(backend, db, tmp_path / "lib", coverage="excerpts").decoded == 0
    upgraded = tag(backend, db, tmp_path / "lib")  # full coverage re-tags only what excerpts skimmed
    assert (upgraded.tagged, upgraded.skipped) == (1, 1)
    assert tag(backend, db, tmp_path / "lib", coverage="excerpts").decoded == 0  # full covers excerpts
