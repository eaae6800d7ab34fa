"""Throughput of Earmark against the textbook baseline, side by side in one process.

    python bench/throughput.py [--files 200] [--long 3] [--hf-files 40] [--corpus DIR]

For musicnn-msd it runs: (1) the baseline a user would write — one file at a time,
``librosa.load`` then the model on that file's patches; (2) Earmark on torch; (3) Earmark on ONNX
Runtime fp32; (4) ONNX int8; (5) inference alone on pre-decoded features (the model-bound
ceiling); and excerpt coverage, with its top-3 agreement with full coverage. Then the same for a
small wav2vec2 classifier built locally, against ``transformers.pipeline("audio-classification")``.
It prints realtime factor, files/s, peak RSS and the ratios, and writes the table to
``bench/results/``.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import librosa
import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import build, real_tracks  # noqa: E402
from core.models.backend import Backend, TorchBackend  # noqa: E402
from core.models.export import export  # noqa: E402
from core.models.onnx_backend import OnnxBackend, cpu_threads  # noqa: E402
from core.models.registry import ModelInfo, inspect_folder, resolve  # noqa: E402
from core.models.windows import concat_features  # noqa: E402
from core.runs.options import TagOptions  # noqa: E402
from core.runs.tasks.tags import TagRun  # noqa: E402
from core.store import Store  # noqa: E402


@dataclass
class Row:
    name: str
    wall_s: float
    audio_s: float
    files: int
    peak_rss_mib: float

    @property
    def realtime(self) -> float:
        return self.audio_s / self.wall_s


class PeakRss:
    """Samples this process's resident memory while a stage runs."""

    def __enter__(self) -> PeakRss:
        self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> float:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def release_memory() -> None:
    """Hand freed heap back to the OS, so that each stage's peak RSS is its own, not the last one's."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)


def measure(name: str, files: list[Path], audio_s: float, work: Callable[[], None]) -> Row:
    release_memory()
    with PeakRss() as rss:
        started = time.perf_counter()
        work()
        wall = time.perf_counter() - started
    row = Row(name, wall, audio_s, len(files), rss.peak)
    print(f"  {name:34} {wall:7.1f} s  {row.realtime:6.0f}x realtime", flush=True)
    return row


def duration(path: Path) -> float:
    return sf.info(str(path)).duration


# --- musicnn ------------------------------------------------------------------------------------


def musicnn_baseline(info: ModelInfo, files: list[Path]) -> Callable[[], None]:
    backend = TorchBackend(info, "cpu")

    def run() -> None:
        for path in files:
            audio, _ = librosa.load(str(path), sr=16000)
            patches = backend.feature_extractor(audio)["input_features"]
            with torch.inference_mode():
                torch.sigmoid(backend.model(torch.from_numpy(patches)).logits).mean(0)

    return run


def earmark_run(backend: Backend, files: list[Path], coverage: str = "full") -> Callable[[], None]:
    def run() -> None:
        with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.db") as store:
            summary = TagRun(backend, store, TagOptions(coverage=coverage)).run(files)
            assert summary.failed == 0, summary.failures

    return run


def top3_agreement(backend: Backend, files: list[Path]) -> float:
    """Mean overlap of the top-3 labels between excerpt and full coverage, over ``files``."""
    tops: dict[str, list[set[str]]] = {}
    for coverage in ("full", "excerpts"):
        with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "a.db") as store:
            TagRun(backend, store, TagOptions(coverage=coverage)).run(files)
            for row in store.results(backend.info.name, top_k=3):
                tops.setdefault(row.path, []).append({i.label for i in row.labels})
    return float(np.mean([len(full & excerpt) / 3 for full, excerpt in tops.values()]))


def ceiling(backend: Backend, files: list[Path]) -> Callable[[], None]:
    """Inference alone: every window decoded and featurised beforehand, batched as Earmark does."""
    features = []
    for path in files:
        audio, _ = librosa.load(str(path), sr=backend.sampling_rate)
        features.append(backend.preprocess(audio))
    everything = concat_features(features)
    total = len(next(iter(everything.values())))
    size = backend.preferred_batch_size

    def run() -> None:
        for start in range(0, total, size):
            backend.forward({k: v[start : start + size] for k, v in everything.items()})

    return run


# --- a small Hugging Face model -----------------------------------------------------------------


def small_wav2vec2(folder: Path) -> Path:
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    if not (folder / "model.safetensors").exists():
        torch.manual_seed(0)
        labels = {i: f"class{i}" for i in range(8)}
        config = Wav2Vec2Config(
            hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=1024,
            id2label=labels, label2id={v: k for k, v in labels.items()},
        )  # fmt: skip
        Wav2Vec2ForSequenceClassification(config).eval().save_pretrained(folder, safe_serialization=True)
        Wav2Vec2FeatureExtractor(return_attention_mask=False).save_pretrained(folder)
    return folder


def hf_baseline(info: ModelInfo, files: list[Path]) -> Callable[[], None]:
    from transformers import pipeline

    classify = pipeline("audio-classification", model=str(info.path), device="cpu")

    def run() -> None:
        for path in files:
            audio, _ = librosa.load(str(path), sr=16000)
            classify({"raw": audio, "sampling_rate": 16000}, top_k=None)

    return run


# --- report -------------------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{cpu}, {cpu_threads()} cores available, {memory:.0f} GiB RAM, {gpu}; Python {platform.python_version()},"
        f" torch {torch.__version__}, onnxruntime {__import__('onnxruntime').__version__}"
    )


def table(title: str, rows: list[Row], baseline: Row, ceiling_row: Row | None) -> str:
    lines = [f"### {title}", "", "| run | wall s | x realtime | files/s | peak RSS MiB | vs baseline | vs ceiling |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for row in rows:
        vs_ceiling = f"{row.realtime / ceiling_row.realtime:.0%}" if ceiling_row else "-"
        lines.append(
            f"| {row.name} | {row.wall_s:.1f} | {row.realtime:.0f} | {row.files / row.wall_s:.2f} |"
            f" {row.peak_rss_mib:.0f} | {row.realtime / baseline.realtime:.2f}x | {vs_ceiling} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200, help="30 s files in the corpus")
    parser.add_argument("--long", type=int, default=3, help="10-minute files in the corpus")
    parser.add_argument("--hf-files", type=int, default=40, help="files for the wav2vec2 comparison")
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "earmark-bench-corpus")
    args = parser.parse_args()
    os.environ.setdefault("EARMARK_HOME", str(Path(tempfile.gettempdir()) / "earmark-bench-home"))

    print(f"Corpus in {args.corpus} ...", flush=True)
    files = build(args.corpus, args.files, args.long)
    audio_s = sum(duration(p) for p in files)
    print(f"{len(files)} files, {audio_s / 60:.0f} min of audio; {machine()}", flush=True)

    info = resolve("musicnn-msd")
    report = export(info, int8=True)
    print(f"ONNX export: fp32 max diff {report.fp32_max_diff:.1e}; int8 agreement {report.int8.top1_agreement:.1%}")
    onnx_int8 = OnnxBackend(info, int8=True) if report.int8 and report.int8.kept else None
    onnx_fp32 = OnnxBackend(info)
    print("musicnn-msd:", flush=True)
    base = measure("1. baseline (librosa.load + model)", files, audio_s, musicnn_baseline(info, files))
    rows = [base, measure("2. Earmark torch", files, audio_s, earmark_run(TorchBackend(info, "cpu"), files))]
    rows.append(measure("3. Earmark ONNX fp32", files, audio_s, earmark_run(onnx_fp32, files)))
    best = onnx_int8 or onnx_fp32
    if onnx_int8:
        rows.append(measure("4. Earmark ONNX int8", files, audio_s, earmark_run(onnx_int8, files)))
    top = measure("5. inference only (ceiling)", files, audio_s, ceiling(best, files))
    rows.append(top)
    long_files = [p for p in files if p.name.startswith("long")]
    excerpt_rows = []
    if long_files:
        long_audio = sum(duration(p) for p in long_files)
        excerpt_rows.append(measure("long files, full", long_files, long_audio, earmark_run(best, long_files)))
        excerpt_rows.append(
            measure("long files, excerpts", long_files, long_audio, earmark_run(best, long_files, "excerpts"))
        )
    clips = [p for p in files if p.name.startswith("clip")]
    whole_tracks = [t for t in real_tracks() if duration(t) > 150][:12]
    agreement = top3_agreement(best, whole_tracks) if whole_tracks else float("nan")

    hf_files = clips[: args.hf_files]
    hf_audio = sum(duration(p) for p in hf_files)
    hf_info = inspect_folder(small_wav2vec2(Path(os.environ["EARMARK_HOME"]) / "models" / "bench-wav2vec2"))
    hf_report = export(hf_info, int8=True)
    print("small wav2vec2 (4 layers, 256 wide, built locally):", flush=True)
    hf_base = measure("1. baseline (transformers pipeline)", hf_files, hf_audio, hf_baseline(hf_info, hf_files))
    hf_rows = [
        hf_base,
        measure("2. Earmark torch", hf_files, hf_audio, earmark_run(TorchBackend(hf_info, "cpu"), hf_files)),
    ]
    hf_onnx = OnnxBackend(hf_info)
    hf_rows.append(measure("3. Earmark ONNX fp32", hf_files, hf_audio, earmark_run(hf_onnx, hf_files)))
    hf_best = hf_onnx
    if hf_report.int8 and hf_report.int8.kept:
        hf_best = OnnxBackend(hf_info, int8=True)
        hf_rows.append(measure("4. Earmark ONNX int8", hf_files, hf_audio, earmark_run(hf_best, hf_files)))
    hf_top = measure("5. inference only (ceiling)", hf_files, hf_audio, ceiling(hf_best, hf_files))
    hf_rows.append(hf_top)

    stamp = time.strftime("%Y-%m-%d %H:%M")
    text = "\n\n".join(
        [
            f"## Throughput, {stamp}",
            f"Machine: {machine()}.",
            f"Corpus: {len(files)} files ({len(clips)} x 30 s in ogg/mp3/flac/wav at 44.1 kHz stereo, "
            f"{len(long_files)} x 10 min ogg), {audio_s / 60:.0f} min of audio.",
            table("musicnn-msd", rows, base, top),
            f"ONNX export: max score difference to torch {report.fp32_max_diff:.1e}. int8 (MatMul/Gemm only): top-1 "
            f"agreement {report.int8.top1_agreement:.1%} with fp32 on {report.int8.windows} held-out windows, max "
            f"score difference {report.int8.max_score_diff:.3f}, {'kept' if report.int8.kept else 'not kept'}.",
            table("musicnn-msd, long files: excerpts (3 x 30 s) vs full", excerpt_rows, excerpt_rows[0], None)
            if excerpt_rows
            else "",
            f"Excerpts vs full: the top-3 labels agree {agreement:.0%} on average over {len(whole_tracks)} whole"
            " real tracks (2.5-7 min; the long corpus files above are medleys of several tracks, so they are"
            " timed but not used for agreement).",
            table(f"small wav2vec2 classifier ({len(hf_files)} files)", hf_rows, hf_base, hf_top),
        ]
    )
    out = Path(__file__).parent / "results" / f"throughput-{time.strftime('%Y%m%d-%H%M')}.md"
    out.write_text(text + "\n", encoding="utf-8")
    print("\n" + text + f"\n\nwritten to {out}")


if __name__ == "__main__":
    main()
