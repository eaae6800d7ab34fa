"""Start the desktop app: ``earmark-desktop`` or ``python -m desktop_app``."""

from __future__ import annotations

import argparse
import sys

from core import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="earmark-desktop", description="Earmark's desktop app")
    parser.add_argument("--version", action="version", version=f"earmark-desktop {__version__}")
    parser.add_argument("--quit-after", type=int, default=0, metavar="MS", help="close after MS ms (smoke tests)")
    parser.add_argument(
        "--check", action="store_true", help="check the installation: tag a generated clip with the default model"
    )
    parser.add_argument("--check-listen", action="store_true", help="check that the wake-word models load")
    parser.add_argument(
        "--check-train", action="store_true", help="check fine-tuning: one epoch of the Whisper base on generated audio"
    )
    args, qt_args = parser.parse_known_args(argv)
    if args.check:
        return check_installation()
    if args.check_listen:
        return check_wake_words()
    if args.check_train:
        return check_training()

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Earmark")
    app.setOrganizationName("Earmark")
    window = MainWindow()
    window.show()
    if args.quit_after:
        QTimer.singleShot(args.quit_after, window.close)
    return app.exec()


def check_installation() -> int:
    """Convert/load the default model and tag a generated clip, offline; print what it found."""
    import tempfile
    from pathlib import Path

    import numpy as np
    import soundfile as sf

    from core.models.catalog import DEFAULT_MODEL
    from core.models.registry import ModelError, resolve
    from core.models.runtime import load_backend
    from core.pipeline import TagRun
    from core.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        t = np.arange(16000 * 5) / 16000
        sf.write(str(Path(tmp) / "check.wav"), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16000)
        try:
            backend = load_backend(resolve(DEFAULT_MODEL))
        except ModelError as error:
            print(f"earmark-desktop: {error}", file=sys.stderr)
            return 1
        with Store(Path(tmp) / "check.db") as store:
            summary = TagRun(backend, store).run([Path(tmp) / "check.wav"])
            labels = store.results(DEFAULT_MODEL, top_k=3)[0].labels if summary.tagged else []
    print(f"{DEFAULT_MODEL} on {backend.describe()}: " + ", ".join(f"{i.label} {i.score:.2f}" for i in labels))
    return 0 if summary.tagged == 1 else 1


def check_wake_words() -> int:
    """Load every listening model (both wake-word families, the speech front end, Silero VAD) and
    run one frame of silence through them."""
    import numpy as np

    from core.listen.catalog import ListenSpec, build_detector
    from core.listen.detector import FRAME_SAMPLES, ListenModelError
    from core.listen.oww import HEADS

    try:
        detector = build_detector(ListenSpec(wake=(), openwakeword=tuple(HEADS), vad=True))
        default = build_detector(ListenSpec())
        for loaded in (detector, default):
            loaded.predict(np.zeros(FRAME_SAMPLES, dtype=np.int16))
    except ListenModelError as error:
        print(f"earmark-desktop: {error}", file=sys.stderr)
        return 1
    print("wake words: " + ", ".join(f"{w} (cut-off {t:.2f})" for w, t in default.default_thresholds.items()))
    print(f"openWakeWord (non-commercial) and Silero VAD: {len(detector.words)} words")
    return 0


def check_training() -> int:
    """Convert the Whisper base and train it for one epoch on tones vs noise, offline: shows that the
    Trainer and its dependencies (accelerate, scikit-learn) and the base's weights are installed."""
    import tempfile
    from pathlib import Path

    import numpy as np
    import soundfile as sf

    from core.models.catalog import WHISPER_TINY
    from core.models.registry import ModelError, resolve_base
    from core.train.dataset import inspect_labelled_folder
    from core.train.job import TrainJob, TrainOptions

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
        try:
            job = TrainJob(
                inspect_labelled_folder(Path(tmp)),
                resolve_base(WHISPER_TINY),
                "check-train",
                TrainOptions(epochs=1),
                replace=True,
            )
            result = job.run()
        except ModelError as error:
            print(f"earmark-desktop: {error}", file=sys.stderr)
            return 1
    print(
        f"fine-tuning: {WHISPER_TINY} trained for 1 epoch in {result.report['train_seconds']:.0f} s, "
        f"installed {result.name}"
    )
    return 0 if result.path is not None else 1
