"""The vocabulary of ``musicnn-merged``: the MSD and MTT tags under one name each, in groups.

musicnn-msd (50 Last.fm tags) knows rock, jazz, hip-hop and the eras but no classical, opera or
world music; musicnn-mtt (50 MagnaTagATune tags) knows classical, opera, indian, new age and the
instruments. Both look at the same log-mel patches, so one pass of features feeds both.

Each merged label names the tags of each model that mean it: synonyms inside one model ("classical"
and "classic" in MTT; "female vocalists" and "female vocalist" in MSD) and the same tag in both
("rock"). Names are lower case as genre tags are usually written ("Hip-Hop" -> "hip-hop",
"rnb" -> "r&b"). The merge rule, applied to probabilities (by the model itself, :mod:`.modeling_merged`):

1. within one model, a label scores the **maximum** of its synonyms: they are two names the model
   learnt for one thing, and its annotators split their votes between them (MTT tags a piece
   "classical" or "classic", rarely both), so neither name alone carries the whole probability;
2. across models, a label scores the **mean** of what each model that knows it says: two estimates
   of the same tag from models trained on different data. The maximum would favour every label both
   models know ("ambient", "rock") over those only one knows ("classical", "jazz"), since the larger
   of two noisy estimates is biased upwards; the mean is not.

A label only one model knows keeps that model's probability unchanged, so the merged scores of such
labels are exactly musicnn-msd's or musicnn-mtt's.
"""

from __future__ import annotations

from dataclasses import dataclass

MSD, MTT = "msd", "mtt"  # the two member models, by the dataset they were trained on


@dataclass(frozen=True)
class MergedLabel:
    name: str
    group: str
    sources: dict[str, tuple[str, ...]]  # member model -> its tags that mean this label


def _label(group: str, name: str, msd: tuple[str, ...] = (), mtt: tuple[str, ...] = ()) -> MergedLabel:
    return MergedLabel(name, group, {model: tags for model, tags in ((MSD, msd), (MTT, mtt)) if tags})


_GENRES = [
    _label("genre", "rock", ("rock",), ("rock",)),
    _label("genre", "pop", ("pop",), ("pop",)),
    _label("genre", "electronic", ("electronic", "electronica"), ("electronic",)),
    _label("genre", "dance", ("dance",), ("dance",)),
    _label("genre", "ambient", ("ambient",), ("ambient",)),
    _label("genre", "metal", ("metal",), ("metal",)),
    _label("genre", "country", ("country",), ("country",)),
    _label("genre", "classical", mtt=("classical", "classic")),
    _label("genre", "opera", mtt=("opera",)),
    _label("genre", "indian", mtt=("indian",)),
    _label("genre", "new age", mtt=("new age",)),
    _label("genre", "techno", mtt=("techno",)),
    _label("genre", "jazz", ("jazz",)),
    _label("genre", "blues", ("blues",)),
    _label("genre", "soul", ("soul",)),
    _label("genre", "funk", ("funk",)),
    _label("genre", "r&b", ("rnb",)),
    _label("genre", "hip-hop", ("Hip-Hop",)),
    _label("genre", "folk", ("folk",)),
    _label("genre", "easy listening", ("easy listening",)),
    _label("genre", "chillout", ("chillout",)),
    _label("genre", "house", ("House",)),
    _label("genre", "electro", ("electro",)),
    _label("genre", "experimental", ("experimental",)),
    _label("genre", "alternative", ("alternative",)),
    _label("genre", "alternative rock", ("alternative rock",)),
    _label("genre", "indie", ("indie",)),
    _label("genre", "indie rock", ("indie rock",)),
    _label("genre", "indie pop", ("indie pop",)),
    _label("genre", "classic rock", ("classic rock",)),
    _label("genre", "hard rock", ("hard rock",)),
    _label("genre", "progressive rock", ("Progressive rock",)),
    _label("genre", "punk", ("punk",)),
    _label("genre", "heavy metal", ("heavy metal",)),
]
_MOODS = [
    *(
        _label("mood", tag.lower(), (tag,))
        for tag in ("beautiful", "Mellow", "chill", "party", "sexy", "catchy", "sad", "happy")
    ),  # fmt: skip
    *(_label("mood", tag, mtt=(tag,)) for tag in ("slow", "fast", "loud", "quiet", "soft", "weird")),
]
_ERAS = [_label("era", tag, (tag,)) for tag in ("60s", "70s", "80s", "90s", "00s", "oldies")]
_VOCALS = [
    _label("vocals", "female vocals", ("female vocalists", "female vocalist"),
           ("female", "woman", "female vocal", "female voice")),
    _label("vocals", "male vocals", ("male vocalists",), ("male", "man", "male vocal", "male voice")),
    _label("vocals", "vocals", mtt=("vocal", "vocals", "singing", "voice")),
    _label("vocals", "instrumental", ("instrumental",), ("no vocals", "no vocal", "no voice")),
    _label("vocals", "choir", mtt=("choir", "choral")),
]  # fmt: skip
_INSTRUMENTS = [
    _label("instrument", "guitar", ("guitar",), ("guitar",)),
    _label("instrument", "acoustic", ("acoustic",)),
    _label("instrument", "beats", mtt=("beat", "beats")),
    *(
        _label("instrument", tag, mtt=(tag,))
        for tag in (
            "strings",
            "drums",
            "piano",
            "violin",
            "synth",
            "harpsichord",
            "flute",
            "sitar",
            "harp",
            "cello",
            "solo",
        )
    ),  # fmt: skip
]
MERGED: list[MergedLabel] = [*_GENRES, *_MOODS, *_ERAS, *_VOCALS, *_INSTRUMENTS]


def labels() -> list[str]:
    return [label.name for label in MERGED]


def groups() -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for label in MERGED:
        grouped.setdefault(label.group, []).append(label.name)
    return grouped


def sources() -> list[dict[str, list[str]]]:
    """Per merged label, the tags of each member model it is made of (as config.json keeps it)."""
    return [{model: list(tags) for model, tags in label.sources.items()} for label in MERGED]
