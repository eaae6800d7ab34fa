"""``earmark search`` and ``earmark transcript``: what was said in the calls, found and exported."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..calls.export import FORMATS, render, speaker_name
from .common import EXIT_OK, CliError, add_db, open_store, positive_int, printable


def add_commands(commands) -> None:
    search = commands.add_parser(
        "search",
        help='find words in the calls\' transcripts (and keyword hits): refund, refun*, "full refund"',
    )
    search.set_defaults(handler=run_search)
    search.add_argument("phrase", metavar="PHRASE")
    add_db(search)
    search.add_argument("--format", choices=["table", "json"], default="table")
    search.add_argument("--limit", type=positive_int, default=200, help="most hits shown (default 200)")
    transcript = commands.add_parser("transcript", help="the transcript of one analysed call")
    transcript.set_defaults(handler=run_transcript)
    transcript.add_argument("file", type=Path, metavar="FILE")
    add_db(transcript)
    transcript.add_argument("--format", choices=list(FORMATS), default="txt")


def run_search(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        hits = store.search(args.phrase, args.limit)
    if args.format == "json":
        json.dump([hit.to_json() for hit in hits], sys.stdout, indent=2)
        print()
        return EXIT_OK
    bold, plain = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("[", "]")
    for hit in hits:
        text = printable(hit.marked).replace("\\x02", bold).replace("\\x03", plain)  # the marks, as escaped
        minutes, seconds = divmod(hit.start_s, 60)
        print(f"{printable(hit.path)}\t{int(minutes)}:{seconds:04.1f}\t{speaker_name(hit.speaker)}\t{text}")
    print(f"{len(hits)} hit(s) for {args.phrase!r}", file=sys.stderr)
    return EXIT_OK


def run_transcript(args: argparse.Namespace) -> int:
    path = str(args.file.resolve() if args.file.exists() else args.file)
    with open_store(args.db, create=False) as store:
        turns = store.transcript(path)
    if turns is None:
        raise CliError(f"no transcript of {path}: analyse it first (earmark tag --task calls FOLDER)")
    if not turns:
        print(f"earmark: no one speaks in {path}", file=sys.stderr)
    sys.stdout.write(render(turns, args.format))
    return EXIT_OK
