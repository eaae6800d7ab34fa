"""Fine-tuning accuracy on held-out data, and what it costs on this machine's CPU.

    python bench/train_eval.py [--task cross|speech|music|all] [--epochs N] [--runs N]

cross: six command words, trained on one speech synthesiser and scored on another it never heard.
72 training clips from espeak-ng (4 voices x 3 speeds, pink noise at 20 dB SNR); 144 held-out clips
from flite (4 voices x 3 speeds, clean and with pink noise at 20 dB), Whisper tiny.en base, default
settings. Each run trains from scratch with the same seed, to show the result is the same every time.

speech: ten Speech-Commands words spoken by espeak-ng, Whisper tiny.en base. Training voices and
held-out voices come from *different accents* (the held-out accents are never heard in training),
each clip with pink noise at 20 dB SNR. The model trains on the training folder (its own
validation split picks the best epoch) and is then scored file by file on the held-out folder.

music: the 28 tracks of the ``immich-memories-music`` wheel (MIT), labelled acoustic or electronic
by their file names, musicnn-msd base. 4-fold cross-validation by track: each fold trains on 21
tracks and is scored on the 7 it never saw, so every track is predicted once by a model that did
not train on it. A track counts as right when the mean of its clips' scores picks its style.

Results go to stdout and ``bench/results/``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synth import (  # noqa: E402
    ESPEAK_SPEEDS,
    ESPEAK_VOICES,
    FLITE_STRETCHES,
    FLITE_VOICES,
    espeak,
    flite,
    padded,
    pink_noise,
)
from core.models.catalog import WHISPER_TINY  # noqa: E402
from core.models.registry import (
    inspect_folder,  # noqa: E402
    resolve_base,  # noqa: E402
)
from core.models.runtime import load_backend  # noqa: E402
from core.train.dataset import inspect_labelled_folder  # noqa: E402
from core.train.evaluate import evaluate_folder  # noqa: E402
from core.train.job import TrainJob, TrainOptions  # noqa: E402
from core.train.metrics import wilson_interval  # noqa: E402

COMMANDS = ["up", "down", "left", "right", "stop", "go"]

WORDS = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
TRAIN_ACCENTS = ["en", "en-us", "en-gb-x-rp", "en-029", "en-gb-x-gbclan"]
HELD_OUT_ACCENTS = ["en-gb-scotland", "en-us-nyc", "en-gb-x-gbcwmd"]
VARIANTS = ["", "+f3", "+m3"]
SPEEDS = [140, 190]
PITCHES = [35, 65]
SNR_DB = 20.0
RATE = 16000


def speech_folder(root: Path, accents: list[str], seed: int) -> Path:
    """``root/<word>/<voice>-<speed>-<pitch>.wav``: each word in every voice, speed and pitch."""
    jobs = [
        (word, accent + variant, speed, pitch)
        for word in WORDS
        for accent in accents
        for variant in VARIANTS
        for speed in SPEEDS
        for pitch in PITCHES
    ]

    def make(index: int) -> None:
        word, voice, speed, pitch = jobs[index]
        rng = np.random.default_rng(seed + index)
        speech = espeak(word, voice, speed, pitch)
        audio = np.concatenate([np.zeros(int(0.15 * RATE), np.float32), speech, np.zeros(int(0.15 * RATE), np.float32)])
        power = float(np.mean(speech**2))
        audio = audio + pink_noise(len(audio), rng) * np.sqrt(power / 10 ** (SNR_DB / 10))
        path = root / word / f"{voice.replace('+', '_')}-{speed}-{pitch}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, audio.astype(np.float32), RATE)

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(make, range(len(jobs))))
    return root


def timed_training(folder: Path, base: str, name: str, options: TrainOptions) -> tuple[dict, float]:
    summary = inspect_labelled_folder(folder)
    started = time.monotonic()
    result = TrainJob(summary, resolve_base(base), name, options, replace=True).run()
    return result.report, time.monotonic() - started


def held_out_accuracy(model: str, folder: Path) -> tuple[dict, float]:
    backend = load_backend(inspect_folder(Path(os.environ["EARMARK_HOME"]) / "models" / model, model), "torch")
    started = time.monotonic()
    report, _ = evaluate_folder(backend, inspect_labelled_folder(folder, min_files=1))
    return report, time.monotonic() - started


def speech(scratch: Path, epochs: int) -> list[str]:
    made = time.monotonic()
    train = speech_folder(scratch / "speech-train", TRAIN_ACCENTS, seed=0)
    test = speech_folder(scratch / "speech-held-out", HELD_OUT_ACCENTS, seed=10_000)
    made = time.monotonic() - made
    report, seconds = timed_training(train, WHISPER_TINY, "bench-words", TrainOptions(epochs=epochs))
    held_out, eval_seconds = held_out_accuracy("bench-words", test)
    n_train = sum(1 for _ in train.rglob("*.wav"))
    n_test = sum(1 for _ in test.rglob("*.wav"))
    lines = [
        f"## speech: {len(WORDS)} words, Whisper tiny.en base",
        f"- data: {n_train} training clips ({len(TRAIN_ACCENTS)} accents x {len(VARIANTS)} voices x "
        f"{len(SPEEDS)} speeds x {len(PITCHES)} pitches), {n_test} held-out clips from {len(HELD_OUT_ACCENTS)} "
        f"other accents ({', '.join(HELD_OUT_ACCENTS)}); pink noise {SNR_DB:.0f} dB SNR; generated in {made:.0f} s",
        f"- training: {seconds:.0f} s on {report['device']} ({report['history'][-1]['epoch']} epochs, best "
        f"{report['best_epoch']}, {report['stopped']}; clip {report['data']['clip_seconds']:g} s, "
        f"{report['parameters']['trainable']:,} trainable parameters)",
        f"- validation split (same accents): accuracy {report['validation']['accuracy']:.1%}",
        f"- **held-out accents: accuracy {held_out['accuracy']:.1%}, macro F1 {held_out['macro_f1']:.3f}** "
        f"({n_test} files scored in {eval_seconds:.1f} s)",
        "- per word recall: " + ", ".join(f"{w} {held_out['per_label'][w]['recall']:.0%}" for w in WORDS),
    ]
    return lines


def cross_engine_folders(root: Path) -> tuple[Path, Path]:
    """``root/espeak/<word>/`` (72 clips) to train on and ``root/flite/<word>/`` (144 clips) to score."""
    jobs = [
        ("espeak", word, voice, speed, 20.0) for word in COMMANDS for voice in ESPEAK_VOICES for speed in ESPEAK_SPEEDS
    ]
    jobs += [
        ("flite", word, voice, stretch, snr)
        for word in COMMANDS
        for voice in FLITE_VOICES
        for stretch in FLITE_STRETCHES
        for snr in (None, 20.0)
    ]

    def make(index: int) -> None:
        engine, word, voice, rate, snr = jobs[index]
        speech = espeak(word, voice, rate) if engine == "espeak" else flite(word, voice, rate)
        path = root / engine / word / f"{voice.replace('+', '_')}-{rate}-{snr or 'clean'}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, padded(speech, np.random.default_rng(index), snr), RATE)

    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(make, range(len(jobs))))
    return root / "espeak", root / "flite"


def cross(scratch: Path, epochs: int, runs: int = 2) -> list[str]:
    train, test = cross_engine_folders(scratch / "cross")
    lines = [
        f"## cross-engine: {len(COMMANDS)} command words, trained on espeak-ng, scored on flite, Whisper tiny.en base",
        f"- data: 72 training clips (espeak-ng: {len(ESPEAK_VOICES)} voices x {len(ESPEAK_SPEEDS)} speeds, pink noise "
        f"20 dB); 144 held-out clips (flite: {', '.join(FLITE_VOICES)} x {len(FLITE_STRETCHES)} speeds, clean and "
        f"20 dB pink noise); default settings, seed 42, at most {epochs} epochs",
    ]
    for run in range(1, runs + 1):
        report, seconds = timed_training(train, WHISPER_TINY, "bench-cross", TrainOptions(epochs=epochs))
        held_out, _ = held_out_accuracy("bench-cross", test)
        right = round(held_out["accuracy"] * held_out["examples"])
        low, high = wilson_interval(right, held_out["examples"])
        lines.append(
            f"- run {run}: **flite accuracy {held_out['accuracy']:.1%}** ({right}/{held_out['examples']}, 95 % "
            f"interval {low:.1%}-{high:.1%}), macro F1 {held_out['macro_f1']:.3f}; trained {seconds:.0f} s, "
            f"{len(report['history'])} epochs, best {report['best_epoch']}, {report['stopped']}"
        )
        print(lines[-1], flush=True)
    return lines


def music_folds(scratch: Path, folds: int = 4) -> list[tuple[Path, Path]]:
    """Train/test folders of symlinks, acoustic vs electronic, split by track, stratified."""
    from immich_memories_music import tracks_dir

    tracks = sorted(tracks_dir().rglob("*.opus"))
    styles = {track: ("acoustic" if "_acoustic" in track.name else "electronic") for track in tracks}
    pairs = []
    for fold in range(folds):
        train, test = scratch / f"music-{fold}-train", scratch / f"music-{fold}-test"
        for style in ("acoustic", "electronic"):
            members = [t for t in tracks if styles[t] == style]
            for i, track in enumerate(members):
                side = test if i % folds == fold else train
                (side / style).mkdir(parents=True, exist_ok=True)
                (side / style / track.name).symlink_to(track)
        pairs.append((train, test))
    return pairs


def music(scratch: Path, epochs: int) -> list[str]:
    correct = total = 0
    train_seconds, accuracies, clip_accuracies = [], [], []
    for fold, (train, test) in enumerate(music_folds(scratch)):
        options = TrainOptions(epochs=epochs, validation_fraction=0.2)
        report, seconds = timed_training(train, "musicnn-msd", f"bench-music-{fold}", options)
        held_out, _ = held_out_accuracy(f"bench-music-{fold}", test)
        correct += round(held_out["accuracy"] * held_out["examples"])
        total += held_out["examples"]
        train_seconds.append(seconds)
        accuracies.append(held_out["accuracy"])
        clip_accuracies.append(report["validation"]["accuracy"])
        print(f"fold {fold}: held-out {held_out['accuracy']:.1%} of {held_out['examples']} tracks, {seconds:.0f} s")
    return [
        "## music: acoustic vs electronic (immich-memories-music, 28 tracks), musicnn-msd base",
        f"- 4-fold cross-validation by track: each fold trains on the other 20-22 tracks (its own validation "
        f"split: {', '.join(f'{a:.0%}' for a in clip_accuracies)} of clips) and predicts its 6-8 unseen tracks",
        f"- **held-out tracks: {correct}/{total} correct = {correct / total:.1%}** "
        f"(per fold {', '.join(f'{a:.0%}' for a in accuracies)})",
        f"- training time per fold on cpu: {np.mean(train_seconds):.0f} s (min {min(train_seconds):.0f}, "
        f"max {max(train_seconds):.0f}), decoding included",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("cross", "speech", "music", "all"), default="all")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--runs", type=int, default=2, help="cross: training runs with the same seed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="earmark-train-eval-") as scratch:
        os.environ["EARMARK_HOME"] = str(Path(scratch) / "home")
        lines = [
            f"# Fine-tuning on held-out data ({time.strftime('%Y-%m-%d %H:%M')})",
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch CPU",
            "",
        ]
        out = Path(__file__).parent / "results" / f"train_eval-{args.task}-{time.strftime('%Y%m%d-%H%M')}.md"
        print("\n".join(lines))
        for task in (cross, speech, music):
            if args.task in (task.__name__, "all"):
                extra = {"runs": args.runs} if task is cross else {}
                section = task(Path(scratch), args.epochs, **extra) + [""]
                print("\n".join(section), flush=True)  # each section as soon as it is measured
                lines += section
                out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
