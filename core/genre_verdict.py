"""What a file's genre labels tell a reader: that it holds no music, or that its top genre is a guess.

Shared by every front end (``earmark tag`` and ``earmark results`` print it, the app can show it),
and light to import: labels and scores in, words out. The labels themselves come from the tags
task, which gives a file holding no music the single label :data:`NO_MUSIC`
(:mod:`core.runs.tasks.music_guard`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from .records import LabelScore

NO_MUSIC = "no music"
# A top genre scoring under this is said to be a guess. On the genre-agreement benchmark (README) the
# default model's top genre agreed with the files' own genre 68 % of the time at or above it, 44 % below.
LOW_CONFIDENCE = 0.2


def low_confidence(labels: Sequence[LabelScore], genres: Collection[str]) -> bool:
    """Whether the best of ``genres`` among a file's ranked ``labels`` scores under LOW_CONFIDENCE."""
    top = next((item for item in labels if item.label in genres), None)
    return top is not None and top.label != NO_MUSIC and top.score < LOW_CONFIDENCE


def describe(labels: Sequence[LabelScore], genres: Collection[str]) -> list[str]:
    """Labels as front ends print them, the top genre marked when it is a guess: ``jazz 0.21 (low confidence)``."""
    shown = [NO_MUSIC if item.label == NO_MUSIC else f"{item.label} {item.score:.2f}" for item in labels]
    if low_confidence(labels, genres):
        top = next(i for i, item in enumerate(labels) if item.label in genres)
        shown[top] += " (low confidence)"
    return shown
