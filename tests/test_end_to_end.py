"""Slow end-to-end stories: real models on real recordings, kill -9 and resume, a 5-hour file."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core.models.musicnn.vocabulary import MERGED
from tests.audio_factory import chords, write

pytestmark = pytest.mark.slow

WESNOTH = Path("/usr/share/games/wesnoth/1.16/data/core/music")
ASC = Path("/usr/share/games/asc/music")
LABELS = len(MERGED)  # the default model's (musicnn-merged)


def earmark(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, check=False, **kwargs)


def require(path: Path) -> Path:
    if not path.exists():
        message = f"{path} is missing: `make test` installs the Debian package that carries it"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    return path


def top_label(db: Path, model: str, group: str, path: Path) -> str:
    result = earmark("results", "--db", str(db), "--model", model, "--group", group, "--format", "json")
    assert result.returncode == 0, result.stderr
    row = next(row for row in json.loads(result.stdout) if row["path"] == str(path))
    return row["labels"][0]["label"]


def test_orchestral_music_ranks_classical_first_with_mtt(tmp_path: Path) -> None:
    tracks = [require(WESNOTH / name) for name in ("elvish-theme.ogg", "the_dangerous_symphony.ogg")]
    library = tmp_path / "orchestral"
    library.mkdir()
    for track in tracks:
        (library / track.name).symlink_to(track)
    db = tmp_path / "o.db"
    result = earmark("tag", str(library), "--model", "musicnn-mtt", "--db", str(db), "--quiet")
    assert result.returncode == 0, result.stderr
    for track in tracks:
        assert top_label(db, "musicnn-mtt", "genre", library / track.name) == "classical"


def test_electronic_music_ranks_electronic_first_with_msd(tmp_path: Path) -> None:
    track = require(ASC / "machine_wars.mp3")
    db = tmp_path / "e.db"
    result = earmark("tag", str(track), "--model", "musicnn-msd", "--db", str(db), "--quiet")
    assert result.returncode == 0, result.stderr
    assert top_label(db, "musicnn-msd", "genre", track) == "electronic"


def start_and_signal(library: Path, db: Path, sig: int, after: int = 5) -> subprocess.Popen:
    """Start tagging 60 files in a process, and send it ``sig`` once ``after`` files are committed."""
    for i in range(60):
        write(library / f"track{i:02d}.wav", chords(6.0, 16000, seed=i), 16000)
    command = [sys.executable, "-m", "core", "tag", str(library), "--db", str(db), "--quiet", "--batch-size", "4"]
    # Ctrl-C as a terminal sends it: whatever this test process did with SIGINT, the run starts with it on
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    committed = 0
    deadline = time.monotonic() + 120
    while committed < after and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    committed = conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
            except sqlite3.OperationalError:
                continue
    assert process.poll() is None, "the run finished before the signal could be sent"
    process.send_signal(sig)
    return process


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    process = start_and_signal(tmp_path / "lib", db, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr[-2000:]  # what the run said, when it did not stop
    assert "Interrupted:" in stderr and "run the same command again to resume" in stderr
    assert "Traceback" not in stderr
    with sqlite3.connect(db) as conn:
        assert [row[0] for row in conn.execute("SELECT status FROM runs")] == ["interrupted"]
        kept = conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
        assert conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == LABELS * kept


def test_kill_9_mid_run_then_resume_without_duplicates(tmp_path: Path) -> None:
    library, db = tmp_path / "lib", tmp_path / "k.db"
    process = start_and_signal(library, db, signal.SIGKILL)
    process.communicate()

    with sqlite3.connect(db) as conn:
        done_before = conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]
        assert 5 <= done_before < 60
        # whole files only: every committed analysis has all its labels
        assert conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == LABELS * done_before

    result = earmark("tag", str(library), "--db", str(db), "--quiet")
    assert result.returncode == 0, result.stderr
    assert f"{60 - done_before} file(s)" in result.stderr.replace("Tagged ", "")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 60
        assert conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0] == 60
        assert conn.execute("SELECT COUNT(*) FROM labels").fetchone()[0] == 60 * LABELS
        statuses = [row[0] for row in conn.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["interrupted", "completed"]  # the killed run could not say so; the next run did


def peak_rss_tagging(folder: Path, model: Path, db: Path) -> float:
    """Peak RSS (MiB) of a whole `earmark tag` process over ``folder``."""
    script = (
        "import resource, sys; from core.cli import main; code = main(sys.argv[1:]);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "tag", str(folder), "--model", str(model), "--db", str(db), "--quiet"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1]) / 1024


def write_beeps(path: Path, minutes: int) -> None:
    """A long recording, written a minute at a time: a one-second chord at the start of each minute."""
    path.parent.mkdir(parents=True)
    rate = 8000
    beep = np.zeros(rate * 60, dtype=np.float32)
    beep[:rate] = chords(1.0, rate)
    with sf.SoundFile(str(path), "w", rate, 1, subtype="PCM_16") as out:
        for _ in range(minutes):
            out.write(beep)


def test_five_hour_recording_streams_in_bounded_memory(tmp_path: Path, tiny_model: Path) -> None:
    write_beeps(tmp_path / "short" / "five-minutes.flac", 5)
    write_beeps(tmp_path / "long" / "five-hours.flac", 300)
    short_peak = peak_rss_tagging(tmp_path / "short", tiny_model, tmp_path / "short.db")
    long_peak = peak_rss_tagging(tmp_path / "long", tiny_model, tmp_path / "long.db")
    print(f"peak RSS: {short_peak:.0f} MiB for 5 minutes, {long_peak:.0f} MiB for 5 hours")
    # decoded whole, the 5 hours would add 1.1 GiB (16 kHz float32); streamed, the peak barely moves
    assert long_peak - short_peak < 250, f"peak RSS {short_peak:.0f} MiB for 5 min, {long_peak:.0f} MiB for 5 h"
    with sqlite3.connect(tmp_path / "long.db") as conn:
        duration = conn.execute("SELECT duration_s FROM files").fetchone()[0]
        segments = conn.execute("SELECT COUNT(DISTINCT segment) FROM segments").fetchone()[0]
    assert duration == pytest.approx(5 * 3600, abs=0.1)
    assert segments == 600
