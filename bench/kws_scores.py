"""Every model's score on every 80 ms frame of the benchmark audio, computed once and cached.

Each upstream engine (microWakeWord, openWakeWord's heads) and the Silero speech gate runs once
over the positives and the negative hours; Earmark's detectors are then replayed over these
scores through the same :class:`~core.listen.detector.Spotter` and two-stage code the app runs,
so a new threshold or policy is measured in seconds rather than hours. The cache lives beside
the negatives' (``$EARMARK_BENCH_CACHE``), keyed by what changes the scores.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.kws_corpus import CACHE, coloured_noise, espeak, music, negative_stream, rms, to_frames
from core.listen.detector import FRAME_SAMPLES, SAMPLE_RATE
from core.listen.examples import speech_span

VERSION = "1"  # bump when the audio recipe or a component changes
OWW_HEADS = ["alexa", "hey_jarvis", "hey_mycroft"]
PHRASES = {"okay_nabu": "okay nabu", "hey_jarvis": "hey jarvis", "hey_mycroft": "hey mycroft", "alexa": "alexa"}
VOICES = ["en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029", "en+m3", "en-us+m7", "en+f3", "en-us+f4", "en+klatt"]
SPEEDS = [130, 165, 200]
PITCHES = [40, 65]
BEDS = ["pink noise", "music"]
SNR_DB = 10.0
# (planned hours, seed, parts): pieces came out shorter than planned (10 h planned gave 8.5), so a
# second stream with its own seed tops the negatives up past ten hours
BATCHES = [(10.0, 0, 8), (2.0, 1, 2)]
OWW_PARTS = 4  # openWakeWord (opt-in, and 60 % of the scoring time) is scored over the first batch's first parts only


class _Open:
    """Always sure: through a speech gate, 1 while the gate is open and 0 while it is shut."""

    name = "open"
    words = ["speech"]
    default_thresholds = {"speech": 0.5}

    def predict(self, frame: np.ndarray) -> dict[str, float]:
        return {"speech": 1.0}

    def reset(self) -> None:
        return None


class Components:
    """The engines whose frame scores are kept, each timed on its own."""

    def __init__(self, oww: bool = True) -> None:
        from core.listen.micro import MicroWakeWordDetector
        from core.listen.oww import OpenWakeWordDetector
        from core.listen.vad import SpeechGate

        self.engines = {"micro": MicroWakeWordDetector(), "gate": SpeechGate(_Open())}
        if oww:
            self.engines["oww"] = OpenWakeWordDetector(OWW_HEADS)
        self.cpu = dict.fromkeys(self.engines, 0.0)

    def reset(self) -> None:
        for engine in self.engines.values():
            engine.reset()

    def run(self, frames: np.ndarray) -> dict[str, np.ndarray]:
        """``{"micro:alexa": scores, ..., "gate:speech": 0/1}`` over these frames, streaming on from before."""
        out: dict[str, np.ndarray] = {}
        for prefix, engine in self.engines.items():
            started = time.process_time()
            rows = [engine.predict(frame) for frame in frames]
            self.cpu[prefix] += time.process_time() - started
            for word in engine.words:
                out[f"{prefix}:{word}"] = np.array([row[word] for row in rows], dtype=np.float32)
        return out


def _save(path: Path, arrays: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npz")
    np.savez_compressed(partial, **arrays)
    partial.replace(path)


def _load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


@dataclass
class Positives:
    """Per clip: its word, where the phrase is (s), and each key's frame scores."""

    words: list[str]
    starts: np.ndarray
    ends: np.ndarray
    beds: list[str]
    voices: list[str]
    scores: list[dict[str, np.ndarray]]


def positives() -> Positives:
    """Every phrase x voice x speed x pitch x bed (pink noise or music at 10 dB under the speech), one stream each."""
    path = CACHE / "scores" / f"positives-v{VERSION}.npz"
    if not path.is_file():
        _save(path, _score_positives())
    data = _load(path)
    bounds = np.concatenate([[0], np.cumsum(data["lengths"])])
    keys = [k for k in data if ":" in k]
    scores = [{k: data[k][a:b] for k in keys} for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return Positives(
        list(data["words"]), data["starts"], data["ends"], list(data["beds"]), list(data["voices"]), scores
    )


def _score_positives() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    components, tracks = Components(), music()
    rows: dict[str, list] = {k: [] for k in ("words", "starts", "ends", "beds", "voices", "lengths")}
    parts: list[dict[str, np.ndarray]] = []
    for word, text in PHRASES.items():
        for voice in VOICES:
            for speed in SPEEDS:
                for pitch in PITCHES:
                    speech = espeak(text, voice, speed, pitch)
                    first, last = speech_span(to_frames(speech))  # espeak pads its output with silence
                    speech = speech[first * FRAME_SAMPLES : last * FRAME_SAMPLES]
                    for bed in BEDS:
                        lead = int(rng.uniform(0.8, 1.5) * SAMPLE_RATE)
                        clip = np.concatenate(
                            [np.zeros(lead, np.float32), speech, np.zeros(2 * SAMPLE_RATE, np.float32)]
                        )
                        if bed == "music":
                            track = tracks[int(rng.integers(len(tracks)))]
                            offset = int(rng.integers(max(1, len(track) - len(clip))))
                            noise = np.resize(track[offset : offset + len(clip)], len(clip))
                        else:
                            noise = coloured_noise(len(clip), rng)
                        clip = clip + noise * rms(speech) / rms(noise) / 10 ** (SNR_DB / 20)
                        clip = clip * 10 ** (rng.uniform(-12, 0) / 20) * 0.3 / rms(clip)
                        components.reset()
                        frames = to_frames(clip)
                        parts.append(components.run(frames))
                        for key, value in (("words", word), ("starts", lead / SAMPLE_RATE), ("beds", bed),
                                           ("ends", (lead + len(speech)) / SAMPLE_RATE), ("voices", voice),
                                           ("lengths", len(frames))):  # fmt: skip
                            rows[key].append(value)
    arrays = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    return arrays | {key: np.array(values) for key, values in rows.items()}


@dataclass
class Negatives:
    """Frame scores of every part of the negative stream, with its seconds per kind and CPU per engine."""

    parts: list[dict[str, np.ndarray]]
    seconds: dict[str, float]
    cpu: dict[str, float]  # per engine, its CPU seconds per second of audio (one core)

    @property
    def hours(self) -> float:
        return sum(len(p["micro:alexa"]) for p in self.parts) * FRAME_SAMPLES / SAMPLE_RATE / 3600

    @property
    def with_oww(self) -> list[dict[str, np.ndarray]]:
        """The parts openWakeWord was scored on."""
        return [p for p in self.parts if "oww:alexa" in p]


def _score_negative_part(hours: float, seed: int, part: int, parts: int) -> Path:
    path = CACHE / "scores" / f"negatives-{hours:g}h-v{VERSION}-{part}of{parts}{f'-s{seed}' if seed else ''}.npz"
    if path.is_file():
        return path
    components = Components(oww=seed == 0 and part < OWW_PARTS)
    pieces: list[dict[str, np.ndarray]] = []
    seconds = {"speech": 0.0, "music": 0.0, "speech over music": 0.0}
    for audio, kind in negative_stream(hours, seed, part, parts):
        frames = to_frames(audio)
        pieces.append(components.run(frames))
        seconds[kind] += len(frames) * FRAME_SAMPLES / SAMPLE_RATE
    arrays = {key: np.concatenate([p[key] for p in pieces]) for key in pieces[0]}
    arrays |= {f"seconds:{k}": np.array(v) for k, v in seconds.items()}
    arrays |= {f"cpu:{k}": np.array(v) for k, v in components.cpu.items()}
    _save(path, arrays)
    return path


def negatives(workers: int = 2) -> Negatives:
    """Every batch's stream in its interleaved parts (each one continuous stream), scored by ``workers`` processes."""
    jobs = [(hours, seed, part, parts) for hours, seed, parts in BATCHES for part in range(parts)]
    with ProcessPoolExecutor(workers) as pool:
        paths = list(pool.map(_score_negative_part, *zip(*jobs, strict=True)))
    loaded = [_load(path) for path in paths]
    seconds = {k.split(":", 1)[1]: sum(float(d[k]) for d in loaded) for k in loaded[0] if k.startswith("seconds:")}
    engines = {k for d in loaded for k in d if k.startswith("cpu:")}  # openWakeWord ran on some parts only
    audio = [sum(float(v) for k, v in d.items() if k.startswith("seconds:")) for d in loaded]
    cpu = {
        k.split(":", 1)[1]: sum(float(d[k]) for d in loaded if k in d)
        / sum(a for d, a in zip(loaded, audio, strict=True) if k in d)
        for k in sorted(engines)
    }
    scores = [{k: v for k, v in d.items() if ":" in k and not k.startswith(("seconds:", "cpu:"))} for d in loaded]
    return Negatives(scores, seconds, cpu)


if __name__ == "__main__":  # precompute: python -m bench.kws_scores
    started = time.monotonic()
    result = negatives()
    print(f"{result.hours:.2f} h of negatives, {result.seconds}, cpu {result.cpu}, {time.monotonic() - started:.0f} s")
    print(f"{len(positives().words)} positives")
