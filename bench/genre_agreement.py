"""Does Earmark's top genre agree with the genre that real music files already carry? Before and after.

    python bench/genre_agreement.py [--before musicnn-msd] [--after DEFAULT_MODEL] [--excerpt-seconds 10]

The music comes from packages installed here, each track with the genre its publisher gave it:

* ``wesnoth-1.16-music`` (Debian): Ogg Vorbis files whose own GENRE tag (read with mutagen) says
  "Romantic Classical" (one says "Game", a use rather than a style, one has none: no reference);
* ``immich-memories-music`` (PyPI): Opus files with no tags; the package's LICENSE-MUSIC lists each
  track with the genre its generator was prompted with ("[acoustic]" or "[electronic]"), which is
  taken as the track's genre;
* ``asc-music`` (Debian): three MP3s with no tags, and a package description ("music pack for ASC",
  section games) that implies no genre: they are tagged and listed, but not scored.

Genres are compared on a coarse taxonomy (:data:`COARSE`): the file's genre and Earmark's labels are
mapped onto it by explicit tables, and a file agrees when its coarse genre is that of Earmark's top
genre (top-1), or of one of its three best genres (top-3). Both models run one after the other in
this process through the same run as ``earmark tag`` (3 excerpts of ``--excerpt-seconds`` per file;
files under 1.5x that length whole), on whichever runtime ``auto`` picks. Files Earmark says hold no
music are listed apart. The table goes to stdout and ``bench/results/``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import mutagen

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.genre_verdict import LOW_CONFIDENCE, NO_MUSIC  # noqa: E402
from core.models.catalog import DEFAULT_MODEL  # noqa: E402
from core.records import LabelScore  # noqa: E402
from core.runs.build import build_run  # noqa: E402
from core.runs.options import TagOptions  # noqa: E402
from core.runs.requests import TagRequest  # noqa: E402
from core.store import Store  # noqa: E402

CLASSICAL, ELECTRONIC, AMBIENT, ROCK, POP, JAZZ = "classical", "electronic", "ambient", "rock", "pop", "jazz"
SOUL, HIPHOP, FOLK, WORLD, OTHER = "blues/soul/funk", "hip-hop/r&b", "folk/country/acoustic", "world", "other"

# The file's own genre -> coarse genre (None: names a use, not a style)
REFERENCE: dict[str, str | None] = {
    "romantic classical": CLASSICAL,
    "electronic": ELECTRONIC,
    "acoustic": FOLK,  # ACE-Step's "acoustic" genre caption: acoustic guitar songs, folk-pop
    "game": None,
}
# Earmark's genre labels (musicnn-msd's, lower case, and musicnn-merged's) -> coarse genre
COARSE: dict[str, str] = {
    **dict.fromkeys(["classical", "classic", "opera"], CLASSICAL),
    **dict.fromkeys(["electronic", "electronica", "electro", "techno", "dance", "house", "chillout"], ELECTRONIC),
    **dict.fromkeys(["ambient", "new age"], AMBIENT),
    **dict.fromkeys(
        [
            "rock",
            "alternative",
            "alternative rock",
            "indie",
            "indie rock",
            "classic rock",
            "hard rock",
            "punk",
            "progressive rock",
            "metal",
            "heavy metal",
        ],
        ROCK,
    ),  # fmt: skip
    **dict.fromkeys(["pop", "indie pop", "easy listening"], POP),
    "jazz": JAZZ,
    **dict.fromkeys(["blues", "soul", "funk"], SOUL),
    **dict.fromkeys(["hip-hop", "rnb", "r&b"], HIPHOP),
    **dict.fromkeys(["folk", "country"], FOLK),
    "indian": WORLD,
    "experimental": OTHER,
}


@dataclass(frozen=True)
class Track:
    path: Path
    source: str
    genre: str | None  # as the publisher gave it
    how: str  # where the genre comes from

    @property
    def coarse(self) -> str | None:
        return REFERENCE.get(self.genre.lower()) if self.genre else None


def _dpkg_files(package: str, suffix: str) -> list[Path]:
    try:
        listed = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return sorted(Path(line) for line in listed.split() if line.endswith(suffix))


def _tag_genre(path: Path) -> str | None:
    tags = mutagen.File(path)
    values = (tags.tags.get("genre") or tags.tags.get("TCON")) if tags is not None and tags.tags else None
    return str(values[0]) if values else None


def tracks() -> list[Track]:
    found = [
        Track(p, "wesnoth-1.16-music", _tag_genre(p), "GENRE tag") for p in _dpkg_files("wesnoth-1.16-music", ".ogg")
    ]
    found += [Track(p, "asc-music", _tag_genre(p), "none (no tags; Debian section games)") for p in
              _dpkg_files("asc-music", ".mp3")]  # fmt: skip
    spec = importlib.util.find_spec("immich_memories_music")
    if spec is not None and spec.submodule_search_locations:
        listed = {}
        for file in importlib.metadata.files("immich-memories-music") or []:
            if file.name == "LICENSE-MUSIC":
                text = file.read_text(encoding="utf-8")
                listed = dict(re.findall(r"^\s*(\S+\.opus)\s.*\[(\w+)\]\s*$", text, flags=re.MULTILINE))
        root = Path(next(iter(spec.submodule_search_locations))) / "tracks"
        found += [Track(p, "immich-memories-music", _tag_genre(p) or listed.get(p.name), "LICENSE-MUSIC track list")
                  for p in sorted(root.glob("*/*.opus"))]  # fmt: skip
    return found


def tag(model: str, paths: list[Path], db: Path, seconds: float) -> tuple[dict[str, list[LabelScore]], float, float]:
    """Each file's genre labels (best first) from ``model``, its runtime and speed in x realtime."""
    options = TagOptions(coverage="excerpts", excerpts=3, segment_seconds=seconds)
    with Store(db) as store:
        run = build_run(TagRequest(tuple(paths), model, options=options), store)
        started = time.monotonic()
        summary = run.run(paths)
        elapsed = time.monotonic() - started
        genres = run.analyser.label_groups["genre"]
        rows = store.results(run.analyser.name, labels=genres, top_k=0)
        runtime = run.task.describe() if run.task else "?"
    audio = summary.audio_seconds  # whole files' length; excerpts read less
    print(f"{model} on {runtime}: {summary.tagged} files in {elapsed:.0f} s", flush=True)
    return {row.path: row.labels for row in rows}, elapsed, audio / elapsed


def coarse_top(labels: list[LabelScore], k: int) -> list[str | None]:
    return [COARSE.get(item.label.lower()) for item in labels[:k]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="musicnn-msd")
    parser.add_argument("--after", default=DEFAULT_MODEL)
    parser.add_argument("--excerpt-seconds", type=float, default=10.0)
    args = parser.parse_args()
    found = tracks()
    if not found:
        raise SystemExit("no music packages found: install wesnoth-1.16-music, asc-music or immich-memories-music")
    paths = [t.path for t in found]
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for model in (args.before, args.after):
            results[model] = tag(model, paths, Path(scratch) / f"{model}.db", args.excerpt_seconds)
    text = report(found, results, args)
    out = Path(__file__).parent / "results" / f"genre_agreement-{time.strftime('%Y%m%d-%H%M')}.md"
    out.write_text(text + "\n", encoding="utf-8")
    print("\n" + text + f"\n\nwritten to {out}")


def report(found: list[Track], results: dict, args: argparse.Namespace) -> str:
    models = [args.before, args.after]
    rows = ["| source | files | genre in the files (coarse) | "
            + " | ".join(f"{m} top-1 | {m} top-3" for m in models) + " |",
            "|---|---|---|" + "---|---|" * len(models)]  # fmt: skip
    totals = {m: [0, 0] for m in models}
    scored = 0
    for source in dict.fromkeys(t.source for t in found):
        mine = [t for t in found if t.source == source and t.coarse]
        genres = ", ".join(sorted({f"{t.genre} ({t.coarse})" for t in mine})) or "none given"
        cells = []
        for m in models:
            labels = results[m][0]
            top1 = sum(coarse_top(labels.get(str(t.path), []), 1) == [t.coarse] for t in mine)
            top3 = sum(t.coarse in coarse_top(labels.get(str(t.path), []), 3) for t in mine)
            totals[m][0] += top1
            totals[m][1] += top3
            cells.append(f"{top1}/{len(mine)} | {top3}/{len(mine)}" if mine else "– | –")
        scored += len(mine)
        count = sum(t.source == source for t in found)
        rows.append(f"| {source} | {count} ({len(mine)} with a genre) | {genres} | " + " | ".join(cells) + " |")
    rows.append(f"| **all** | {len(found)} ({scored} with a genre) | | "
                + " | ".join(f"**{a / scored:.0%}** ({a}) | {b / scored:.0%} ({b})" for a, b in
                             (totals[m] for m in models)) + " |")  # fmt: skip
    lines = [
        f"## Genre agreement, {time.strftime('%Y-%m-%d %H:%M')}",
        f"Machine: {platform.processor() or platform.machine()}, {len(os.sched_getaffinity(0))} cores. "
        f"3 excerpts of {args.excerpt_seconds:.0f} s per file. "
        + "; ".join(
            f"{m}: {results[m][1]:.0f} s ({results[m][2]:.0f}x realtime over the files' length)" for m in models
        )
        + ".",
        "\n".join(rows),
        confidence(found, results[args.after][0], args.after),
        details(found, results, models),
    ]
    return "\n\n".join(lines)


def confidence(found: list[Track], labels: dict[str, list[LabelScore]], model: str) -> str:
    """How often the top genre agrees above and below the low-confidence threshold."""
    parts = []
    for name, keep in (("at or above", lambda s: s >= LOW_CONFIDENCE), ("below", lambda s: s < LOW_CONFIDENCE)):
        mine = [t for t in found if t.coarse and labels.get(str(t.path)) and keep(labels[str(t.path)][0].score)]
        agree = sum(coarse_top(labels[str(t.path)], 1) == [t.coarse] for t in mine)
        parts.append(
            f"{name} {LOW_CONFIDENCE}: {agree}/{len(mine)} agree" if mine else f"{name} {LOW_CONFIDENCE}: none"
        )
    silent = [t.path.name for t in found if (labels.get(str(t.path)) or [LabelScore("", 0)])[0].label == NO_MUSIC]
    return (f"{model}, top genre score {'; '.join(parts)}. Said to hold no music: "
            f"{', '.join(silent) or 'none'}.")  # fmt: skip


def details(found: list[Track], results: dict, models: list[str]) -> str:
    rows = ["| file | genre in the file | " + " | ".join(f"{m} top 3" for m in models) + " |",
            "|---|---|" + "---|" * len(models)]  # fmt: skip
    for t in found:
        cells = [", ".join(f"{i.label} {i.score:.2f}" for i in results[m][0].get(str(t.path), [])[:3]) for m in models]
        rows.append(f"| {t.source}: {t.path.name} | {t.genre or '–'} | " + " | ".join(cells) + " |")
    return "<details><summary>Every file</summary>\n\n" + "\n".join(rows) + "\n\n</details>"


if __name__ == "__main__":
    main()
