"""Voice enrolment, measured: one espeak-ng voice enrols every wake word from four clean takes; its
recall in noise before and after, the other voices' recall, and false accepts over negative hours.

    python bench/kws_enrol.py [--voice en-gb-x-rp] [--parts 2]

Positives: the enrolled voice saying each phrase at 3 speeds x 2 pitches, over pink noise and over
music at 10 dB (12 per word, none of them a take it enrolled from), and the other nine benchmark
voices at one speed and pitch over pink noise. Negatives: the first ``--parts`` parts of the
benchmark's negative stream: Earmark's tuning replayed from the cached scores, with and without
the verifiers, which hear the stream rendered again. Results go to stdout and ``bench/results/``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.kws_corpus import coloured_noise, espeak, music, negative_stream, rms, to_frames  # noqa: E402
from bench.kws_eval import FOUND_WITHIN_S, micro, poisson, wilson  # noqa: E402
from bench.kws_scores import BATCHES, CACHE, PHRASES, VERSION, VOICES, _load  # noqa: E402
from core.listen.calibration import EXCLUSIVE_S, THRESHOLDS  # noqa: E402
from core.listen.catalog import ListenRequest, ListenSpec, spotter_for  # noqa: E402
from core.listen.detector import FRAME_SAMPLES, SAMPLE_RATE, Spotter, TriggerPolicy  # noqa: E402
from core.listen.enrol import enrol  # noqa: E402
from core.listen.examples import speech_span  # noqa: E402
from core.listen.twostage import TwoStage  # noqa: E402
from core.listen.verifier import CONFIRM, VerifierDetector  # noqa: E402

TAKES = [(140, 50), (160, 45), (180, 55), (150, 60)]


def said(text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    audio = espeak(text, voice, speed, pitch)
    first, last = speech_span(to_frames(audio))
    return audio[first * FRAME_SAMPLES : last * FRAME_SAMPLES]


def in_noise(speech: np.ndarray, bed: str, rng: np.random.Generator) -> tuple[np.ndarray, float, float]:
    lead = int(rng.uniform(0.8, 1.5) * SAMPLE_RATE)
    clip = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(2 * SAMPLE_RATE, np.float32)])
    if bed == "music":
        track = music()[int(rng.integers(len(music())))]
        offset = int(rng.integers(max(1, len(track) - len(clip))))
        noise = np.resize(track[offset : offset + len(clip)], len(clip))
    else:
        noise = coloured_noise(len(clip), rng)
    clip = clip + noise * rms(speech) / rms(noise) / 10 ** (10 / 20)
    return clip * 0.1 / rms(clip), lead / SAMPLE_RATE, (lead + len(speech)) / SAMPLE_RATE


def found(spotter, clips: list[tuple[str, np.ndarray, float, float]]) -> int:
    hits = 0
    for word, audio, start, end in clips:
        spotter.reset()
        times = [d.time_s for d in spotter.run(to_frames(audio)) if d.word == word]
        hits += any(start <= t <= end + FOUND_WITHIN_S for t in times)
    return hits


def false_accepts(verifiers: dict, parts: int) -> tuple[dict[str, int], dict[str, int], float]:
    """Earmark's false accepts on the first ``parts`` negative parts without and with the verifiers.

    The wake-word and gate scores are replayed from the benchmark's cache; only the verifiers hear the
    audio, rendered again (the same samples: the stream is deterministic).
    """
    hours, seed, count = BATCHES[0]
    before, after = dict.fromkeys(PHRASES, 0), dict.fromkeys(PHRASES, 0)
    seconds = 0.0
    policy = TriggerPolicy(exclusive_s=EXCLUSIVE_S)
    for part in range(parts):
        scores = _load(CACHE / "scores" / f"negatives-{hours:g}h-v{VERSION}-{part}of{count}.npz")
        plain, enrolled = micro(THRESHOLDS, True)(scores), micro(THRESHOLDS, True)(scores)
        low = {word: v.low for word, v in verifiers.items()}
        two = TwoStage(enrolled, VerifierDetector(verifiers), low, dict.fromkeys(verifiers, CONFIRM))
        spotters = [(Spotter(plain, policy), before), (Spotter(two, policy), after)]
        for audio, _kind in negative_stream(hours, seed, part, count):
            frames = to_frames(audio)
            seconds += len(frames) * FRAME_SAMPLES / SAMPLE_RATE
            for frame in frames:
                for spotter, fired in spotters:
                    for detection in spotter.feed(frame):
                        fired[detection.word] += 1
    return before, after, seconds / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voice", default="en-gb-x-rp")
    parser.add_argument("--parts", type=int, default=2)
    args = parser.parse_args()
    started = time.monotonic()
    os.environ["EARMARK_HOME"] = tempfile.mkdtemp(prefix="earmark-enrol-")  # the verifiers live here only
    rng = np.random.default_rng(0)
    mine = [(w, *in_noise(said(t, args.voice, s, p), bed, rng)) for w, t in PHRASES.items()
            for s in (130, 165, 200) for p in (40, 65) for bed in ("pink noise", "music")]  # fmt: skip
    others = [(w, *in_noise(said(t, v, 165, 50), "pink noise", rng)) for w, t in PHRASES.items()
              for v in VOICES if v != args.voice]  # fmt: skip
    request = ListenRequest(ListenSpec())
    spotter = spotter_for(request)
    before = {w: found(spotter, [c for c in mine if c[0] == w]) for w in PHRASES}
    before_others = found(spotter, others)
    verifiers = {}
    for word, text in PHRASES.items():
        takes = [(said(text, args.voice, s, p) * 32767).astype(np.int16) for s, p in TAKES]
        verifiers[word] = enrol(word, takes).verifier
    lows = {word: v.low for word, v in verifiers.items()}
    spotter = spotter_for(request)
    after = {w: found(spotter, [c for c in mine if c[0] == w]) for w in PHRASES}
    after_others = found(spotter, others)
    fa_before, fa_after, hours = false_accepts(verifiers, args.parts)
    lines = [
        f"Voice {args.voice} enrolled from {len(TAKES)} clean takes per word; its positives: 12 per word in noise "
        f"or music at 10 dB; other voices: {len(others)} clips; negatives: {hours:.2f} h. Earmark's tuning "
        f"(calibrated thresholds, speech gate, one word per phrase). {time.monotonic() - started:.0f} s.",
        "",
        "| word | verifier asked from | enrolled voice found, before → after | false accepts / h before → after |",
        "|---|---|---|---|",
    ]
    for word in PHRASES:
        n = sum(1 for c in mine if c[0] == word)
        low, high = wilson(n - after[word], n)
        fa_low, fa_high = poisson(fa_after[word], hours)
        lines.append(
            f"| {word} | {lows[word]:.3f} | {before[word]}/{n} → {after[word]}/{n} (misses after: "
            f"{100 * low:.0f}-{100 * high:.0f} %) | {fa_before[word] / hours:.2f} → {fa_after[word] / hours:.2f} "
            f"[{fa_low:.2f}-{fa_high:.2f}] |"
        )
    lines.append(f"\nOther voices, every word: {before_others}/{len(others)} → {after_others}/{len(others)} found.")
    text = "\n".join(lines)
    print(text)
    out = Path(__file__).parent / "results" / f"kws_enrol-{time.strftime('%Y%m%d-%H%M')}.md"
    out.write_text("# Voice enrolment (bench/kws_enrol.py)\n\n" + text + "\n")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
