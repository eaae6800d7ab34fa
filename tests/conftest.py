from __future__ import annotations

import ctypes
import os
import signal
from pathlib import Path

import pytest

from tests.tiny_models import tiny_musicnn

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # every Qt test, whichever module makes the application


@pytest.fixture(autouse=True)
def earmark_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets the same private data dir: converted models are reused, no real home touched."""
    home = tmp_path_factory.getbasetemp() / "earmark-home"
    monkeypatch.setenv("EARMARK_HOME", str(home))
    return home


class _SigAction(ctypes.Structure):
    """glibc's ``struct sigaction`` (the same on x86-64 and arm64): only the handler is read."""

    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ulong * 16), ("flags", ctypes.c_int),
                ("restorer", ctypes.c_void_p)]  # fmt: skip


def crash_handler() -> int | None:
    """The address of what runs on a segmentation fault (pytest's faulthandler, unless something replaced it)."""
    action = _SigAction()
    ctypes.CDLL(None).sigaction(signal.SIGSEGV, None, ctypes.byref(action))
    return action.handler


@pytest.fixture(scope="session")
def _faulthandler_at_start() -> int | None:
    return crash_handler()


@pytest.fixture(autouse=True)
def crash_reports_stay_on(_faulthandler_at_start: int | None) -> None:
    """A crash anywhere in the suite prints the crashing thread's stack: no test may leave another handler
    (Ray's driver did, and reset it to nothing at its shutdown, so a later crash said nothing at all)."""
    yield
    assert crash_handler() == _faulthandler_at_start, "this test replaced the crash handler (faulthandler's)"


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_model: Path):
    """The main window (GUI tests), offscreen, with a database of its own and the tiny model active."""
    from tests.gui import open_window

    return open_window(qtbot, tmp_path, str(tiny_model))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_musicnn(tmp_path_factory.mktemp("models") / "tiny-musicnn")
