"""Where each format keeps its genres, read and written in place, as the format's own tools expect.

mutagen's "easy" interface covers MP3, MP4, Ogg and FLAC but not WAV, AIFF or WMA, and it saves
ID3 as v2.4 and moves a Vorbis comment to the end with its key in lower case. Earmark writes into
the owner's files and undoes what it wrote, so each format is handled here on its own terms:

* ID3 (MP3, and the ID3 chunk of WAV and AIFF): the TCON frame, saved in the tag's own version —
  an ID3v2.3 file stays v2.3 (its several genres joined by "/", v2.3's separator, as mutagen and
  Picard write them); a tag left empty by an undo is removed, as it was before Earmark wrote it;
* WMA (ASF): ``WM/Genre``, the attribute Windows Media Player and every tagger read;
* MP4: the ``©gen`` atom; APEv2 (WavPack, Musepack, Monkey's Audio): ``Genre``;
* Vorbis comments (Ogg, Opus, FLAC): ``GENRE`` entries, replaced where the first one stood and with
  its key's letter case, so an undo gives back the same comment block.
"""

from __future__ import annotations

from mutagen.apev2 import APEv2
from mutagen.asf import ASFTags
from mutagen.id3 import ID3, TCON
from mutagen.mp4 import MP4Tags

ASF_GENRE, MP4_GENRE, APE_GENRE, VORBIS_GENRE = "WM/Genre", "\xa9gen", "Genre", "genre"
ID3V23_SEPARATOR = "/"


def genres(tags) -> list[str]:
    """The genres a file's tags hold, as the format stores them (``tags`` may be None: no tags)."""
    if tags is None:
        return []
    if isinstance(tags, ID3):
        return [str(genre) for frame in tags.getall("TCON") for genre in frame.genres]
    if isinstance(tags, ASFTags):
        return [str(value) for value in tags.get(ASF_GENRE, [])]
    if isinstance(tags, MP4Tags):
        return [str(value) for value in tags.get(MP4_GENRE, [])]
    if isinstance(tags, APEv2):
        value = tags.get(APE_GENRE)
        return [] if value is None else [str(part) for part in value]
    return [value for key, value in tags if key.lower() == VORBIS_GENRE]  # Vorbis comments: (key, value) pairs


def set_genres(tags, values: list[str]) -> None:
    """Replace the genres in ``tags`` (no values: remove the field)."""
    if isinstance(tags, ID3):
        tags.delall("TCON")
        if values:
            tags.add(TCON(encoding=3, text=values))
    elif isinstance(tags, ASFTags | MP4Tags | APEv2):
        key = ASF_GENRE if isinstance(tags, ASFTags) else MP4_GENRE if isinstance(tags, MP4Tags) else APE_GENRE
        if values:
            tags[key] = list(values)
        elif key in tags:
            del tags[key]
    else:
        _set_vorbis(tags, values)


def _set_vorbis(comments, values: list[str]) -> None:
    """The new GENRE entries where the first old one stood, under its key (``GENRE``, ``Genre``...)."""
    pairs = list(comments)  # as a list: VCommentDict's own [] and del take keys, not positions
    found = [index for index, (key, _value) in enumerate(pairs) if key.lower() == VORBIS_GENRE]
    at = found[0] if found else len(pairs)
    key = pairs[at][0] if found else VORBIS_GENRE.upper()
    kept = [pair for index, pair in enumerate(pairs) if index not in set(found)]
    list.clear(comments)
    list.extend(comments, kept[:at] + [(key, value) for value in values] + kept[at:])


def same(tags, found: list[str], expected: list[str]) -> bool:
    """Whether genres read back (``found``) are ``expected``: in an ID3v2.3 tag, several genres are one value."""
    if isinstance(tags, ID3) and tags.version[:2] == (2, 3):
        return ID3V23_SEPARATOR.join(found) == ID3V23_SEPARATOR.join(expected)
    return found == expected


def save(audio) -> None:
    """Save the tags as the file had them: an ID3 tag in its own version, an emptied one removed."""
    tags = audio.tags
    if isinstance(tags, ID3):
        if not tags:
            audio.delete()  # an empty tag holds nothing: the file as it was before a tag was added
            return
        if tags.version[:2] == (2, 3):
            audio.save(v2_version=3, v23_sep=ID3V23_SEPARATOR)
            return
    audio.save()
