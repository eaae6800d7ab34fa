"""Which genres to write: the owner's choice of mode, count, names and separator, as beets and Picard offer.

The rule that matters most: Earmark never removes a genre because none of its own passed the
threshold. A file with nothing to add keeps exactly what it has, in every mode.

- ``keep`` (the default): a file that has a genre keeps it; only files without one get Earmark's.
- ``append``: the owner's genres stay first, Earmark's new ones follow (a genre the file already
  has, in any letter case or spelling the name map turns into the same name, is not added twice,
  nor one an owner's genre already says: "Classical" beside "Romantic Classical").
- ``replace``: Earmark's genres replace the file's — but only when Earmark has at least one.

``max_genres`` caps how many of Earmark's genres are written (the owner's are never dropped).
Names go through the canonical map (``{"hip hop": "Hip-Hop"}``; a label mapped to "" is never
written, like beets' whitelist), and otherwise get title case, as most libraries spell genres.
With a ``separator`` the genres are joined into one value ("Rock; Pop") for players that read only
the first value of a multi-valued tag; without one, each genre is its own value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..errors import EarmarkError
from ..query import matching_labels
from ..records import LabelScore

Mode = Literal["keep", "append", "replace"]
MODES: tuple[Mode, ...] = ("keep", "append", "replace")

# Spellings of the built-in models' labels that title case gets wrong.
CANONICAL: dict[str, str] = {
    "hip-hop": "Hip-Hop",
    "hiphop": "Hip-Hop",
    "rnb": "R&B",
    "edm": "EDM",
    "new age": "New Age",
    "indie rock": "Indie Rock",
    "60s": "60s",
    "70s": "70s",
    "80s": "80s",
    "90s": "90s",
    "00s": "00s",
}


@dataclass(frozen=True)
class GenrePolicy:
    """How the owner wants genres written; the defaults change nothing a file already has."""

    mode: Mode = "keep"
    threshold: float = 0.15
    max_genres: int = 3
    separator: str | None = None
    canonical: Mapping[str, str] = field(default_factory=dict)  # the owner's names, over CANONICAL

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise EarmarkError(f"unknown mode {self.mode!r}: use keep, append or replace")
        if self.max_genres < 1:
            raise EarmarkError("the number of genres to write must be at least 1")
        if not 0.0 <= self.threshold <= 1.0:
            raise EarmarkError("the score needed to write a genre must be between 0 and 1")

    def name(self, label: str) -> str:
        """The genre as it is written: the owner's map, then the built-in one, then title case."""
        key = label.casefold()
        for names in (self.canonical, CANONICAL):
            for known, name in names.items():
                if known.casefold() == key:
                    return name
        return label if any(ch.isupper() for ch in label) else label.title()


def load_canonical(path: Path) -> dict[str, str]:
    """A name map from a JSON file (``{"label": "Genre", "label not wanted": ""}``), or a one-line error."""
    try:
        names = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EarmarkError(f"cannot read the genre name map {path}: {error}") from error
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        raise EarmarkError(f"the genre name map {path} must be a JSON object of label -> genre name")
    return names


def split_values(values: list[str], separator: str | None) -> list[str]:
    """The genres a file holds, one per item, whether stored as several values or joined in one."""
    if not separator:
        return [value for value in values if value.strip()]
    return [part.strip() for value in values for part in value.split(separator.strip()) if part.strip()]


def propose(before: list[str], labels: list[LabelScore], policy: GenrePolicy) -> list[str]:
    """The file's genres after writing, from its genres now and Earmark's labels (best first)."""
    ours: list[str] = []
    for item in labels:
        if item.score < policy.threshold:
            continue
        name = policy.name(item.label)
        if name and name.casefold() not in {known.casefold() for known in ours}:
            ours.append(name)
    ours = ours[: policy.max_genres]
    existing = split_values(before, policy.separator)
    if not ours or (policy.mode == "keep" and existing):
        return before  # never remove or touch a genre for want of a better one
    if policy.mode == "append":  # nothing the owner's genres say already: not "Romantic Classical; Classical"
        have = existing + [policy.name(genre) for genre in existing]
        after = existing + [name for name in ours if not any(matching_labels(name, [genre]) for genre in have)]
    else:
        after = ours
    if policy.separator:
        joined = policy.separator.join(after)
        return before if split_values(before, policy.separator) == after else [joined]
    return before if after == before else after
