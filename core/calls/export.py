"""A call's transcript as text a person or a subtitle player reads: plain text, SubRip, WebVTT, JSON."""

from __future__ import annotations

import json

from ..records import Turn

FORMATS = ("txt", "srt", "vtt", "json")


def _clock(seconds: float, separator: str) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def speaker_name(speaker: int | None) -> str:
    return f"Speaker {speaker}" if speaker is not None else "Speaker"


def render(turns: list[Turn], form: str) -> str:
    """The transcript in ``form`` (one of FORMATS), ending with a newline."""
    if form == "json":
        return json.dumps([turn.to_json() for turn in turns], indent=2) + "\n"
    if form == "srt":
        cues = [
            f"{i}\n{_clock(t.start_s, ',')} --> {_clock(t.end_s, ',')}\n{speaker_name(t.speaker)}: {t.text}\n"
            for i, t in enumerate(turns, start=1)
        ]
        return "\n".join(cues)
    if form == "vtt":
        cues = [f"{_clock(t.start_s, '.')} --> {_clock(t.end_s, '.')}\n<v {speaker_name(t.speaker)}>{t.text}\n"
                for t in turns]  # fmt: skip
        return "WEBVTT\n\n" + "\n".join(cues)
    hours = bool(turns) and turns[-1].end_s >= 3600  # a call under an hour reads better without them
    return "".join(
        f"[{_clock(t.start_s, '.')[0 if hours else 3 :]}] {speaker_name(t.speaker)}: {t.text}\n" for t in turns
    )
