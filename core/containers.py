"""Is an audio file whole? Walk its Ogg pages, MPEG audio frames or WAV chunks to the end of the file.

A download or copy cut short still decodes: libvorbis and mpg123 stop at the last complete page or
frame, and the header's length is estimated from what is there, so decoded length and header agree
and a half song would be tagged as if whole (libsndfile sizes a WAV by what is there, too). The
containers themselves tell: an Ogg stream ends with a page flagged end-of-stream, each page and each
MP3 frame says how long it is, a VBR MP3's Xing/Info header counts its frames, and a WAV's data
chunk declares its size. Walking them reads headers only (about 10 ms for a song).
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path

_OGG_HEADER = struct.Struct("<4sBBqIIIB")  # capture, version, flags, granule, serial, sequence, crc, segments
_OGG_END_OF_STREAM = 0x04

# MPEG audio: bitrates (kbit/s) by (version is MPEG-1, layer) and index; sample rates by version and index
_BITRATES = {
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}  # version bits -> Hz


_SNDFILE_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"BW64", b"FORM", b"fLaC", b"OggS", b".snd", b"caff", b"ID3")


def libsndfile_container(path: Path) -> bool:
    """Whether the file starts as a container libsndfile reads (WAV, AIFF, FLAC, Ogg, AU, CAF, MP3)."""
    with path.open("rb") as handle:
        head = handle.read(4)
    return head.startswith(_SNDFILE_MAGIC) or _frame_length(head, 0) is not None


def truncation(path: Path) -> str | None:
    """Why ``path`` looks cut short (an Ogg or MP3 file that ends mid-stream), or None if it looks whole.

    The file is mapped, not read: only the headers walked over are paged in.
    """
    with path.open("rb") as handle:
        if not handle.read(4):
            return None
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:4] == b"OggS":
                return _ogg(data)
            if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
                return _wav(data)
            if data[:3] == b"ID3" or _frame_length(data, 0) is not None:
                return _mp3(data)
    return None


def _ogg(data: bytes) -> str | None:
    position, flags = 0, 0
    while position < len(data):
        if data[position : position + 4] != b"OggS" or position + _OGG_HEADER.size > len(data):
            return f"truncated: the Ogg stream breaks off at byte {position} of {len(data)}"
        *_, flags_now, _granule, _serial, _sequence, _crc, segments = _OGG_HEADER.unpack_from(data, position)
        lacing_end = position + _OGG_HEADER.size + segments
        if lacing_end > len(data):
            return f"truncated: the Ogg stream breaks off at byte {position} of {len(data)}"
        end = lacing_end + sum(data[position + _OGG_HEADER.size : lacing_end])
        if end > len(data):
            return f"truncated: its last Ogg page needs {end - len(data)} bytes more than the file holds"
        position, flags = end, flags_now
    if not flags & _OGG_END_OF_STREAM:
        return "truncated: the Ogg stream has no end (its last page is not marked end-of-stream)"
    return None


def _wav(data: bytes) -> str | None:
    position = 12
    while position + 8 <= len(data):
        chunk, size = data[position : position + 4], int.from_bytes(data[position + 4 : position + 8], "little")
        if chunk == b"data":
            if size in (0, 0xFFFFFFFF):  # a recorder that never went back to write the size: unknown
                return None
            held = len(data) - position - 8
            if held < size:
                return f"truncated: its header declares {size} bytes of audio, the file holds {held}"
            return None
        position += 8 + size + (size & 1)
    return None


def _frame_length(data: bytes, position: int) -> int | None:
    """Bytes of the MPEG audio frame whose header starts at ``position``; None if none starts there."""
    if position + 4 > len(data) or data[position] != 0xFF or data[position + 1] & 0xE0 != 0xE0:
        return None
    version, layer_bits = (data[position + 1] >> 3) & 3, (data[position + 1] >> 1) & 3
    bitrate_index, rate_index = data[position + 2] >> 4, (data[position + 2] >> 2) & 3
    if version == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values (or free format, which no encoder Earmark meets uses)
    layer = 4 - layer_bits
    mpeg1 = version == 3
    bitrate = _BITRATES[(mpeg1, layer)][bitrate_index] * 1000
    rate = _RATES[version][rate_index]
    padding = (data[position + 2] >> 1) & 1
    if layer == 1:
        return (12 * bitrate // rate + padding) * 4
    return (144 if mpeg1 or layer == 2 else 72) * bitrate // rate + padding


def _id3v2_size(data: bytes) -> int:
    if data[:3] != b"ID3" or len(data) < 10:
        return 0
    size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
    return 10 + size + (10 if data[5] & 0x10 else 0)  # header, tags, footer


def _xing_frames(data: bytes, position: int, length: int) -> int | None:
    """The frame count a VBR header (Xing/Info) in the first frame declares, if it has one."""
    frame = data[position : position + length]
    for tag in (b"Xing", b"Info"):
        at = frame.find(tag)
        if at >= 0 and at + 12 <= len(frame) and int.from_bytes(frame[at + 4 : at + 8], "big") & 1:
            return int.from_bytes(frame[at + 8 : at + 12], "big")
    return None


def _trailing_tags(data: bytes, position: int) -> bool:
    """What follows the last frame is tags (ID3v1, APEv2, Lyrics3) or nothing."""
    rest = data[position : position + 11]
    return not rest or rest.startswith((b"TAG", b"APETAGEX", b"LYRICSBEGIN")) or not data[position:].strip(b"\0")


def _mp3(data: bytes) -> str | None:
    position = _id3v2_size(data)
    frames, declared = 0, None
    while position < len(data):
        length = _frame_length(data, position)
        if length is None:
            if _trailing_tags(data, position):
                break
            position += 1  # junk between frames: decoders resynchronise, and so does this walk
            continue
        if position + length > len(data):
            return f"truncated: its last MP3 frame needs {position + length - len(data)} bytes more than the file holds"
        if frames == 0:
            declared = _xing_frames(data, position, length)
        frames += 1
        position += length
    if declared is not None and frames - 1 < declared:  # the Xing frame itself carries no audio
        return f"truncated: {frames - 1} of the {declared} MP3 frames its header declares"
    return None
