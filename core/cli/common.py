"""What every command shares: one-line errors, exit codes, the database option, safe terminal output.

Exit codes: 0 when the command did its job (a run that completed with some files failing
included: those are reported); 1 with a one-line reason when it could not run at all (bad model,
unreadable database, no such path) or left part of its job for the user to finish (an undo that
could not restore every file: it says which, and the next undo tries them again); 130 when
interrupted by Ctrl-C and 143 by SIGTERM (what was committed is kept either way).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import EarmarkError
from ..paths import default_db_path

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 130, 143
_signals: list[int] = []  # the stop signals this process has received


def stop_on_sigterm() -> None:
    """SIGTERM (``kill``, a service manager, a closing terminal session) stops a command as Ctrl-C does."""

    def terminate(signum: int, _frame: object) -> None:
        _signals.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)


@contextmanager
def signals_cancel(cancel: Callable[[], None], again_interrupts: bool = False) -> Iterator[None]:
    """While in the block, Ctrl-C and SIGTERM call ``cancel`` instead of raising.

    For work that must wind down itself: a training run keeps its best epoch (an exception raised in
    the waiting thread mid-``join`` can leave that join returning before the work has finished), and a
    tagging run stops after the file in hand. A KeyboardInterrupt can be lost, too: raised while Python
    runs a finalizer, it is printed as "ignored" and the run went on to the end (exit 0 after Ctrl-C);
    a handler that sets a flag cannot be. ``again_interrupts``: a second signal raises KeyboardInterrupt,
    for a user who will not wait.
    """

    def stop(signum: int, _frame: object) -> None:
        first = not _signals
        _signals.append(signum)
        if first:
            print("cancelling after the current step...", file=sys.stderr)
        elif again_interrupts:
            raise KeyboardInterrupt
        cancel()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def interrupted() -> int:
    """The exit code of a command stopped by a signal: 143 for SIGTERM, 130 for Ctrl-C."""
    return EXIT_TERMINATED if signal.SIGTERM in _signals else EXIT_INTERRUPTED


def printable(text: object) -> str:
    """``text`` safe to print on a terminal: control characters (a file named with escape codes) shown escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


def say(text: object = "", **kwargs) -> None:
    """``print`` for lines that carry names from outside (label folders, model files, paths): each line's
    control characters shown escaped, as :func:`printable` does, the line breaks kept."""
    print("\n".join(printable(line) for line in str(text).split("\n")), **kwargs)


class CliError(EarmarkError):
    """A reason the command cannot run that only the command line knows of (its own options)."""


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, help=f"database file (default: {default_db_path()})")


def open_store(path: Path | None, create: bool = True):
    """The database a command reads or writes; a command that only reads never creates one (``create=False``)."""
    from ..store import Store

    return Store(path or default_db_path(), create=create)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return number
