"""``earmark check``: is this installation whole? (the app's and the bundle's smoke checks, headless)."""

from __future__ import annotations

import argparse

from ..checks import CHECKS
from .common import EXIT_OK, CliError


def add_commands(commands) -> None:
    check = commands.add_parser(
        "check", help="check the installation offline: tag a generated clip, load the wake-word models, train"
    )
    check.set_defaults(handler=run)
    check.add_argument("what", nargs="*", metavar="WHAT", help=f"{', '.join(CHECKS)} (default: all)")


def run(args: argparse.Namespace) -> int:
    unknown = [name for name in args.what if name not in CHECKS]
    if unknown:
        raise CliError(f"no check {', '.join(unknown)} (use {', '.join(CHECKS)})")
    for name in args.what or CHECKS:
        for line in CHECKS[name]():
            print(f"{name}: {line}")
    return EXIT_OK
