"""What every command shares: one-line errors, exit codes, the database option, safe terminal output.

Exit codes: 0 when the command did its job (a run that completed with some files failing
included: those are reported); 1 with a one-line reason when it could not run at all (bad model,
unreadable database, no such path); 130 when interrupted (what was committed is kept).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import EarmarkError
from ..paths import default_db_path

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


class CliError(EarmarkError):
    """A reason the command cannot run that only the command line knows of (its own options)."""


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, help=f"database file (default: {default_db_path()})")


def open_store(path: Path | None):
    from ..store import Store

    return Store(path or default_db_path())
