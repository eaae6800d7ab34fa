"""What each stretch of a call is: speech, silence, hold music, a tone, or noise.

One streaming pass over 16 kHz audio measures every 32 ms chunk: Silero VAD's speech probability,
the level, the spectral flatness (noise is flat) and how much of the energy sits in the two
strongest frequencies (a beep is one line, a DTMF key two; music spreads over its harmonics).
Speech comes from Silero with hysteresis, as its own ``get_speech_timestamps`` does (start at 0.5,
end after 0.3 s below 0.35, at least 0.25 s long); what is not speech is silence when quiet, else a
steady tone above 300 Hz, noise, or music, smoothed over a second so that a note's decay is not a
stretch of its own. Memory: a few numbers per chunk (an hour is 112,500 chunks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..listen.vad import CHUNK, SileroVAD

RATE = 16000
CHUNK_S = CHUNK / RATE
SPEECH_ON, SPEECH_OFF = 0.5, 0.35
MIN_SPEECH_S, MIN_GAP_S, SPEECH_PAD_S = 0.25, 0.3, 0.1
SILENCE_DB = -45.0  # below this level (dBFS), a stretch that is not speech is silence
TONE_SHARE = 0.85  # share of the spectrum's energy in its two strongest lines that makes a tone
TONE_MIN_HZ = 300.0  # telephone tones (dial, ringback, busy, DTMF, beeps) lie above; bass notes below
NOISE_FLATNESS = 0.35  # spectral flatness above which a sound is noise rather than music
DOMINANT_DB = 6.0  # a side of a two-party recording speaks where it is this much louder than the other
SMOOTH_S = 1.0  # non-speech labels are a majority over this long
MIN_STRETCH_S = 0.5  # a shorter non-speech stretch joins its neighbour
MIN_TONE_S = 0.08  # ... but a tone may be as short as a DTMF key (0.1 s)

SPEECH, SILENCE, MUSIC, TONE, NOISE = "speech", "silence", "music", "tone", "noise"
_KINDS = (SILENCE, MUSIC, TONE, NOISE)


@dataclass(frozen=True)
class Stretch:
    start_s: float
    end_s: float
    kind: str

    @property
    def seconds(self) -> float:
        return self.end_s - self.start_s


class Segmenter:
    """Feed one channel's 16 kHz mono float audio in blocks of any size; ``stretches()`` at the end."""

    def __init__(self) -> None:
        self.vad = SileroVAD()
        self.window = np.hanning(CHUNK).astype(np.float32)
        self.pending = np.zeros(0, dtype=np.float32)
        self.speech: list[float] = []
        self.level: list[float] = []
        self.flatness: list[float] = []
        self.tonality: list[float] = []
        self.peak: list[float] = []  # Hz of the strongest line

    def feed(self, block: np.ndarray) -> None:
        self.speech += self.vad.push_float(block)
        self.pending = np.concatenate([self.pending, block.astype(np.float32)])
        whole = len(self.pending) // CHUNK * CHUNK
        if whole:
            self._measure(self.pending[:whole].reshape(-1, CHUNK))
            self.pending = self.pending[whole:]

    def _measure(self, chunks: np.ndarray) -> None:
        rms = np.sqrt(np.mean(chunks.astype(np.float64) ** 2, axis=1))
        self.level += list(20 * np.log10(np.maximum(rms, 1e-7)))
        power = np.abs(np.fft.rfft(chunks * self.window, axis=1)) ** 2 + 1e-12
        self.flatness += list(np.exp(np.mean(np.log(power), axis=1)) / np.mean(power, axis=1))
        total = power.sum(axis=1)
        lines = np.zeros(len(power))
        self.peak += list(np.argmax(power, axis=1) * RATE / CHUNK)
        for _ in range(2):  # a beep is one line, a DTMF key two; music spreads over its harmonics
            peak = np.argmax(power, axis=1)[:, None]
            lobe = np.clip(peak + np.arange(-1, 2), 0, power.shape[1] - 1)
            lines += np.take_along_axis(power, lobe, 1).sum(axis=1)
            np.put_along_axis(power, lobe, 0.0, 1)
        self.tonality += list(lines / total)

    def stretches(self, other_side: Segmenter | None = None) -> list[Stretch]:
        """The whole channel as consecutive stretches, each of one kind.

        ``other_side``: this is one side of a two-party recording, whose other side leaks into it a
        few tens of dB down (and the detector hears a whisper as speech): only where this side is
        the louder by ``DOMINANT_DB`` is its speech its own.
        """
        count = min(len(self.speech), len(self.level))
        if other_side is not None:
            count = min(count, len(other_side.level))
        if count == 0:
            return []
        probabilities = np.array(self.speech[:count])
        if other_side is not None:
            louder = np.array(self.level[:count]) - np.array(other_side.level[:count]) >= DOMINANT_DB
            probabilities = np.where(louder, probabilities, 0.0)
        speech = speech_mask(probabilities)
        kinds = np.array([SPEECH] * count, dtype=object)
        other = ~speech
        level = np.array(self.level[:count])
        flat = np.array(self.flatness[:count])
        tonal = np.array(self.tonality[:count])
        peak = np.array(self.peak[:count])
        steady = np.r_[False, peak[1:] == peak[:-1]] & np.r_[peak[:-1] == peak[1:], False]
        tone = (tonal >= TONE_SHARE) & (peak >= TONE_MIN_HZ) & steady
        sound = np.where(tone, TONE, np.where(flat >= NOISE_FLATNESS, NOISE, MUSIC))
        kinds[other] = np.where(level[other] < SILENCE_DB, SILENCE, sound[other])
        kinds = _smooth(kinds, speech)
        return _merge_short(_held_notes(_merge_short(_runs(kinds))))


def speech_mask(probabilities: np.ndarray) -> np.ndarray:
    """Per chunk, whether it belongs to a speech region (hysteresis, minimum lengths, padding)."""
    mask = np.zeros(len(probabilities), dtype=bool)
    gap_chunks = int(round(MIN_GAP_S / CHUNK_S))
    regions: list[list[int]] = []
    start, quiet = None, 0
    for i, p in enumerate(probabilities):
        if start is None:
            if p >= SPEECH_ON:
                start, quiet = i, 0
        elif p < SPEECH_OFF:
            quiet += 1
            if quiet >= gap_chunks:
                regions.append([start, i - quiet + 1])
                start = None
        else:
            quiet = 0
    if start is not None:
        regions.append([start, len(probabilities) - quiet])
    pad = int(round(SPEECH_PAD_S / CHUNK_S))
    for begin, end in regions:
        if (end - begin) * CHUNK_S >= MIN_SPEECH_S:
            mask[max(0, begin - pad) : min(len(mask), end + pad)] = True
    return mask


def _smooth(kinds: np.ndarray, speech: np.ndarray) -> np.ndarray:
    """Each non-speech chunk takes the most common non-speech kind within SMOOTH_S around it; a tone
    keeps its own (a beep is shorter than that, and steadiness already vouched for it)."""
    half = max(1, int(round(SMOOTH_S / CHUNK_S / 2)))
    window = np.ones(2 * half + 1)  # centred on each chunk ("full", then cut: a call may be shorter than the window)
    counts = {kind: np.convolve((kinds == kind).astype(float), window)[half : half + len(kinds)] for kind in _KINDS}
    stacked = np.stack([counts[kind] for kind in _KINDS])
    best = np.array(_KINDS, dtype=object)[np.argmax(stacked, axis=0)]
    return np.where(speech, SPEECH, np.where(kinds == TONE, TONE, best))


def _runs(kinds: np.ndarray) -> list[Stretch]:
    edges = np.flatnonzero(kinds[1:] != kinds[:-1]) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(kinds)]])
    return [Stretch(s * CHUNK_S, e * CHUNK_S, str(kinds[s])) for s, e in zip(starts, ends, strict=True)]


def _short(stretch: Stretch) -> bool:
    """Too short to stand on its own: a tone (a beep, a key) may be brief; other sounds not."""
    return stretch.kind != SPEECH and stretch.seconds < (MIN_TONE_S if stretch.kind == TONE else MIN_STRETCH_S)


def _merge_short(stretches: list[Stretch]) -> list[Stretch]:
    """Join a short non-speech stretch to its non-speech neighbour (or keep it, between speech)."""
    merged: list[Stretch] = []
    for stretch in stretches:
        if merged and stretch.kind == merged[-1].kind:
            merged[-1] = Stretch(merged[-1].start_s, stretch.end_s, stretch.kind)
        elif merged and merged[-1].kind != SPEECH and _short(stretch):
            merged[-1] = Stretch(merged[-1].start_s, stretch.end_s, merged[-1].kind)
        elif merged and _short(merged[-1]) and stretch.kind != SPEECH:
            merged[-1] = Stretch(merged[-1].start_s, stretch.end_s, stretch.kind)
        else:
            merged.append(stretch)
    return merged


def _held_notes(stretches: list[Stretch]) -> list[Stretch]:
    """A "tone" with music on both sides is a note the music holds, not a beep on the line."""
    return [
        Stretch(s.start_s, s.end_s, MUSIC)
        if s.kind == TONE and 0 < i < len(stretches) - 1 and stretches[i - 1].kind == stretches[i + 1].kind == MUSIC
        else s
        for i, s in enumerate(stretches)
    ]


def totals(stretches: list[Stretch]) -> dict[str, float]:
    """Seconds of each kind."""
    seconds = dict.fromkeys((SPEECH, *_KINDS), 0.0)
    for stretch in stretches:
        seconds[stretch.kind] += stretch.seconds
    return seconds
