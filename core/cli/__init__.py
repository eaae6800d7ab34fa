"""``earmark``: tag folders, query the results, listen, manage and train models — from the terminal.

One module per command group, each adding its sub-commands with a handler. Every reason a command
cannot run is an :class:`~core.errors.EarmarkError`, turned here into one line and exit code 1
(see :mod:`.common`); Ctrl-C is exit code 130. Heavy libraries load inside the handlers only.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .. import __version__
from ..errors import EarmarkError
from . import check, listen, models, results, tag, train
from .common import EXIT_FAILED, EXIT_INTERRUPTED

COMMAND_GROUPS = (tag, results, listen, models, train, check)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="earmark", description="Tag audio files locally with audio models.")
    parser.add_argument("--version", action="version", version=f"earmark {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="earmark: %(message)s")
    try:
        return args.handler(args)
    except EarmarkError as error:
        print(f"earmark: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("earmark: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
