"""``earmark write-tags``: write the stored genres into the files' own tags, previewed, undoable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..query import EXAMPLE, parse_arguments
from .common import EXIT_FAILED, EXIT_OK, CliError, add_db, open_store, printable


def add_commands(commands) -> None:
    write = commands.add_parser(
        "write-tags",
        help="write Earmark's genres into the files' tags (keep/append/replace; --undo restores)",
        description="Write the genres Earmark found into the files' own tags. The default mode, keep, only"
        " fills files that have no genre; nothing is ever removed for want of a genre above the threshold."
        " The values replaced are saved in the database: --undo restores them.",
    )
    write.set_defaults(handler=run)
    add_db(write)
    write.add_argument("query", nargs="*", help=f"only the files this query matches, as in results (e.g. '{EXAMPLE}')")
    write.add_argument("--model", default=None, help="whose genres (default: the last model used)")
    write.add_argument(
        "--mode",
        choices=["keep", "append", "replace"],
        default="keep",
        help="keep: only files without a genre; append: add after the owner's; replace: ours instead",
    )
    write.add_argument("--max", type=int, default=3, dest="max_genres", help="at most this many of Earmark's genres")
    write.add_argument("--min-score", type=float, default=0.15, help="the score a genre needs to be written")
    write.add_argument("--separator", default=None, help='join genres into one value with this (e.g. "; ")')
    write.add_argument("--map", type=Path, default=None, help='JSON file of label -> genre name ("" drops it)')
    write.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    write.add_argument("--undo", action="store_true", help="restore the values the last write replaced")


def run(args: argparse.Namespace) -> int:
    from ..tagwrite import GenrePolicy, apply, load_canonical, pending_undo, plan, summarize, undo_last, undo_summary

    with open_store(args.db, create=False) as store:
        if args.undo:
            if args.dry_run:
                raise CliError("--undo and --dry-run cannot be combined")
            what, outcomes = undo_last(store)
            _print_summary(undo_summary(what, outcomes))
            return EXIT_FAILED if any(pending_undo(outcome) for outcome in outcomes) else EXIT_OK
        model = args.model or store.latest_model_name()
        if model is None:
            raise CliError(f"no results yet in {store.path}; run `earmark tag FOLDER` first")
        policy = GenrePolicy(
            mode=args.mode,
            threshold=args.min_score,
            max_genres=args.max_genres,
            separator=args.separator,
            canonical=load_canonical(args.map) if args.map else {},
        )
        paths = store.tagged_paths(model, parse_arguments(args.query))
        written = plan(store, model, paths, policy)
        for problem in written.problems:
            print(f"earmark: {printable(problem)}", file=sys.stderr)
        for change in written.changes:
            before, after = "; ".join(change.before) or "(none)", "; ".join(change.after)
            print(f"{printable(change.path)}\t{printable(before)} -> {printable(after)}")
        if args.dry_run:
            print(f"{len(written.changes)} of {len(paths)} file(s) would change (dry run: nothing written)",
                  file=sys.stderr)  # fmt: skip
            return EXIT_OK
        outcomes = apply(store, written.changes, model, policy.mode)
    unchanged = len(paths) - len(written.changes)
    _print_summary(summarize(outcomes) + ([f"{unchanged} file(s) left as they were."] if unchanged else []))
    return EXIT_OK


def _print_summary(lines: list[str]) -> None:
    for line in lines:
        print(printable(line), file=sys.stderr)
