"""Synthetic call recordings with exact ground truth, for call-analysis tests and the benchmark.

A call is a list of turns ``(speaker, text)``. Each turn is spoken by espeak-ng in the speaker's voice,
resampled to the output rate, trimmed to where its speech actually is (a -40 dB-below-peak threshold on
the samples) and laid out with natural, seeded silences between turns. Hold music (a cut of a Wesnoth
.ogg, or synthetic chords when that package is missing), DTMF digits or a beep, line hiss and noise at a
given SNR can be added. The truth (:class:`CallTruth`) is computed from the very samples written, so
every time in it is ``sample_index / rate`` exactly.

Layouts: mono 16 kHz PCM16 wav; 8 kHz mu-law wav (telephone, ``encoding="mulaw8k"``); or stereo, one party
per channel (agent left, everyone else right, the usual call-recorder layout) with the other channel
silent or carrying a -30 dB bleed. Hold music and tones are on both channels of a stereo file.

Nothing here imports ``core``; nothing is cached. ``python -m tests.call_factory`` builds the standard
set in a temporary folder, checks it with numpy and prints a table.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import soundfile as sf
import soxr

MUSIC_DIR = Path("/usr/share/games/wesnoth/1.16/data/core/music")
# Tracks that are music from their first minute on (no long silent intros); others are used if these are gone.
HOLD_TRACKS = ("elvish-theme.ogg", "love_theme.ogg", "traveling_minstrels.ogg", "wanderer.ogg", "knolls.ogg")
TRIM_DB = -40.0  # a turn's span runs from the first to the last sample within this many dB of the turn's peak
SPEECH_PEAK = 0.5  # each turn is scaled to this peak (about -6 dBFS), times its voice's gain
HOLD_RMS_DBFS = -24.0  # hold music level
BLEED_DB = -30.0  # stereo cross-talk: the other party's channel gets a copy this much quieter
ENCODINGS = {"pcm16": "PCM_16", "mulaw8k": "ULAW"}


class Voice(NamedTuple):
    """An espeak-ng voice (language+variant), its pitch (0-99), speed (words a minute) and a gain."""

    name: str
    pitch: int = 50
    speed: int = 160
    gain_db: float = 0.0

    def args(self) -> list[str]:
        """The espeak-ng command-line options for this voice."""
        return ["-v", self.name, "-p", str(self.pitch), "-s", str(self.speed)]


# Checked with `espeak-ng --voices=en` / `--voices=variant` (espeak-ng 1.51); median F0 measured with
# librosa.pyin: agent ~112 Hz, customer ~201 Hz, caller ~273 Hz, extra ~109 Hz (Scottish). The supervisor
# is en+steph: the speaker encoder hears en-gb-x-rp+m1 as the agent's voice (cosine distance 0.12; 0.33 for steph).
VOICES: dict[str, Voice] = {
    "agent": Voice("en-us+m3", pitch=60, speed=165),
    "customer": Voice("en+f3", pitch=50, speed=150, gain_db=-2.0),
    "supervisor": Voice("en+steph", pitch=60, speed=145),
    "caller": Voice("en-us+f4", pitch=90, speed=175, gain_db=-1.0),
}
SPARE_VOICES = (Voice("en-gb-scotland+m7", pitch=50, speed=155), Voice("en-029+f2", pitch=70, speed=150))

# ~60 call-centre sentences. Numbers are written as espeak says them. The word "refund" occurs only in
# the sentences whose key contains "refund" (and nowhere as "refunds"/"refunded"), so search tests know
# exactly where it is: see CallTruth.find.
AGENT_LINES: dict[str, str] = {
    "greet": "Thank you for calling Northwind customer support, my name is Sam, how can I help you today?",
    "greet_billing": "Good morning, you are through to the billing team, this is Alex speaking.",
    "ask_order": "Could you give me your order number please?",
    "ask_account": "Can I take your account number, please?",
    "ask_postcode": "And can you confirm the postcode on the account?",
    "ask_name": "May I have the full name on the account?",
    "verify_ok": "Thank you, I have found your account.",
    "checking": "Let me just check that for you.",
    "hold": "I am going to place you on a short hold while I look into this.",
    "back": "Thank you for holding, I appreciate your patience.",
    "order_status": "Your order was dispatched yesterday and should arrive by Thursday.",
    "order_delay": "I can see the parcel is delayed at our warehouse, I am sorry about that.",
    "refund_issued": "I have issued a full refund to your card, it should arrive in three to five working days.",
    "refund_policy": "We can offer a refund if the item is returned within thirty days.",
    "replacement": "I can send you a replacement instead, free of charge.",
    "return_label": "I will email you a prepaid return label today.",
    "address_update": "I have updated your delivery address.",
    "address_confirm": "So that is twelve Station Road, Leeds, is that right?",
    "billing_explain": "The extra charge on your bill is the late payment fee from last month.",
    "fee_waived": "As a one off, I have waived that fee for you.",
    "direct_debit": "Your direct debit will now be taken on the first of each month.",
    "plan_change": "I can move you to the cheaper plan from your next billing date.",
    "password_reset": "I have sent a password reset link to your email address.",
    "escalate": "I will ask my supervisor to join the call.",
    "reference": "Your reference number is seven four two nine.",
    "anything_else": "Is there anything else I can help you with today?",
    "survey": "You may receive a short survey about this call.",
    "goodbye": "Thank you for calling, have a lovely day.",
    "sorry": "I completely understand, and I am sorry for the trouble.",
    "confirm_email": "Can I confirm the email address we have is still correct?",
}
CUSTOMER_LINES: dict[str, str] = {
    "late_order": "Hi, I ordered a coffee machine two weeks ago and it still has not arrived.",
    "damaged": "The parcel arrived damaged and the glass jug was broken.",
    "want_refund": "I would like a refund please, I do not want a replacement.",
    "refund_where": "I was promised a refund last week but I have not seen the money.",
    "order_number": "Yes, the order number is four five one eight two.",
    "account_number": "My account number is nine nine three one six.",
    "postcode": "The postcode is L S one four A B.",
    "name": "It is Maria Jones.",
    "moved": "I have moved house, so I need to change my address.",
    "new_address": "The new address is twelve Station Road, Leeds.",
    "yes_right": "Yes, that is right.",
    "double_charged": "I think I have been charged twice on my last bill.",
    "which_charge": "There is a charge of forty pounds that I do not recognise.",
    "cancel": "I would like to cancel my subscription.",
    "cheaper": "Is there a cheaper plan I could switch to?",
    "locked_out": "I cannot log in to my account, it says my password is wrong.",
    "email": "My email is maria at example dot com.",
    "okay_thanks": "Okay, thank you, that is helpful.",
    "how_long": "How long will that take?",
    "speak_manager": "This is the third time I have called, can I speak to a manager please?",
    "fine_wait": "That is fine, I can wait.",
    "nothing_else": "No, that is everything, thank you.",
    "bye": "Thanks, bye.",
    "still_there": "Hello, are you still there?",
    "vm_hello": "Hi, this is Maria Jones calling about order four five one eight two.",
    "vm_refund": "I returned the coffee machine two weeks ago and I am still waiting for my refund.",
    "vm_callback": "Could someone please call me back on oh seven seven zero zero, nine double oh, one two three.",
    "vm_thanks": "I am free after three o'clock. Thanks, bye.",
}
SUPERVISOR_LINES: dict[str, str] = {
    "sup_intro": "Hello, my name is David, I am the team supervisor, I understand you have had some trouble.",
    "sup_refund": "I have approved the refund myself and added a twenty pound credit to your account.",
    "sup_apology": "I am sorry it took three calls to sort this out.",
}


class Turn(NamedTuple):
    """One party speaking: where the speech is, in seconds from the start of the file (end exclusive)."""

    start_s: float
    end_s: float
    speaker: str
    text: str


class Tone(NamedTuple):
    """A tone in the call: ``label`` is "beep" or "dtmf:<digits>"."""

    start_s: float
    end_s: float
    label: str


@dataclasses.dataclass
class CallTruth:
    """Everything known about a synthetic call. Times are exact: ``sample_index / rate``.

    ``talk_s`` is per speaker the sum of their turn spans (a turn's span includes espeak's pauses between
    its words and sentences). ``speaker_channels`` is empty for mono, else speaker -> channel (0 = left).
    ``snr_db`` is the speech-to-noise ratio of the added noise (None: none), ``floor_dbfs`` the RMS of the
    constant line hiss (None: digital silence between turns).
    """

    duration_s: float
    rate: int
    encoding: str
    channels: int
    turns: list[Turn]
    hold: list[tuple[float, float]]
    tones: list[Tone]
    num_speakers: int
    talk_s: dict[str, float]
    speaker_channels: dict[str, int]
    voices: dict[str, str]
    snr_db: float | None = None
    floor_dbfs: float | None = None

    @property
    def speakers(self) -> list[str]:
        """Speaker ids in order of first appearance."""
        return list(dict.fromkeys(turn.speaker for turn in self.turns))

    @property
    def speech_s(self) -> float:
        """Seconds inside some turn (turns never overlap)."""
        return sum(self.talk_s.values())

    @property
    def hold_s(self) -> float:
        """Seconds of hold music."""
        return sum(end - start for start, end in self.hold)

    @property
    def tone_s(self) -> float:
        """Seconds of tones (DTMF, beeps)."""
        return sum(tone.end_s - tone.start_s for tone in self.tones)

    @property
    def silence_s(self) -> float:
        """Seconds that are neither speech, hold music nor tone (may hold line hiss or noise)."""
        return self.duration_s - self.speech_s - self.hold_s - self.tone_s

    @property
    def transcript(self) -> str:
        """All turns' text, one ``speaker: text`` line per turn."""
        return "\n".join(f"{turn.speaker}: {turn.text}" for turn in self.turns)

    def find(self, word: str) -> list[Turn]:
        """The turns whose text contains ``word`` as a whole word (case-insensitive)."""
        pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
        return [turn for turn in self.turns if pattern.search(turn.text)]

    def samples(self, start_s: float, end_s: float) -> slice:
        """The sample slice of a span in this file."""
        return slice(round(start_s * self.rate), round(end_s * self.rate))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for the benchmark's truth files)."""
        out = dataclasses.asdict(self)
        out.update(speech_s=self.speech_s, hold_s=self.hold_s, silence_s=self.silence_s)
        return out


def espeak(text: str, voice: Voice, rate: int) -> np.ndarray:
    """``text`` spoken in ``voice`` at ``rate``, trimmed to its speech and scaled to the voice's level."""
    raw = subprocess.run(
        ["espeak-ng", *voice.args(), "--stdout", text], capture_output=True, check=True, timeout=60
    ).stdout
    speech, source_rate = sf.read(io.BytesIO(raw), dtype="float32")
    if source_rate != rate:
        speech = soxr.resample(speech, source_rate, rate).astype(np.float32)
    peak = float(np.abs(speech).max()) if speech.size else 0.0
    if peak == 0.0:
        raise ValueError(f"espeak-ng said nothing for {text!r} in {voice.name}")
    loud = np.flatnonzero(np.abs(speech) >= peak * 10 ** (TRIM_DB / 20))
    speech = speech[loud[0] : loud[-1] + 1]
    return speech * np.float32(SPEECH_PEAK * 10 ** (voice.gain_db / 20) / peak)


def hold_music(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """``seconds`` of mono music at ``rate``: a seeded cut of a Wesnoth track (chords if none is installed)."""
    rng = np.random.default_rng(seed)
    tracks = [MUSIC_DIR / name for name in HOLD_TRACKS if (MUSIC_DIR / name).is_file()]
    if not tracks and MUSIC_DIR.is_dir():
        tracks = sorted(p for p in MUSIC_DIR.glob("*.ogg") if p.stat().st_size > 500_000)
    if tracks:
        track = tracks[int(rng.integers(len(tracks)))]
        info = sf.info(str(track))
        frames = int(np.ceil(seconds * info.samplerate)) + 64
        latest = max(0, info.frames - frames)
        start = int(rng.integers(min(10 * info.samplerate, latest), latest + 1))  # past the intro where possible
        music, source_rate = sf.read(str(track), start=start, frames=frames, dtype="float32", always_2d=True)
        music = soxr.resample(music.mean(axis=1), source_rate, rate).astype(np.float32)
    else:
        music = _chords(seconds + 0.01, rate, rng)
    music = music[: round(seconds * rate)]
    if music.size < round(seconds * rate):
        music = np.pad(music, (0, round(seconds * rate) - music.size))
    rms = float(np.sqrt(np.mean(music**2))) or 1.0
    music = music * np.float32(10 ** (HOLD_RMS_DBFS / 20) / rms)
    fade = min(int(0.03 * rate), music.size // 2)
    ramp = np.linspace(1.0 / fade, 1.0, fade, dtype=np.float32)
    music[:fade] *= ramp
    music[music.size - fade :] *= ramp[::-1]
    return np.clip(music, -0.9, 0.9)


def _chords(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Stand-in hold music: a chord every half second."""
    t = np.arange(int(seconds * rate)) / rate
    signal = np.zeros_like(t)
    for start in np.arange(0, seconds, 0.5):
        mask = (t >= start) & (t < start + 0.5)
        root = rng.uniform(196, 392)
        for ratio in (1.0, 1.25, 1.5):
            signal[mask] += np.sin(2 * np.pi * root * ratio * t[mask])
    return signal.astype(np.float32)


DTMF = {
    "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "4": (770, 1209), "5": (770, 1336), "6": (770, 1477),
    "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "*": (941, 1209), "0": (941, 1336), "#": (941, 1477),
}  # fmt: skip


def tone_signal(kind: str, rate: int) -> tuple[np.ndarray, str]:
    """A 0.5 s 1 kHz beep (``kind="beep"``), or DTMF for the digits in ``kind`` (0.1 s each, 0.07 s apart)."""
    if kind == "beep":
        t = np.arange(int(0.5 * rate)) / rate
        return (0.3 * np.sin(2 * np.pi * 1000 * t + np.pi / 2)).astype(np.float32), "beep"
    digits = kind.removeprefix("dtmf:")
    if not digits or any(d not in DTMF for d in digits):
        raise ValueError(f"tone must be 'beep' or DTMF digits, not {kind!r}")
    t = np.arange(int(0.1 * rate)) / rate
    pause = np.zeros(int(0.07 * rate), dtype=np.float32)
    parts: list[np.ndarray] = []
    for digit in digits:
        low, high = DTMF[digit]
        parts += [(0.2 * (np.cos(2 * np.pi * low * t) + np.cos(2 * np.pi * high * t))).astype(np.float32), pause]
    return np.concatenate(parts[:-1]), f"dtmf:{digits}"


def assign_voices(speakers: Sequence[str], voices: Mapping[str, Voice] | None = None) -> dict[str, Voice]:
    """A distinct voice per speaker: ``voices``, then :data:`VOICES` by id, then the unused ones in order."""
    chosen = {**VOICES, **(voices or {})}
    out = {s: chosen[s] for s in speakers if s in chosen}
    free = [v for v in (*chosen.values(), *SPARE_VOICES) if v not in out.values()]
    for speaker in speakers:
        if speaker not in out:
            if not free:
                raise ValueError(f"more speakers than voices: {list(speakers)}")
            out[speaker] = free.pop(0)
    return out


def make_call(
    path: Path,
    turns: Sequence[tuple[str, str]],
    *,
    rate: int = 16000,
    gap_s: tuple[float, float] = (0.3, 1.5),
    lead_s: tuple[float, float] = (0.3, 1.0),
    hold_music_s: float | None = None,
    hold_at: int | None = None,
    tones: Sequence[tuple[int, str]] = (),
    encoding: str = "pcm16",
    stereo: bool = False,
    channel_of: Mapping[str, int] | None = None,
    bleed_db: float | None = BLEED_DB,
    noise_db: float | None = None,
    floor_dbfs: float | None = None,
    min_duration_s: float = 0.0,
    voices: Mapping[str, Voice] | None = None,
    seed: int = 0,
) -> CallTruth:
    """Write a synthetic call to ``path`` (a .wav) and return its exact truth.

    ``turns`` are ``(speaker, text)``; consecutive events are separated by a seeded silence drawn from
    ``gap_s``, with ``lead_s`` silence before the first and after the last. ``hold_music_s`` seconds of
    hold music go before turn ``hold_at`` (default: the middle turn; ``len(turns)`` puts it last).
    ``tones`` are ``(before_turn_index, "beep" | "dtmf:<digits>")``. ``encoding`` is "pcm16" (at ``rate``) or
    "mulaw8k" (8 kHz mu-law; ``rate`` is ignored). ``stereo`` puts each speaker on the channel given by
    ``channel_of`` (default: the first speaker left, all others right) with a ``bleed_db`` copy on the
    other channel (None: that channel is silent). ``noise_db`` adds white noise that many dB below the
    speech power; ``floor_dbfs`` adds constant hiss at that RMS level (e.g. -60 for a "silent" line).
    ``min_duration_s`` pads the end with silence. Same arguments and seed, same samples.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {sorted(ENCODINGS)}, not {encoding!r}")
    if encoding == "mulaw8k":
        rate = 8000
    rng = np.random.default_rng(seed)
    speakers = list(dict.fromkeys(speaker for speaker, _ in turns))
    voice_of = assign_voices(speakers, voices)
    channels = 2 if stereo else 1
    if stereo:
        channel_of = dict(channel_of or {s: 0 if i == 0 else 1 for i, s in enumerate(speakers)})
        missing = [s for s in speakers if s not in channel_of]
        if missing:
            raise ValueError(f"no channel for {missing}")
    else:
        channel_of = {}

    with ThreadPoolExecutor(max_workers=4) as pool:
        speech = list(pool.map(lambda turn: espeak(turn[1], voice_of[turn[0]], rate), turns))

    # The running order: ("turn", i), ("hold", None), ("tone", kind).
    events: list[tuple[str, Any]] = []
    for i in range(len(turns) + 1):
        events += [("tone", kind) for at, kind in tones if at == i]
        if hold_music_s and i == (len(turns) // 2 if hold_at is None else hold_at):
            events.append(("hold", None))
        if i < len(turns):
            events.append(("turn", i))

    pieces: list[tuple[int, np.ndarray, str, Any]] = []  # (start sample, signal, kind, what)
    cursor = round(rng.uniform(*lead_s) * rate)
    for n, (kind, what) in enumerate(events):
        if n:
            cursor += round(rng.uniform(*gap_s) * rate)
        if kind == "turn":
            signal = speech[what]
        elif kind == "hold":
            signal = hold_music(float(hold_music_s or 0.0), rate, seed=int(rng.integers(2**31)))
        else:
            signal, what = tone_signal(what, rate)
        pieces.append((cursor, signal, kind, what))
        cursor += signal.size
    total = max(cursor + round(rng.uniform(*lead_s) * rate), round(min_duration_s * rate), 1)

    audio = np.zeros((total, channels), dtype=np.float32)
    bleed = 0.0 if bleed_db is None else 10 ** (bleed_db / 20)
    for start, signal, kind, what in pieces:
        span = slice(start, start + signal.size)
        if kind == "turn" and stereo:
            own = channel_of[turns[what][0]]
            audio[span, own] += signal
            audio[span, 1 - own] += signal * np.float32(bleed)
        else:
            audio[span] += signal[:, None]
    if noise_db is not None and speech:
        power = float(np.mean(np.concatenate(speech) ** 2))
        audio += rng.normal(0, np.sqrt(power / 10 ** (noise_db / 10)), audio.shape).astype(np.float32)
    if floor_dbfs is not None:
        audio += rng.normal(0, 10 ** (floor_dbfs / 20), audio.shape).astype(np.float32)
    audio = np.clip(audio, -1.0, 1.0)

    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio if stereo else audio[:, 0], rate, subtype=ENCODINGS[encoding], format="WAV")

    truth_turns = [
        Turn(start / rate, (start + s.size) / rate, turns[what][0], turns[what][1])
        for start, s, kind, what in pieces
        if kind == "turn"
    ]
    talk = {speaker: 0 for speaker in speakers}
    for _, s, kind, what in pieces:
        if kind == "turn":
            talk[turns[what][0]] += s.size
    return CallTruth(
        duration_s=total / rate,
        rate=rate,
        encoding=encoding,
        channels=channels,
        turns=truth_turns,
        hold=[(start / rate, (start + s.size) / rate) for start, s, kind, _ in pieces if kind == "hold"],
        tones=[Tone(start / rate, (start + s.size) / rate, what) for start, s, kind, what in pieces if kind == "tone"],
        num_speakers=len(speakers),
        talk_s={speaker: samples / rate for speaker, samples in talk.items()},
        speaker_channels=dict(channel_of),
        voices={s: " ".join(v.args()) for s, v in voice_of.items()},
        snr_db=noise_db,
        floor_dbfs=floor_dbfs,
    )


def _script(*lines: str) -> list[tuple[str, str]]:
    """Turns from sentence keys: agent, customer or supervisor lines, each speaker known by the key's table."""
    out = []
    for key in lines:
        for speaker, table in (("agent", AGENT_LINES), ("customer", CUSTOMER_LINES), ("supervisor", SUPERVISOR_LINES)):
            if key in table:
                out.append((speaker, table[key]))
                break
        else:
            raise KeyError(key)
    return out


# The 0-based turns of each standard call that say "refund"; no other turn does.
REFUND_AT: dict[str, list[int]] = {"two_party": [2, 5], "three_party": [1, 4, 8], "mulaw": [5], "voicemail": [1]}
# name -> (turns, make_call arguments)
STANDARD: dict[str, tuple[list[tuple[str, str]], dict[str, Any]]] = {
    "two_party": (
        _script(
            "greet", "late_order", "want_refund", "ask_order", "order_number", "refund_issued", "okay_thanks", "goodbye"
        ),
        {"seed": 1, "floor_dbfs": -65.0},
    ),
    "three_party": (
        _script(
            "greet",
            "refund_where",
            "ask_account",
            "account_number",
            "refund_policy",
            "speak_manager",
            "escalate",
            "sup_intro",
            "sup_refund",
            "nothing_else",
        ),
        {"seed": 2, "floor_dbfs": -65.0},
    ),
    "hold": (
        _script("greet_billing", "double_charged", "hold", "back", "billing_explain", "okay_thanks"),
        {"seed": 3, "hold_music_s": 20.0, "hold_at": 3, "floor_dbfs": -65.0},
    ),
    "stereo": (
        _script("greet", "moved", "ask_name", "name", "address_update", "address_confirm", "yes_right", "goodbye"),
        {"seed": 4, "stereo": True, "floor_dbfs": -70.0},
    ),
    "mulaw": (
        _script("greet", "damaged", "ask_order", "order_number", "replacement", "want_refund", "return_label", "bye"),
        {"seed": 5, "encoding": "mulaw8k", "tones": [(0, "dtmf:2")], "floor_dbfs": -60.0},
    ),
    "noisy": (
        _script("greet_billing", "cancel", "plan_change", "cheaper", "direct_debit", "nothing_else"),
        {"seed": 6, "noise_db": 15.0},
    ),
    "silent": ([], {"seed": 7, "encoding": "mulaw8k", "min_duration_s": 20.0, "floor_dbfs": -60.0}),
    "voicemail": (
        [("caller", CUSTOMER_LINES[k]) for k in ("vm_hello", "vm_refund", "vm_callback", "vm_thanks")],
        {"seed": 8, "tones": [(0, "beep")], "gap_s": (0.3, 0.6), "floor_dbfs": -65.0},
    ),
    "music_only": ([], {"seed": 9, "hold_music_s": 30.0, "hold_at": 0, "lead_s": (0.0, 0.0)}),
}


def standard_calls(root: Path) -> list[tuple[Path, CallTruth]]:
    """The fixed, seeded call set used by tests and the benchmark, written as ``root/<name>.wav``."""
    return [
        (root / f"{name}.wav", make_call(root / f"{name}.wav", turns, **kw)) for name, (turns, kw) in STANDARD.items()
    ]


def conversation(n_turns: int, speakers: Sequence[str] = ("agent", "customer"), seed: int = 0) -> list[tuple[str, str]]:
    """``n_turns`` seeded turns, the first speaker (agent lines) alternating with the others (customer lines)."""
    rng = np.random.default_rng(seed)
    agent, customer = list(AGENT_LINES.values()), list(CUSTOMER_LINES.values())
    others = list(speakers[1:]) or [speakers[0]]
    out = []
    for i in range(n_turns):
        speaker = speakers[0] if i % 2 == 0 else others[(i // 2) % len(others)]
        lines = agent if speaker == speakers[0] else customer
        out.append((speaker, lines[int(rng.integers(len(lines)))]))
    return out


def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.square(x, dtype=np.float64)) + 1e-12))


def verify(path: Path, truth: CallTruth) -> list[str]:
    """Problems found by reading ``path`` back with numpy: energy in each turn on its speaker's channel and
    hold span, quiet gaps, stereo separation, format. Empty when the file agrees with its truth."""
    problems: list[str] = []
    info = sf.info(str(path))
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    if rate != truth.rate or audio.shape[1] != truth.channels or audio.shape[0] != round(truth.duration_s * rate):
        problems.append(f"format {rate} Hz x{audio.shape[1]} {audio.shape[0]} frames")
    if info.subtype != ENCODINGS[truth.encoding]:
        problems.append(f"subtype {info.subtype}")
    busy = np.zeros(audio.shape[0], dtype=bool)
    for start, end, speaker, _ in truth.turns:
        span = truth.samples(start, end)
        busy[span] = True
        channel = truth.speaker_channels.get(speaker, 0)
        own = audio[span, channel]
        if _rms_db(own) < -40:
            problems.append(f"quiet turn at {start:.3f}: {_rms_db(own):.1f} dB")
        if truth.snr_db is None and min(abs(own[0]), abs(own[-1])) < 10 ** ((TRIM_DB - 12) / 20):
            problems.append(f"turn at {start:.3f} does not start and end on speech")
        separation = 20.0 if truth.snr_db is None else min(20.0, truth.snr_db - 3)  # noise is on both sides
        if truth.channels == 2 and _rms_db(own) - _rms_db(audio[span, 1 - channel]) < separation:
            problems.append(f"turn at {start:.3f} not separated onto channel {channel}")
    for start, end in truth.hold:
        busy[truth.samples(start, end)] = True
        if _rms_db(audio[truth.samples(start, end)]) < HOLD_RMS_DBFS - 3:
            problems.append(f"quiet hold music at {start:.3f}")
    for start, end, _ in truth.tones:
        busy[truth.samples(start, end)] = True
    if (~busy).any():
        gaps = audio[~busy]
        if truth.snr_db is None and _rms_db(gaps) > -50:
            problems.append(f"gaps too loud: {_rms_db(gaps):.1f} dB")
        expected = _rms_db(audio[busy]) - truth.snr_db if truth.snr_db is not None else 0.0
        if truth.snr_db is not None and not expected - 4 < _rms_db(gaps) < expected + 2:
            problems.append(f"noise in gaps at {_rms_db(gaps):.1f} dB, expected about {expected:.1f}")
    return problems


def table(calls: Sequence[tuple[Path, CallTruth]]) -> str:
    """A text table of a call set: file, format, duration, speakers, talk seconds per speaker, hold, tones."""
    rows = [f"{'file':<16}{'format':<18}{'dur s':>7}{'spk':>4}  {'talk s per speaker':<44}{'hold s':>7}{'refund@':>9}"]
    for path, t in calls:
        talk = ", ".join(f"{s} {v:.2f}" for s, v in t.talk_s.items()) or "-"
        layout = f"{t.rate // 1000}k {t.encoding}" + (" stereo" if t.channels == 2 else "")
        refund = ",".join(str(t.turns.index(turn)) for turn in t.find("refund")) or "-"
        rows.append(
            f"{path.name:<16}{layout:<18}{t.duration_s:>7.2f}{t.num_speakers:>4}  {talk:<44}{t.hold_s:>7.2f}{refund:>9}"
        )
    return "\n".join(rows)


def main(argv: Sequence[str]) -> int:
    """Build the standard set (into ``argv[0]`` or a temporary folder), verify it and print its table."""
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="calls-") as tmp:
        root = Path(argv[0]) if argv else Path(tmp)
        began = time.perf_counter()
        calls = standard_calls(root)
        seconds = time.perf_counter() - began
        print(table(calls))
        print(f"built {len(calls)} calls in {seconds:.1f} s into {root}")
        bad = {path.name: problems for path, truth in calls if (problems := verify(path, truth))}
        for name, problems in bad.items():
            print(f"{name}: {'; '.join(problems)}")
        print("verified: all files agree with their truth" if not bad else f"{len(bad)} files disagree")
        return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
