"""Who spoke when: speaker embeddings of short windows of speech, clustered into voices.

Each speech region (people take turns, with a pause between) is one utterance, cut into pieces of
at most ``PIECE_S`` when long (someone may take over without a pause); each piece is embedded by
the speaker encoder (:mod:`core.models.speaker`, averaging its 1.6 s partials) and the pieces are
clustered agglomeratively on cosine distance with average linkage, stopping at a distance tuned on
synthetic calls (see ``bench/calls_eval.py``): the number of speakers is found, not given.
Utterance embeddings are steadier than 1.6 s windows: on those calls, windows of one voice were
as far apart as two voices are. A stretch of transcript goes to the speaker who holds most of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PIECE_S = 6.0  # longest stretch of speech embedded as one utterance
DISTANCE_THRESHOLD = 0.30  # cosine distance between clusters above which they are different voices
MIN_PIECE_S = 0.5  # speech shorter than this is not embedded (too little to tell a voice by)


@dataclass(frozen=True)
class Voiced:
    """A stretch of speech attributed to one speaker (1, 2, ... in order of first appearance)."""

    start_s: float
    end_s: float
    speaker: int


def pieces(start_s: float, end_s: float) -> list[tuple[float, float]]:
    """A speech region as the utterances to embed: itself, or equal pieces of at most PIECE_S."""
    length = end_s - start_s
    if length < MIN_PIECE_S:
        return []
    count = int(np.ceil(length / PIECE_S))
    step = length / count
    return [(start_s + i * step, start_s + (i + 1) * step) for i in range(count)]


def cluster(embeddings: np.ndarray, threshold: float = DISTANCE_THRESHOLD) -> np.ndarray:
    """A speaker number (1, 2, ... by first appearance) per embedding."""
    if len(embeddings) == 0:
        return np.zeros(0, dtype=int)
    if len(embeddings) == 1:
        return np.ones(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    found = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="cosine", linkage="average"
    ).fit_predict(embeddings)
    order = {label: rank for rank, label in enumerate(dict.fromkeys(found), start=1)}
    return np.array([order[label] for label in found])


def voiced(spans: list[tuple[float, float]], speakers: np.ndarray) -> list[Voiced]:
    """Speech as stretches of one speaker each, adjoining pieces of one speaker joined."""
    stretches: list[Voiced] = []
    for (start, end), speaker in sorted(zip(spans, speakers, strict=True)):
        if stretches and stretches[-1].speaker == speaker and start - stretches[-1].end_s < 1e-6:
            stretches[-1] = Voiced(stretches[-1].start_s, end, int(speaker))
        else:
            stretches.append(Voiced(start, end, int(speaker)))
    return stretches


def speaker_of(start_s: float, end_s: float, stretches: list[Voiced]) -> int | None:
    """The speaker who holds most of ``start_s``-``end_s`` (None when no one speaks in it)."""
    held: dict[int, float] = {}
    for stretch in stretches:
        overlap = min(end_s, stretch.end_s) - max(start_s, stretch.start_s)
        if overlap > 0:
            held[stretch.speaker] = held.get(stretch.speaker, 0.0) + overlap
    return max(held, key=held.get) if held else None


def talk_time(stretches: list[Voiced]) -> dict[int, float]:
    talk: dict[int, float] = {}
    for stretch in stretches:
        talk[stretch.speaker] = talk.get(stretch.speaker, 0.0) + stretch.end_s - stretch.start_s
    return talk
