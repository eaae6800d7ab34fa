"""``earmark``: tag folders, query the results, listen, manage and train models — from the terminal.

One module per command group, each adding its sub-commands with a handler. Every reason a command
cannot run is an :class:`~core.errors.EarmarkError`, turned here into one line and exit code 1
(see :mod:`.common`); Ctrl-C is exit code 130. Heavy libraries load inside the handlers only.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .. import __version__
from ..errors import EarmarkError
from . import calls, check, listen, models, results, tag, train, write_tags
from .common import EXIT_FAILED, EXIT_OK, interrupted, printable, stop_on_sigterm

COMMAND_GROUPS = (tag, results, write_tags, calls, listen, models, train, check)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="earmark", description="Tag audio files locally with audio models.")
    parser.add_argument("--version", action="version", version=f"earmark {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = bool(os.environ.get("EARMARK_DEBUG"))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="earmark: %(message)s")
    stop_on_sigterm()
    try:
        return args.handler(args)
    except EarmarkError as error:  # one line; a list of problems (a training folder's), one line each
        for line in str(error).splitlines() or [""]:
            print(f"earmark: {printable(line)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("earmark: interrupted", file=sys.stderr)
        return interrupted()
    except BrokenPipeError:  # `earmark results | head` stopped reading: nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return EXIT_OK
    except Exception as error:  # noqa: BLE001 - a bug, too, reaches the user as one line
        if os.environ.get("EARMARK_DEBUG"):
            raise
        detail = printable((str(error).splitlines() or [""])[0])
        print(f"earmark: unexpected {type(error).__name__}: {detail} (a bug: please report it;"
              " EARMARK_DEBUG=1 shows where it happened)", file=sys.stderr)  # fmt: skip
        return EXIT_FAILED
