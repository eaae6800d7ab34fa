"""Records that cross module boundaries: what runs produce and the store keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .audio import AudioInfo
from .query import Query


@dataclass(frozen=True)
class LabelScore:
    label: str
    score: float


@dataclass(frozen=True)
class FileStat:
    """The identity of a file's content for incremental runs: unchanged (size, mtime) = not re-read."""

    path: Path
    size: int
    mtime: float


@dataclass
class SegmentTags:
    """Top labels of one stretch of a file (default 30 s), for the timeline."""

    index: int
    start_s: float
    end_s: float
    labels: list[LabelScore]


@dataclass(frozen=True)
class Turn:
    """A stretch of a call's transcript: who said what, when (seconds from the start of the file)."""

    start_s: float
    end_s: float
    speaker: int | None  # 1, 2...; None when no one could be told apart
    text: str
    language: str | None = None  # ISO 639-1, as Whisper transcribed it

    def to_json(self) -> dict:
        return {"start": round(self.start_s, 2), "end": round(self.end_s, 2), "speaker": self.speaker,
                "text": self.text, "language": self.language}  # fmt: skip


@dataclass
class CallDetails:
    """What a call analysis finds beyond labels: time by kind of sound, talk time by speaker, the words."""

    seconds: dict[str, float]  # speech, silence, music, tone, noise
    speakers: dict[int, float]  # speaker -> talk seconds
    transcript: list[Turn] = field(default_factory=list)
    language: str | None = None  # ISO 639-1: the language the call was spoken in (None: no one spoke)

    def to_json(self) -> dict:
        return {
            "language": self.language,
            **{f"{kind}_s": round(seconds, 2) for kind, seconds in self.seconds.items()},
            "speakers": [{"id": speaker, "talk_s": round(talk, 2)} for speaker, talk in sorted(self.speakers.items())],
            "transcript": [turn.to_json() for turn in self.transcript],
        }


@dataclass
class FileTags:
    """A tagged file: every label ranked best first, plus per-segment top-k (and, for a call, its details)."""

    stat: FileStat
    info: AudioInfo
    duration_s: float
    labels: list[LabelScore]
    segments: list[SegmentTags] = field(default_factory=list)
    call: CallDetails | None = None


@dataclass
class FileFailure:
    """A file that could not be tagged, and why."""

    stat: FileStat
    error: str
    info: AudioInfo | None = None


@dataclass(frozen=True)
class FileMetadata:
    """The file's own tags, as its owner (or their tagger) wrote them: for the results view and queries."""

    artist: str | None = None
    title: str | None = None
    album: str | None = None
    year: int | None = None
    track: int | None = None
    genre: str | None = None  # every genre value, joined with "; "

    def to_json(self) -> dict:
        return {"artist": self.artist, "title": self.title, "album": self.album, "year": self.year,
                "track": self.track, "file_genre": self.genre}  # fmt: skip


@dataclass(frozen=True)
class ResultRow:
    """One file as ``earmark results`` and the GUI show it."""

    path: str
    status: str  # tagged | error | missing
    error: str | None
    duration_s: float | None
    model: str
    labels: list[LabelScore]
    call: CallDetails | None = None
    meta: FileMetadata = FileMetadata()

    def to_json(self) -> dict:
        row = {
            "path": self.path,
            "status": self.status,
            "error": self.error,
            "duration_s": self.duration_s,
            "model": self.model,
            "labels": [{"label": item.label, "score": round(item.score, 6)} for item in self.labels],
        }
        return row | ({"call": self.call.to_json()} if self.call is not None else {}) | self.meta.to_json()


@dataclass(frozen=True)
class TranscriptHit:
    """Where a search found its words: a line of a call's transcript, or a keyword a search heard."""

    path: str
    start_s: float
    end_s: float
    speaker: int | None
    text: str
    marked: str  # the text with the matched words between \x02 and \x03 (a front end shows them)

    def to_json(self) -> dict:
        return {"path": self.path, "start": round(self.start_s, 2), "end": round(self.end_s, 2),
                "speaker": self.speaker, "text": self.text}  # fmt: skip


@dataclass(frozen=True)
class ResultQuery:
    """What a results view asks the store for: filters, ranking and order (the GUI's table)."""

    model: str
    text: str = ""  # substring of the path
    search: Query = Query()  # what the user typed in the query box or after `earmark results` (core.query)
    label: str | None = None  # only files with this label among their top_k kept labels
    group_labels: tuple[str, ...] | None = None  # rank only these labels
    min_score: float = 0.0
    status: str | None = None  # tagged | error | missing
    sort: str = "path"  # path | duration | score | status | artist | title | album | year | genre (see Store.page)
    descending: bool = False
    top_k: int = 3  # labels kept per file (after the group and min_score)
    run_id: int | None = None  # only the files that run analysed
    with_calls: bool = False  # also each call's details (speakers, transcript)


@dataclass(frozen=True)
class TagBackup:
    """One field of one file as Earmark found it (``before``) and left it (``after``)."""

    path: str
    field: str
    before: list[str]
    after: list[str]


@dataclass(frozen=True)
class TagWrite:
    """One write into users' files, with what it replaced: enough to undo it."""

    id: int
    written_at: float
    model: str | None
    mode: str
    backups: list[TagBackup]
