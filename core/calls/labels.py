"""A call's findings as what every Earmark view already shows: ranked labels and a timeline.

Labels a user filters on: the kinds of sound the call holds (score: their share of it), how many
people speak (``2 speakers``), ``no speech``, and ``voicemail`` (one voice and no one answering,
surer after a beep). The timeline is the call's stretches: each speech stretch named for its
speaker, the rest for what it is (hold music, silence, tone, noise).
"""

from __future__ import annotations

from ..records import LabelScore, SegmentTags
from .segmentation import MUSIC, NOISE, SILENCE, SPEECH, TONE, Stretch
from .speakers import Voiced

ANALYSER = "calls"  # the name the call analysis is stored under, as a model is
HOLD_MUSIC = "hold music"
NO_SPEECH = "no speech"
VOICEMAIL = "voicemail"
MAX_COUNTED = 5  # "5+ speakers" beyond
CONTENT = {SPEECH: "speech", MUSIC: HOLD_MUSIC, SILENCE: "silence", TONE: "tone", NOISE: "noise"}
SPEAKER_COUNTS = [f"{n} speaker{'s' if n > 1 else ''}" for n in range(1, MAX_COUNTED)] + [f"{MAX_COUNTED}+ speakers"]
LABELS = [*CONTENT.values(), NO_SPEECH, *SPEAKER_COUNTS, VOICEMAIL]
GROUPS = {"content": [*CONTENT.values(), NO_SPEECH], "speakers": SPEAKER_COUNTS, "kind": [VOICEMAIL]}
MIN_SPEECH_S = 0.5  # less speech than this in a whole call: no speech
VOICEMAIL_MIN_S = 3.0


def speaker_count_label(count: int) -> str:
    return SPEAKER_COUNTS[min(count, MAX_COUNTED) - 1]


def call_labels(seconds: dict[str, float], duration_s: float, talk: dict[int, float], stretches: list[Stretch]):
    """Ranked labels of one call."""
    scores: dict[str, float] = {}
    for kind, label in CONTENT.items():
        if seconds.get(kind, 0.0) > 0 and duration_s > 0:
            scores[label] = min(1.0, seconds[kind] / duration_s)
    if seconds.get(SPEECH, 0.0) < MIN_SPEECH_S:
        scores[NO_SPEECH] = 1.0
    elif talk:
        scores[speaker_count_label(len(talk))] = 1.0
    if len(talk) == 1 and seconds.get(SPEECH, 0.0) >= VOICEMAIL_MIN_S:
        first_speech = next((s.start_s for s in stretches if s.kind == SPEECH), 0.0)
        beep = any(s.kind == TONE and s.end_s <= first_speech + 0.5 for s in stretches)
        scores[VOICEMAIL] = 0.9 if beep else 0.6
    return sorted((LabelScore(label, score) for label, score in scores.items()), key=lambda item: -item.score)


def timeline(stretches: list[Stretch], voices: list[Voiced]) -> list[SegmentTags]:
    """The call's stretches, speech split by speaker, in time order."""
    pieces: list[tuple[float, float, str]] = [
        (s.start_s, s.end_s, CONTENT[s.kind]) for s in stretches if s.kind != SPEECH
    ]
    pieces += [(v.start_s, v.end_s, f"speaker {v.speaker}") for v in voices]
    pieces.sort()
    return [SegmentTags(i, start, end, [LabelScore(label, 1.0)]) for i, (start, end, label) in enumerate(pieces)]
