"""``earmark results``: what the store holds, filtered, as a table, CSV or JSON."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..export_results import WRITERS, save_rows
from ..genre_verdict import describe
from ..query import EXAMPLE, parse_arguments
from ..records import ResultRow
from .common import EXIT_OK, CliError, add_db, open_store, printable


def add_commands(commands) -> None:
    results = commands.add_parser("results", help="list tagged files and their labels")
    results.set_defaults(handler=run)
    results.add_argument(
        "query",
        nargs="*",
        help=f"what to list, e.g. '{EXAMPLE}' (all terms must match; ^term: not that; see the README)",
    )
    add_db(results)
    results.add_argument("--model", default=None, help="model name (default: the last one used)")
    results.add_argument("--label", default=None, help="only files with this label among their top labels")
    results.add_argument("--group", default=None, help="rank only this group's labels (genre, mood...)")
    results.add_argument("--min-score", type=float, default=0.0, help="drop labels scoring below this")
    results.add_argument("--top-k", type=int, default=5, help="labels per file (0: all)")
    results.add_argument("--status", choices=["tagged", "error", "missing"], default=None)
    results.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
    results.add_argument("-o", "--output", type=Path, default=None, help="write csv, json or parquet to this file")
    results.add_argument("--force", action="store_true", help="with -o: replace the file if it exists")


def _metadata_summary(row: ResultRow) -> str:
    """The file's own tags in one line: ``Artist — Title (Album, 2005) [Jazz]``, or nothing."""
    meta = row.meta
    name = " — ".join(part for part in (meta.artist, meta.title) if part)
    where = ", ".join(str(part) for part in (meta.album, meta.year) if part)
    parts = (name, f"({where})" if where else "", f"[{meta.genre}]" if meta.genre else "")
    return " ".join(part for part in parts if part)


def _call_summary(call) -> str:
    """A call in one line: who spoke and for how long, and what else the call holds."""
    talk = ", ".join(f"{seconds:.0f} s" for _speaker, seconds in sorted(call.speakers.items()))
    people = f"{len(call.speakers)} speaker(s) ({talk})" if call.speakers else "no speech"
    seconds = call.seconds
    return (f"{people}; speech {seconds['speech']:.0f} s, hold music {seconds['music']:.0f} s,"
            f" silence {seconds['silence']:.0f} s; {len(call.transcript)} transcript line(s)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        model = args.model or store.latest_model_name()
        if model is None:
            raise CliError(f"no results yet in {store.path}; run `earmark tag FOLDER` first")
        labels, groups = store.model_labels(model)
        if args.group and args.group != "all" and args.group not in groups:
            raise CliError(f"model {model} has no label group {args.group!r} (groups: {', '.join(sorted(groups))})")
        shown = groups[args.group] if args.group and args.group != "all" else None
        if args.label is not None and args.label not in labels:
            raise CliError(f"model {model} has no label {args.label!r}")
        search = parse_arguments(args.query)
        rows = store.results(
            model,
            labels=shown,
            min_score=args.min_score,
            top_k=args.top_k,
            with_label=args.label,
            status=args.status,
            search=search,
        )
        hits = None
        if "keywords" in groups:  # a keyword search: its segments are the hits
            hits = {row.path: [(w, end, p) for _i, _s, end, w, p in store.segments(row.path, model)] for row in rows}
    if args.format == "parquet" or args.output is not None:
        _save(rows, args.format, args.output, store.path, args.force)
    elif args.format in WRITERS:
        WRITERS[args.format](rows, sys.stdout)
    else:
        for row in rows:
            if row.status != "tagged":
                detail = f"{row.status.upper()}: {row.error or ''}"
            elif row.call is not None:
                detail = _call_summary(row.call)
            elif hits is not None:  # keyword search: each hit with its time
                heard = [f"{w} at {end:.1f} s ({p:.2f})" for w, end, p in hits[row.path] if args.label in (None, w)]
                detail = ", ".join(heard) or "no keywords"
            else:
                detail = ", ".join(describe(row.labels, groups.get("genre", ())))  # "jazz 0.18 (low confidence)"
            tags = _metadata_summary(row)  # the file's own tags, a third column when it has any
            print(f"{printable(row.path)}\t{printable(detail)}" + (f"\t{printable(tags)}" if tags else ""))
        print(f"{len(rows)} file(s), model {model}", file=sys.stderr)
    return EXIT_OK


def _save(rows: list[ResultRow], fmt: str, path: Path | None, database: Path, force: bool) -> None:
    """Results into a file (Parquet is only ever written to one: it is binary)."""
    if path is None:
        raise CliError(f"--format {fmt} writes a file: add -o FILE")
    if fmt not in ("parquet", *WRITERS):
        raise CliError("-o writes csv, json or parquet: add --format csv, json or parquet")
    try:
        save_rows(rows, path, fmt, database, replace=force)
    except OSError as error:
        raise CliError(f"cannot write {printable(path)}: {error.strerror or error}") from error
    print(f"{len(rows)} file(s) written to {printable(path)}", file=sys.stderr)
