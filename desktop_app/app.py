"""Start the desktop app: ``earmark-desktop`` or ``python -m desktop_app``."""

from __future__ import annotations

import argparse
import sys

from core import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="earmark-desktop", description="Earmark's desktop app")
    parser.add_argument("--version", action="version", version=f"earmark-desktop {__version__}")
    parser.add_argument("--quit-after", type=int, default=0, metavar="MS", help="close after MS ms (smoke tests)")
    parser.add_argument(
        "--check", action="store_true", help="check the installation: tag a generated clip with the default model"
    )
    parser.add_argument("--check-listen", action="store_true", help="check that the wake-word models load")
    parser.add_argument("--check-calls", action="store_true", help="check call analysis on a generated call")
    parser.add_argument(
        "--check-train", action="store_true", help="check fine-tuning: one epoch of the Whisper base on generated audio"
    )
    args, qt_args = parser.parse_known_args(argv)
    checks = (
        (args.check, "tag"), (args.check_listen, "listen"), (args.check_calls, "calls"), (args.check_train, "train")
    )  # fmt: skip
    for flag, check in checks:
        if flag:
            return run_check(check)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Earmark")
    app.setOrganizationName("Earmark")
    window = MainWindow()
    window.show()
    if args.quit_after:
        QTimer.singleShot(args.quit_after, window.close)
    return app.exec()


def run_check(name: str) -> int:
    """One of core's installation checks (``earmark check``), its lines printed; 1 with the reason if it fails."""
    from core.checks import CHECKS
    from core.errors import EarmarkError

    try:
        lines = CHECKS[name]()
    except EarmarkError as error:
        print(f"earmark-desktop: {error}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0
