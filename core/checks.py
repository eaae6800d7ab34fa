"""Is this installation whole? Offline smoke checks of each capability, for ``earmark check`` and the bundle.

Each check uses what a user's run would (the packaged weights, the runtimes, the store), on
generated audio, and returns what it found as lines of text; a missing piece raises an
:class:`~core.errors.EarmarkError` that says which. Light to import: the CLI lists the checks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import EarmarkError
from .records import ResultRow


class CheckFailed(EarmarkError):
    """A check ran but did not get the result it should."""


def _one_file(request_for: Callable[[Path], object], audio, rate: int, what: str) -> tuple[str, ResultRow]:
    """Write ``audio`` to a scratch file, run the request ``request_for(file)`` on it as a user's run
    would (its own store), and return how the model ran and the file's row; raise if it failed."""
    import soundfile as sf

    from .runs.build import build_run
    from .store import Store

    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "check.wav"
        sf.write(str(clip), audio, rate)
        with Store(Path(tmp) / "check.db") as store:
            run = build_run(request_for(clip), store)
            summary = run.run([clip])
            if summary.tagged != 1:
                reason = summary.failures[0].error if summary.failures else "the run read nothing"
                raise CheckFailed(f"{what} failed: {reason}")
            row = store.results(run.analyser.name, top_k=0)[0]
    return (run.task.describe() if run.task else "?"), row


def check_tagging() -> list[str]:
    """Convert/load the default model and tag a generated clip with it, through a real run."""
    import numpy as np

    from .models.catalog import DEFAULT_MODEL
    from .runs.requests import TagRequest

    t = np.arange(16000 * 5) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    runtime, row = _one_file(lambda clip: TagRequest((clip,)), tone, 16000, "tagging a generated clip")
    return [f"{DEFAULT_MODEL} on {runtime}: " + ", ".join(f"{i.label} {i.score:.2f}" for i in row.labels[:3])]


def check_wake_words() -> list[str]:
    """Load every listening model (both wake-word families, the speech front end, Silero VAD) and
    run one frame of silence through them."""
    import numpy as np

    from .listen.catalog import ListenSpec, build_detector
    from .listen.detector import FRAME_SAMPLES
    from .listen.oww import HEADS

    detector = build_detector(ListenSpec(wake=(), openwakeword=tuple(HEADS), vad=True))
    default = build_detector(ListenSpec())
    for loaded in (detector, default):
        loaded.predict(np.zeros(FRAME_SAMPLES, dtype=np.int16))
    return [
        "wake words: " + ", ".join(f"{w} (cut-off {t:.2f})" for w, t in default.default_thresholds.items()),
        f"openWakeWord (non-commercial) and Silero VAD: {len(detector.words)} words",
    ]


def check_training() -> list[str]:
    """Convert the Whisper base and train it for one epoch on tones vs noise: shows that the Trainer,
    its dependencies (accelerate, scikit-learn) and the base's weights are installed."""
    import numpy as np
    import soundfile as sf

    from .models.catalog import WHISPER_TINY
    from .models.registry import resolve_base
    from .train.dataset import inspect_labelled_folder
    from .train.job import TrainJob, TrainOptions

    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(4):
            for label, audio in (
                ("tone", 0.3 * np.sin(2 * np.pi * (300 + 100 * i) * t)),
                ("noise", rng.normal(0, 0.1, 16000)),
            ):
                (Path(tmp) / label).mkdir(exist_ok=True)
                sf.write(str(Path(tmp) / label / f"{i}.wav"), audio.astype(np.float32), 16000)
        job = TrainJob(
            inspect_labelled_folder(Path(tmp)), resolve_base(WHISPER_TINY), "check-train", TrainOptions(epochs=1),
            replace=True,
        )  # fmt: skip
        result = job.run()
    if result.path is None:
        raise CheckFailed("a one-epoch training run installed nothing")
    return [
        f"fine-tuning: {WHISPER_TINY} trained for 1 epoch in {result.report['train_seconds']:.0f} s, "
        f"installed {result.name}"
    ]


def check_calls() -> list[str]:
    """Load the call models (Whisper tiny.en whole, the speaker encoder, Silero VAD) and analyse a
    generated call (a beep, hiss, a chord) through a real run: no words in it, but every stage runs."""
    import numpy as np

    from .runs.requests import CallsRequest

    rate = 16000
    beep = 0.3 * np.sin(2 * np.pi * 1000 * np.arange(rate * 2) / rate)
    hiss = np.random.default_rng(0).normal(0, 0.05, rate * 3)
    chord = 0.2 * sum(np.sin(2 * np.pi * f * np.arange(rate * 4) / rate) for f in (262, 330, 392))
    call = np.concatenate([beep, hiss, chord]).astype(np.float32)
    runtime, row = _one_file(lambda clip: CallsRequest((clip,)), call, rate, "analysing a generated call")
    seconds = row.call.seconds if row.call else {}
    found = ", ".join(f"{kind} {value:.1f} s" for kind, value in seconds.items() if value)
    return [f"{runtime}: {found}; labels: {', '.join(item.label for item in row.labels)}"]


CHECKS = {"tag": check_tagging, "listen": check_wake_words, "calls": check_calls, "train": check_training}
