"""Listening, live or through recordings: the loop that feeds a spotter and keeps what it hears.

The CLI's ``earmark listen`` and the app's Listen page both run it; they differ only in what they
show. A source is named as it is stored with each detection: ``microphone:default``,
``microphone:N`` (an input device number) or a recording's absolute path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from ..store import Store
from .detector import Detection, Spotter
from .sources import file_frames, microphone_frames

MICROPHONE = "microphone:"


def microphone_source(device: int | None) -> str:
    return f"{MICROPHONE}{'default' if device is None else device}"


def open_source(source: str, stop: threading.Event | None = None) -> Iterator[np.ndarray]:
    """80 ms frames from a source named as :func:`microphone_source` names it, or a recording's path."""
    if source.startswith(MICROPHONE):
        device = source[len(MICROPHONE) :]
        return microphone_frames(None if device == "default" else int(device), stop)
    return file_frames(Path(source))


class ListenSession:
    """One spotter listening to sources one after another; each detection is stored as it happens."""

    def __init__(self, spotter: Spotter, store: Store | None = None, stop: threading.Event | None = None) -> None:
        self.spotter = spotter
        self.store = store
        self.stop = stop or threading.Event()

    def listen(
        self, source: str, on_frame: Callable[[np.ndarray, dict[str, float]], None] | None = None
    ) -> Iterator[Detection]:
        """Detections in ``source`` as they are heard, until it ends or ``stop`` is set.

        ``on_frame`` sees every frame and its scores (a level meter, a score trace). Raises
        ``AudioSourceError`` (no audio from a device) or ``DecodeError`` (an unreadable recording).
        """
        self.spotter.reset()
        for frame in open_source(source, self.stop):
            if self.stop.is_set():
                return
            for found in self.spotter.feed(frame):
                if self.store is not None:
                    self.store.save_detection(source, found.word, found.score, found.time_s, found.model)
                yield found
            if on_frame is not None:
                on_frame(frame, self.spotter.last_scores)
