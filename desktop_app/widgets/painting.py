"""A QPainter that always ends: the one guard every painted widget uses.

A painter left active because a paintEvent raised makes Qt print "QBackingStore::endPaint() called with
active painter" on every later repaint, thousands of lines that bury the error that caused them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtGui import QPaintDevice, QPainter


@contextmanager
def painting(device: QPaintDevice) -> Iterator[QPainter]:
    """``with painting(self) as painter:`` in a paintEvent; the painter is ended however the block ends."""
    painter = QPainter(device)
    try:
        yield painter
    finally:
        painter.end()
