"""How long a rerun over an unchanged library takes: plan from the store, load no model.

    python bench/noop_rescan.py [--files 10000]

It writes N short files, records them in a fresh database as tagged by the default model (what a
finished run leaves; tagging 10,000 real files would take an hour and prove nothing more), then
times, each in a fresh process so that imports count as they do for a user:

1. baseline: what Earmark did before the runs layer planned first: resolve and load the model,
   then plan (and find nothing to do);
2. ``earmark tag FOLDER``, the whole command, which plans before loading.

The same for a 12-file folder. It prints the table with ratios against the baseline and writes it
to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio import AudioInfo  # noqa: E402
from core.models.catalog import DEFAULT_MODEL  # noqa: E402
from core.models.registry import resolve  # noqa: E402
from core.records import FileTags, LabelScore  # noqa: E402
from core.runs.tasks.music_guard import identity  # noqa: E402
from core.scan import file_stat, scan  # noqa: E402
from core.store import Store  # noqa: E402

TARGET_S = 2.0
REPEATS = 3
BASELINE = """
import sys
from pathlib import Path
from core.models.registry import resolve
from core.models.runtime import load_backend
from core.runs.tasks.tags import TagRun
from core.store import Store
backend = load_backend(resolve(sys.argv[1]))
with Store(Path(sys.argv[2])) as store:
    summary = TagRun(backend, store).run([Path(sys.argv[3])])
assert summary.decoded == 0, summary
"""


def library(folder: Path, count: int, db: Path) -> None:
    """``count`` files under ``folder``, all recorded in ``db`` as tagged by the default model."""
    audio = np.zeros(1600, dtype=np.float32)
    for i in range(count):
        path = folder / f"{i // 1000:02d}" / f"track{i:05d}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), audio, 16000)
    info = identity(resolve(DEFAULT_MODEL))  # as a tags run registers it (a music tagger: guarded)
    with Store(db) as store:
        model = store.register_model(info.name, info.version, info.path, info.labels, info.label_groups, info.licence)
        run = store.start_run(model, [str(folder)])
        for path in scan([folder]):
            tags = FileTags(file_stat(path), AudioInfo(16000, 1, 0.1, "pcm_16"), 0.1, [LabelScore(info.labels[0], 0.5)])
            store.save_tags(run, model, info.name, tags)
        store.finish_run(run, "completed", count, count, 0, 0, count * 0.1)


def timed(command: list[str]) -> float:
    """Median wall time of ``command`` over a few runs, each a fresh process."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        times.append(time.perf_counter() - started)
        if result.returncode != 0 or "Traceback" in result.stderr:
            raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return statistics.median(times)


def measure(count: int, tmp: Path) -> list[tuple[str, float]]:
    folder, db = tmp / f"lib{count}", tmp / f"lib{count}.db"
    library(folder, count, db)
    baseline = timed([sys.executable, "-c", BASELINE, DEFAULT_MODEL, str(db), str(folder)])
    earmark = timed([sys.executable, "-m", "core", "tag", str(folder), "--db", str(db), "--quiet"])
    return [(f"{count} files: baseline (load the model, then plan)", baseline),
            (f"{count} files: earmark tag (plan first, nothing loaded)", earmark)]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure(12, Path(tmp)) + measure(args.files, Path(tmp))
    stamp = time.strftime("%Y-%m-%d %H:%M")
    lines = [
        f"###### Measured {stamp}",
        "",
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
        f"median of {REPEATS} runs, each a fresh process (imports included). Target: under {TARGET_S:.0f} s.",
        "",
        "| run | wall s | vs baseline |",
        "| --- | ---: | ---: |",
    ]
    for (name, seconds), baseline in zip(rows, [rows[0][1], rows[0][1], rows[2][1], rows[2][1]], strict=True):
        lines.append(f"| {name} | {seconds:.2f} | {baseline / seconds:.2f}x |")
    verdict = "met" if rows[-1][1] < TARGET_S else "NOT met"
    lines += ["", f"{args.files} files with nothing to do: {rows[-1][1]:.2f} s (target < {TARGET_S:.0f} s: {verdict})."]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "bench" / "results" / f"noop_rescan-{time.strftime('%Y%m%d-%H%M')}.md"
    out.write_text(text + "\n", encoding="utf-8")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
