"""A call's details in the store: time by kind of sound, talk time per speaker, the transcript and its search.

Written in the same transaction as the file's labels (see ``Store.save_tags``); replacing an
analysis cascades to all of it, and triggers keep the full-text index (``transcript_fts``, SQLite
FTS5 with the Porter stemmer) in step with the transcript.
"""

from __future__ import annotations

import re

import sqlite_utils

from ..records import CallDetails, TranscriptHit, Turn

KINDS = ("speech", "silence", "music", "tone", "noise")
CALL_ORDER = {  # what else a results view sorts by: a call's findings (a file that could not be read has none)
    "speech": "(SELECT speech_s FROM calls c WHERE c.analysis_id = a.id)",
    "hold": "(SELECT music_s FROM calls c WHERE c.analysis_id = a.id)",
    "speakers": "(SELECT COUNT(*) FROM call_speakers s WHERE s.analysis_id = a.id)",
    "talk": "(SELECT MAX(talk_s) FROM call_speakers s WHERE s.analysis_id = a.id)",
    "language": "(SELECT language FROM calls c WHERE c.analysis_id = a.id)",
}
MARK_START, MARK_END = "\x02", "\x03"  # around matched words in a hit's ``marked`` text


def fts_query(text: str) -> str:
    """What the user typed as a safe FTS5 query: words (all must match; ``refun*`` a prefix), or a
    "quoted phrase". Nothing the user types can be FTS5 syntax (a stray quote or ``NEAR`` is a word)."""
    text = text.strip()
    if len(text) > 1 and text.startswith('"') and text.endswith('"'):
        return '"' + text[1:-1].replace('"', '""') + '"'
    terms = []
    for word in re.findall(r"[\w']+\*?", text):
        prefix = word.endswith("*")
        terms.append('"' + word.rstrip("*").replace('"', '""') + '"' + ("*" if prefix else ""))
    return " ".join(terms)


def keyword_name(text: str) -> str:
    """A phrase as a keyword search names its words (``okay nabu`` -> ``okay_nabu``)."""
    return "_".join(re.findall(r"\w+", text.lower()))


class CallQueries:
    """The call side of :class:`~core.store.Store`; expects ``self.db`` and ``self.path``."""

    db: sqlite_utils.Database

    def _save_call(self, analysis_id: int, call: CallDetails) -> None:
        """Inside the caller's transaction."""
        self.db.execute(
            "INSERT INTO calls (analysis_id, speech_s, silence_s, music_s, tone_s, noise_s, language)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [analysis_id, *(call.seconds.get(kind, 0.0) for kind in KINDS), call.language],
        )
        self.db.conn.executemany(
            "INSERT INTO call_speakers (analysis_id, speaker, talk_s) VALUES (?, ?, ?)",
            [(analysis_id, speaker, talk) for speaker, talk in call.speakers.items()],
        )
        self.db.conn.executemany(
            "INSERT INTO transcript (analysis_id, start_s, end_s, speaker, text, language) VALUES (?, ?, ?, ?, ?, ?)",
            [(analysis_id, t.start_s, t.end_s, t.speaker, t.text, t.language) for t in call.transcript],
        )

    def call_details(self, analysis_ids: list[int]) -> dict[int, CallDetails]:
        """The details of the calls among these analyses (others are left out)."""
        details: dict[int, CallDetails] = {}
        for start in range(0, len(analysis_ids), 500):
            chunk = analysis_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"SELECT analysis_id, {', '.join(f'{kind}_s' for kind in KINDS)}, language FROM calls"  # noqa: S608
                f" WHERE analysis_id IN ({marks})",
                chunk,
            ):
                details[row[0]] = CallDetails(dict(zip(KINDS, row[1:-1], strict=True)), {}, language=row[-1])
            for analysis, speaker, talk in self.db.execute(
                f"SELECT analysis_id, speaker, talk_s FROM call_speakers WHERE analysis_id IN ({marks})",  # noqa: S608
                chunk,
            ):
                details[analysis].speakers[speaker] = talk
            for analysis, *line in self.db.execute(
                "SELECT analysis_id, start_s, end_s, speaker, text, language FROM transcript"  # noqa: S608
                f" WHERE analysis_id IN ({marks}) ORDER BY analysis_id, start_s",
                chunk,
            ):
                details[analysis].transcript.append(Turn(*line))
        return details

    def transcript(self, path: str) -> list[Turn] | None:
        """The transcript of one file's latest call analysis, in time order; None if it was never analysed as a call."""
        row = self.db.execute(
            "SELECT c.analysis_id FROM calls c JOIN analyses a ON a.id = c.analysis_id JOIN files f ON f.id = a.file_id"
            " WHERE f.path = ? ORDER BY a.analysed_at DESC LIMIT 1",
            [path],
        ).fetchone()
        if row is None:
            return None
        rows = self.db.execute(
            "SELECT start_s, end_s, speaker, text, language FROM transcript WHERE analysis_id = ? ORDER BY start_s",
            [row[0]],
        )
        return [Turn(*row) for row in rows]

    def search(self, text: str, limit: int = 200) -> list[TranscriptHit]:
        """Transcript lines matching ``text`` (best match first), then keyword-search hits of the same words."""
        query = fts_query(text)
        hits: list[TranscriptHit] = []
        if query:
            rows = self.db.execute(
                "SELECT f.path, t.start_s, t.end_s, t.speaker, t.text,"  # noqa: S608 - constants, not input
                f" highlight(transcript_fts, 0, '{MARK_START}', '{MARK_END}')"
                " FROM transcript_fts JOIN transcript t ON t.id = transcript_fts.rowid"
                " JOIN analyses a ON a.id = t.analysis_id JOIN files f ON f.id = a.file_id"
                " WHERE transcript_fts MATCH ? AND f.missing = 0 ORDER BY bm25(transcript_fts), f.path, t.start_s"
                " LIMIT ?",
                [query, limit],
            )
            hits += [TranscriptHit(*row) for row in rows]
        word = keyword_name(text)
        if word:
            rows = self.db.execute(
                "SELECT f.path, s.start_s, s.end_s, s.label FROM segments s JOIN analyses a ON a.id = s.analysis_id"
                " JOIN files f ON f.id = a.file_id WHERE a.model_name LIKE 'keywords:%' AND s.label = ?"
                " AND f.missing = 0 ORDER BY f.path, s.start_s LIMIT ?",
                [word, limit],
            )
            hits += [
                TranscriptHit(path, begin, end, None, f"[{label}]", f"[{MARK_START}{label}{MARK_END}]")
                for path, begin, end, label in rows
            ]
        return hits
