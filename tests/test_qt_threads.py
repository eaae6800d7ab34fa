"""Work off the event loop never crashes the app: workers outlive the pages that let go of them, and signals
cost Python nothing (both crashed the suite with a segmentation fault or an abort, one run in two)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, Signal  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_worker_let_go_as_soon_as_it_reports_back_never_crashes_the_app() -> None:
    churn = subprocess.run([sys.executable, str(ROOT / "tests" / "scripts" / "worker_churn.py"), "1500"],
                           capture_output=True, text=True, timeout=300, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    assert churn.returncode == 0 and churn.stdout.strip() == "rounds 1500", (churn.returncode, churn.stderr[-2000:])


def test_emitting_a_signal_costs_python_no_reference() -> None:
    # PySide6 6.12.0's emit() returned True without a reference of its own: each emit took one from Python's
    # True, and the app (or the suite) aborted after a few hundred ("bool_dealloc: deallocating True").
    class Emitter(QObject):
        changed = Signal(int)

    emitter = Emitter()
    emitter.changed.connect(lambda value: None)
    before = sys.getrefcount(True)
    for value in range(200):
        emitter.changed.emit(value)
    assert abs(sys.getrefcount(True) - before) < 20  # 6.12.0: 200 fewer
