"""Start the desktop app: ``earmark-desktop`` or ``python -m desktop_app``."""

from __future__ import annotations

import argparse
import sys

from core import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="earmark-desktop", description="Earmark's desktop app")
    parser.add_argument("--version", action="version", version=f"earmark-desktop {__version__}")
    parser.add_argument("--quit-after", type=int, default=0, metavar="MS", help="close after MS ms (smoke tests)")
    args, qt_args = parser.parse_known_args(argv)

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
