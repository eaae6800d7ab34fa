"""Call analysis against synthetic calls with known truth, and against the field's engine on the same weights.

    python bench/calls_eval.py [--extra 8] [--transcriber whisper-tiny.en]

The corpus (tests/call_factory.py): the standard calls (two- and three-party, hold music, stereo,
8 kHz mu-law, noise, silence, a voicemail, music only) plus ``--extra`` seeded conversations,
each also as an 8 kHz mu-law copy. For each call Earmark's whole analysis runs (models loaded once,
not timed), and, side by side in the same process, the anchor: faster-whisper over the whole file
with the same CTranslate2 weights, int8, its own VAD filter, greedy, as a user of the field's engine
would run it. It reports word error rate at 16 kHz and at 8 kHz (for both), speaker count, talk
time, hold music, turns attributed to the right speaker, and speed in x realtime, and writes the
table to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.audio import probe  # noqa: E402
from core.calls.analyse import CallAnalyser  # noqa: E402
from core.calls.language import Transcribers  # noqa: E402
from core.models.speaker import SpeakerEncoder  # noqa: E402
from core.models.whisper.sources import TINY_EN, TranscriberInfo, resolve_transcriber  # noqa: E402
from core.models.whisper.transcriber import Transcriber  # noqa: E402
from tests.call_factory import CallTruth, conversation, make_call, standard_calls  # noqa: E402
from tests.wer import corpus_wer  # noqa: E402

TARGETS = {"wer16": 0.10, "wer8": 0.15, "speakers": 0.90, "talk": 0.10, "hold": 3.0, "turns": 0.85, "speed": 8.0}


def corpus(root: Path, extra: int) -> list[tuple[Path, CallTruth]]:
    calls = standard_calls(root)
    for seed in range(extra):
        parties = ("agent", "customer", "supervisor") if seed % 3 == 2 else ("agent", "customer")
        turns = conversation(8 + seed % 4, parties, seed=100 + seed)
        for encoding in ("pcm16", "mulaw8k"):
            path = root / f"conversation{seed:02d}-{encoding}.wav"
            calls.append((path, make_call(path, turns, encoding=encoding, seed=100 + seed, floor_dbfs=-65.0)))
    return calls


def said(truth: CallTruth) -> str:
    return " ".join(turn.text for turn in truth.turns)


def turns_right(truth: CallTruth, heard) -> tuple[int, int]:
    """Turns whose words went to the right speaker, each of ours mapped to the truth's speaker it says most."""
    owner: dict[int | None, Counter] = {}
    matched = []
    for start, end, speaker, _text in truth.turns:
        overlap: dict[int | None, float] = {}
        for line in heard:
            shared = min(end, line.end_s) - max(start, line.start_s)
            if shared > 0:
                overlap[line.speaker] = overlap.get(line.speaker, 0.0) + shared
        best = max(overlap, key=overlap.get, default=None)
        if best is not None:
            owner.setdefault(best, Counter())[speaker] += 1
            matched.append((best, speaker))
    names = {ours: counts.most_common(1)[0][0] for ours, counts in owner.items()}
    return sum(names[ours] == speaker for ours, speaker in matched), len(truth.turns)


def baseline(source: TranscriberInfo):
    """The field's engine as its users run it: faster-whisper over the whole file, its VAD filter on."""
    from faster_whisper import WhisperModel

    model = WhisperModel(str(source.path), device="cpu", compute_type="int8", local_files_only=True)

    def transcribe(path: Path) -> str:
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
        audio = soxr.resample(audio.mean(axis=1), rate, 16000) if rate != 16000 else audio.mean(axis=1)
        segments, _info = model.transcribe(audio, beam_size=1, vad_filter=True,
                                           language=None if source.multilingual else "en")  # fmt: skip
        return " ".join(segment.text.strip() for segment in segments)

    return transcribe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra", type=int, default=8, help="seeded conversations added to the standard calls")
    parser.add_argument("--transcriber", default=TINY_EN, help="whisper-tiny.en, whisper-base or a folder")
    args = parser.parse_args()
    source = resolve_transcriber(args.transcriber)
    analyser = CallAnalyser(Transcribers(Transcriber(source)), SpeakerEncoder())
    plain = baseline(source)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        calls = corpus(Path(tmp), args.extra)
        for path, truth in calls:
            info = probe(path)
            started = time.perf_counter()
            result = analyser.analyse(path, info, lambda: False)
            ours_s = time.perf_counter() - started
            started = time.perf_counter()
            base_text = plain(path) if truth.turns else ""
            base_s = time.perf_counter() - started
            rows.append((path, truth, result, ours_s, base_text, base_s))
            print(f"{path.name}: {len(result.details.speakers)} speakers (truth {truth.num_speakers}), "
                  f"{ours_s:.1f} s vs faster-whisper {base_s:.1f} s", flush=True)  # fmt: skip
    text = report(rows, source)
    print(text)
    out = ROOT / "bench" / "results" / f"calls_eval-{time.strftime('%Y%m%d-%H%M')}.md"
    out.write_text(text + "\n", encoding="utf-8")
    print(f"\nwritten to {out.relative_to(ROOT)}")
    return 0


def report(rows, source: TranscriberInfo) -> str:
    spoken = [r for r in rows if r[1].turns]
    wide = [r for r in spoken if r[1].rate == 16000]
    narrow = [r for r in spoken if r[1].rate == 8000]

    def wer_of(subset, ours: bool) -> float:
        heard = [" ".join(x.text for x in res.details.transcript) if ours else base for _, _, res, _, base, _ in subset]
        return corpus_wer([(said(truth), text) for (_, truth, *_), text in zip(subset, heard, strict=True)])

    speakers_ok = np.mean([len(res.details.speakers) == t.num_speakers for _, t, res, *_ in rows])
    talk_errors = [abs(sum(res.details.speakers.values()) - t.speech_s) / t.speech_s for _, t, res, *_ in spoken]
    holds = [abs(res.details.seconds["music"] - t.hold_s) for _, t, res, *_ in rows if t.hold_s and t.turns]
    right = [turns_right(t, res.details.transcript) for _, t, res, *_ in spoken if t.num_speakers > 1]
    audio = sum(t.duration_s for _, t, *_ in rows)
    ours_speed = audio / sum(r[3] for r in rows)
    base_speed = sum(t.duration_s for _, t, *_ in spoken) / sum(r[5] for r in spoken)
    turns_share = sum(a for a, _ in right) / sum(b for _, b in right)
    lines = [
        f"###### Measured {time.strftime('%Y-%m-%d %H:%M')}",
        "",
        f"Machine: {platform.machine()}, {torch.get_num_threads()} CPU threads, Python {platform.python_version()},"
        f" {source.name} on CTranslate2 int8. Corpus: {len(rows)} synthetic calls ({len(wide)} with speech at 16 kHz,"
        f" {len(narrow)} at 8 kHz mu-law), {audio / 60:.1f} min.",
        "",
        "| measure | Earmark | faster-whisper, same weights (anchor) | target |",
        "| --- | ---: | ---: | ---: |",
        f"| word error rate, 16 kHz | {wer_of(wide, True):.1%} | {wer_of(wide, False):.1%}"
        f" | <= {TARGETS['wer16']:.0%} |",
        f"| word error rate, 8 kHz | {wer_of(narrow, True):.1%} | {wer_of(narrow, False):.1%}"
        f" | <= {TARGETS['wer8']:.0%} |",
        f"| speaker count exact | {speakers_ok:.0%} of calls | - | >= {TARGETS['speakers']:.0%} |",
        f"| talk time within 10 % | {np.mean([e <= TARGETS['talk'] for e in talk_errors]):.0%} of calls"
        f" (median error {np.median(talk_errors):.1%}) | - | all |",
        f"| hold music duration error | {max(holds):.1f} s at most | - | <= {TARGETS['hold']:.0f} s |",
        f"| turns attributed to the right speaker | {turns_share:.0%} | - | >= {TARGETS['turns']:.0%} |",
        f"| speed, whole analysis vs transcription alone | {ours_speed:.1f}x realtime | {base_speed:.1f}x"
        f" | >= {TARGETS['speed']:.0f}x |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
