"""Fine-tuning: a user's labelled folder becomes a model that tags, and nothing half-made survives."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from transformers import AutoFeatureExtractor

from core.cli import main
from core.models.registry import inspect_folder, resolve
from core.models.runtime import load_backend
from core.paths import models_dir
from core.train.bases import prepare
from core.train.dataset import DatasetError, cut, inspect_labelled_folder, split
from core.train.evaluate import evaluate_folder
from core.train.job import TrainJob, TrainOptions, TrainProgress
from core.train.report import load_report
from tests.audio_factory import labelled_folder, speak, tone, write
from tests.tiny_models import tiny_wav2vec2


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return labelled_folder(tmp_path_factory.mktemp("labelled") / "sounds")


def quick(**overrides) -> TrainOptions:
    """Tiny base, whole network, few epochs: seconds per run, and tones vs noise is learnt."""
    return TrainOptions(**{"epochs": 4, "batch_size": 4, "freeze_backbone": False, "learning_rate": 3e-3, **overrides})


def test_folder_is_validated_with_every_reason(tmp_path: Path, folder: Path) -> None:
    summary = inspect_labelled_folder(folder)
    assert summary.counts() == {"noise": 6, "tones": 6}
    assert [s.path.name for s in summary.skipped] == ["corrupt.wav"]
    assert summary.warnings == ["1 unreadable files skipped"]

    write(tmp_path / "only" / "one" / "a.wav", tone(1.0), 16000)
    with pytest.raises(DatasetError, match="at least two sub-folders"):
        inspect_labelled_folder(tmp_path / "only")

    for i in range(2):
        write(tmp_path / "few" / "rare" / f"{i}.wav", tone(1.0), 16000)
    for i in range(8):
        write(tmp_path / "few" / "common" / f"{i}.wav", tone(1.0, freq=600), 16000)
    with pytest.raises(DatasetError, match="'rare' has 2 readable files; at least 4 needed"):
        inspect_labelled_folder(tmp_path / "few")
    imbalanced = inspect_labelled_folder(tmp_path / "few", min_files=2)
    assert any(w.startswith("imbalanced: 'common' has 8 files, 'rare' 2") for w in imbalanced.warnings)


def test_split_is_stratified_by_file_and_repeatable(folder: Path) -> None:
    summary = inspect_labelled_folder(folder)
    train, validation = split(summary, 0.2, seed=7)
    assert {f.label for f in validation} == {"noise", "tones"}
    assert not {f.path for f in train} & {f.path for f in validation}
    assert split(summary, 0.2, seed=7) == (train, validation)

    ids = {"noise": 0, "tones": 1}
    clips = cut(train, ids, clip_seconds=1.0, max_per_file=3)
    per_file = {path: [c.start_s for c in clips if c.path == path] for path in {c.path for c in clips}}
    assert all(starts == [0.0, 1.5, 3.0] for starts in per_file.values())  # spread over the 4 s files


def test_only_training_clips_are_augmented(folder: Path, tiny_model: Path) -> None:
    from core.train.collate import Augmenter, Collator
    from core.train.dataset import ClipDataset

    extractor = AutoFeatureExtractor.from_pretrained(tiny_model)
    summary = inspect_labelled_folder(folder)
    clips = cut(summary.files[:2], {"noise": 0, "tones": 1}, 3.0, 1)
    collate = Collator(extractor, None, Augmenter(seed=1))
    plain = Collator(extractor, None)([*ClipDataset(clips, 16000)])
    validation = collate([*ClipDataset(clips, 16000, augment=False)])
    training = collate([*ClipDataset(clips, 16000, augment=True)])
    assert torch.equal(validation["input_features"], plain["input_features"])
    assert not torch.allclose(training["input_features"], plain["input_features"])
    assert training["labels"].tolist() == plain["labels"].tolist() == [c.label_id for c in clips]


def test_train_from_the_cli_installs_a_model_that_tags(capsys, folder: Path, tiny_model: Path, tmp_path: Path) -> None:
    code = main(["train", str(folder), "--base", str(tiny_model), "--out", "my-sounds", "--epochs", "4",
                 "--batch-size", "4", "--unfreeze", "--learning-rate", "3e-3"])  # fmt: skip
    out, _ = capsys.readouterr()
    assert code == 0
    assert "skipped" in out and "corrupt.wav" in out
    assert "installed my-sounds" in out

    info = resolve("my-sounds")
    assert info.labels == ["noise", "tones"]
    report = load_report(info.path)
    assert report["base"]["name"] == "tiny-musicnn"
    assert [s["path"] for s in report["data"]["skipped"]] == [str(folder / "noise" / "corrupt.wav")]
    confusion = np.array(report["validation"]["confusion"])
    assert confusion.sum() == report["data"]["validation_clips"] and report["validation"]["accuracy"] == 1.0
    assert report["history"] and report["best_epoch"] in [r["epoch"] for r in report["history"]]
    assert main(["train", str(folder), "--base", str(tiny_model), "--out", "my-sounds"]) == 1
    assert "already exists" in capsys.readouterr().err

    rng = np.random.default_rng(5)
    write(tmp_path / "new" / "beep.wav", tone(6.0, freq=520.0), 16000)
    write(tmp_path / "new" / "hiss.wav", rng.normal(0, 0.1, 96000).astype(np.float32), 16000)
    db = str(tmp_path / "tags.db")
    assert main(["tag", str(tmp_path / "new"), "--model", "my-sounds", "--db", db, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["results", "--db", db, "--model", "my-sounds", "--format", "json", "--top-k", "1"]) == 0
    top = {Path(row["path"]).name: row["labels"][0]["label"] for row in json.loads(capsys.readouterr().out)}
    assert top == {"beep.wav": "tones", "hiss.wav": "noise"}

    assert main(["evaluate", str(folder), "--model", "my-sounds"]) == 0
    assert "accuracy 100.0%" in capsys.readouterr().out
    few = tmp_path / "few-held-out"  # a handful of new recordings: fewer than training would need
    write(few / "tones" / "beep.wav", tone(6.0, freq=520.0), 16000)
    assert main(["evaluate", str(few), "--model", "my-sounds"]) == 0
    assert "accuracy 100.0%, macro F1" in capsys.readouterr().out


def test_cancel_before_an_epoch_leaves_nothing(folder: Path, tiny_model: Path) -> None:
    summary = inspect_labelled_folder(folder)
    job = None

    def cancel_at_first_step(event: TrainProgress) -> None:
        if event.stage == "train" and event.done >= 1:
            job.cancel()

    job = TrainJob(summary, inspect_folder(tiny_model), "never", quick(), progress=cancel_at_first_step)
    result = job.run()
    assert result.cancelled and result.path is None
    assert not (models_dir() / "never").exists()
    assert not list(models_dir().glob(".train-*"))  # no scratch left behind


def test_cancel_after_an_epoch_keeps_the_best_one(folder: Path, tiny_model: Path) -> None:
    summary = inspect_labelled_folder(folder)
    job = None

    def cancel_after_first_epoch(event: TrainProgress) -> None:
        if event.history:
            job.cancel()

    killed = models_dir() / ".train-partial-k1ll3d"  # what a kill -9 of an earlier run left behind
    (killed / "checkpoints").mkdir(parents=True)
    job = TrainJob(summary, inspect_folder(tiny_model), "partial", quick(epochs=10), progress=cancel_after_first_epoch)
    result = job.run()
    assert not killed.exists()
    assert result.cancelled and result.report["stopped"] == "cancelled"
    assert len(result.report["history"]) == 1
    assert resolve("partial").labels == ["noise", "tones"]  # a complete, loadable model


def test_any_hugging_face_folder_is_a_base(folder: Path, tmp_path: Path) -> None:
    """wav2vec2 has no input length of its own: the clip length comes from the files and is kept for tagging."""
    base = inspect_folder(tiny_wav2vec2(tmp_path / "w2v"))
    summary = inspect_labelled_folder(folder)
    result = TrainJob(summary, base, "w2v-sounds", TrainOptions(epochs=2, batch_size=4, augment=False)).run()
    assert result.report["data"]["clip_seconds"] == 4.0  # 90 % of the files fit in 4 s
    backend = load_backend(resolve("w2v-sounds"), "torch")
    assert backend.labels == ["noise", "tones"] and backend.windowing.window_seconds == 4.0
    assert not result.report["options"]["freeze_backbone"]  # transformer bases train whole by default


def test_ct2_whisper_conversion_matches_ctranslate2(tmp_path: Path) -> None:
    """The fine-tuning base's encoder (converted to torch) against CTranslate2's own, run on the same file."""
    import ctranslate2
    from transformers import WhisperFeatureExtractor, WhisperForAudioClassification

    from core.models.whisper.base import convert
    from core.models.whisper.ct2 import packaged_model

    t = np.arange(5 * 16000) / 16000
    chirp = (0.3 * np.sin(2 * np.pi * (200 + 300 * t) * t)).astype(np.float32)
    features = WhisperFeatureExtractor(feature_size=80)(chirp, sampling_rate=16000, return_tensors="pt")
    model = WhisperForAudioClassification.from_pretrained(convert(tmp_path / "whisper")).eval()
    with torch.inference_mode():
        hidden = model.encoder(features["input_features"]).last_hidden_state[0].numpy()
    engine = ctranslate2.models.Whisper(str(packaged_model().parent), device="cpu", compute_type="float32")
    reference = np.array(engine.encode(ctranslate2.StorageView.from_array(features["input_features"].numpy())))[0]
    assert np.abs(hidden - reference).max() < 1e-4  # measured: 1.7e-5


def test_bad_base_and_unknown_labels_are_refused(capsys, tmp_path: Path, folder: Path, tiny_model: Path) -> None:
    (tmp_path / "pickled").mkdir()
    (tmp_path / "pickled" / "config.json").write_text('{"model_type": "wav2vec2"}')
    (tmp_path / "pickled" / "pytorch_model.bin").write_bytes(b"\x80\x04")
    assert main(["train", str(folder), "--base", str(tmp_path / "pickled")]) == 1
    assert "pickle-based format" in capsys.readouterr().err
    assert main(["evaluate", str(folder), "--model", str(tiny_model)]) == 1
    assert "the model has no label 'noise', 'tones'" in capsys.readouterr().err
    assert main(["train", str(folder), "--base", str(tiny_model), "--validation", "0.9"]) == 1
    assert "validation share 0.9 must be above 0 and at most 0.5" in capsys.readouterr().err
    assert main(["train", str(folder), "--base", "whisper-large"]) == 1
    refusal = capsys.readouterr().err
    assert "no base model 'whisper-large': use musicnn-msd" in refusal and "whisper-tiny-en" in refusal


def test_whisper_base_learns_spoken_words(tmp_path: Path) -> None:
    """The real Whisper tiny.en base, cut to short clips, tells three spoken words apart."""
    from core.models.registry import resolve_base

    voices = ["en", "en-us", "en+f3", "en-gb-x-rp", "en+m3"]
    for word in ("yes", "stop", "music"):
        for voice in voices:
            for speed in (130, 170):
                speak(tmp_path / "words" / word / f"{voice}-{speed}.wav", word, voice, pad_s=0.2, speed=speed)
    base = resolve_base("whisper-tiny-en")
    prepared = prepare(base, ["a", "b"], 1.3, freeze_backbone=False)
    assert prepared.clip_seconds == 2.0 and prepared.model.config.max_source_positions == 100
    head = prepare(base, ["a", "b"], 1.3, freeze_backbone=True)  # --freeze: the head trains, nothing else
    assert 0 < head.trainable < 0.1 * head.total

    summary = inspect_labelled_folder(tmp_path / "words")
    result = TrainJob(summary, base, "words", TrainOptions(epochs=4, batch_size=8, export_onnx=True)).run()
    assert result.report["validation"]["accuracy"] == 1.0
    assert result.report["onnx"]["fp32_max_diff"] < 1e-4  # the 2 s Whisper exports too
    for word in ("yes", "stop", "music"):  # accents never heard in training
        for voice in ("en-gb-scotland", "en-us-nyc", "en-029", "en-gb-x-gbcwmd"):
            speak(tmp_path / "held-out" / word / f"{voice}.wav", word, voice, pad_s=0.2)
    backend = load_backend(resolve("words"), "onnx")
    report, _ = evaluate_folder(backend, inspect_labelled_folder(tmp_path / "held-out"))
    assert report["accuracy"] >= 0.75


def test_a_tiny_validation_set_is_flagged_and_not_called_better_than_chance(capsys, tmp_path: Path, tiny_model) -> None:
    """The reported case: 2 labels x 5 files, one epoch, "100 % on 2 validation files"."""
    folder = labelled_folder(tmp_path / "five", per_label=5)
    code = main(["train", str(folder), "--base", str(tiny_model), "--out", "five", "--epochs", "1",
                 "--batch-size", "4", "--unfreeze", "--learning-rate", "3e-3"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assessment = load_report(resolve("five").path)["assessment"]
    assert assessment["files"] == 2 and assessment["chance"] == 0.5 and not assessment["better_than_chance"]
    assert assessment["interval"][0] < 0.5
    assert "warning: only 2 validation files" in out and "fewer than 5 validation files for 'noise' 1" in out
    assert "95 % confidence interval" in out and "not shown to be better than chance" in out

    assert main(["evaluate", str(folder), "--model", "five"]) == 0
    assert "on 10 files (95 % confidence interval" in capsys.readouterr().out


def test_the_assessment_needs_enough_files_and_scores_that_differ() -> None:
    from core.train.trust import assess

    labels = ["no", "yes"]
    truth = np.array([0, 1] * 20)
    sure = np.eye(2)[truth] * 0.9 + 0.05
    trusted = assess(truth, sure, labels)
    assert trusted.better_than_chance and not trusted.warnings and trusted.interval[0] > 0.9
    flat = np.where(np.eye(2)[truth] > 0, 0.501, 0.499)  # right every time, by a rounding error
    flat_verdict = assess(truth, flat, labels)
    assert flat_verdict.accuracy == 1.0 and not flat_verdict.better_than_chance
    assert "nearly the same scores" in flat_verdict.warnings[0]


def test_training_that_stops_early_reports_every_step_done(folder: Path, tmp_path: Path) -> None:
    """A learning rate too small to change anything: epoch 2 is no better, patience 1 stops the run at 2 of 10."""
    base = inspect_folder(tiny_wav2vec2(tmp_path / "w2v"))
    events: list[TrainProgress] = []
    options = TrainOptions(epochs=10, batch_size=4, augment=False, learning_rate=1e-12, patience=1)
    result = TrainJob(inspect_labelled_folder(folder), base, "early", options, progress=events.append).run()
    assert result.report["stopped"] == "early stopping" and len(result.report["history"]) == 2
    last = [e for e in events if e.stage == "train"][-1]
    assert last.done == last.total > 0


def test_the_same_seed_trains_the_same_model(folder: Path, tmp_path: Path) -> None:
    """Seed 42 twice: the same augmentation (speed, pitch, masks, the user's background), batches and weights."""
    from safetensors.numpy import load_file

    base = inspect_folder(tiny_wav2vec2(tmp_path / "w2v"))
    rng = np.random.default_rng(3)
    write(
        tmp_path / "room" / "hum.wav", (0.05 * rng.normal(size=48000) + tone(3.0, freq=60.0)).astype(np.float32), 16000
    )
    summary = inspect_labelled_folder(folder)

    def train(name: str, seed: int) -> tuple[list, dict]:
        options = TrainOptions(
            epochs=2, batch_size=4, seed=seed, speech_augment=True, background=str(tmp_path / "room")
        )
        report = TrainJob(summary, base, name, options).run().report
        return [(r["eval_loss"], r["train_loss"]) for r in report["history"]], load_file(
            str(models_dir() / name / "model.safetensors")
        )

    first, weights = train("seeded-1", 42)
    again, same_weights = train("seeded-2", 42)
    other, _ = train("seeded-3", 7)
    assert first == again and all(np.array_equal(weights[k], same_weights[k]) for k in weights)
    assert other != first
    assert main(["train", str(folder), "--base", str(tmp_path / "w2v"), "--background", str(tmp_path / "none")]) == 1


def test_speech_augmentation_changes_speed_pitch_and_masks_only_training_clips(tmp_path: Path) -> None:
    from transformers import WhisperFeatureExtractor

    from core.train.collate import Augmenter, Collator

    word, _ = speak(tmp_path / "go.wav", "go", pad_s=0.2)
    audio, _ = sf.read(str(word), dtype="float32")
    extractor = WhisperFeatureExtractor(feature_size=80, chunk_length=2)
    hum = tone(3.0, freq=1000.0, amplitude=0.5)
    collate = Collator(extractor, extractor.n_samples, Augmenter(seed=1, speech=True, background=[hum]))
    items = [{"audio": audio, "label": 0, "augment": on} for on in (False, True, True, True, True)]
    features = collate(items)["input_features"].numpy()
    plain = Collator(extractor, extractor.n_samples)(items[:1])["input_features"].numpy()[0]
    assert np.array_equal(features[0], plain)  # validation clips pass untouched
    for row in features[1:]:
        assert not np.allclose(row, plain)
    assert any((np.ptp(row, axis=1) == 0).any() for row in features[1:])  # SpecAugment: a band set to one value

    augmenter = Augmenter(seed=2, speech=True)
    lengths = {len(augmenter(audio)) for _ in range(6)}
    assert len(lengths) > 1 and all(0.85 * len(audio) < n < 1.15 * len(audio) for n in lengths)  # speed
    whistle = tone(3.0, freq=5000.0)  # far above the voice: only the background puts energy there
    mixed, band = Augmenter(seed=3, background=[whistle]), round(5000 * len(audio) / 16000)
    before = np.abs(np.fft.rfft(audio))[band - 2 : band + 3].max()
    heard = [np.abs(np.fft.rfft(mixed(audio)))[band - 2 : band + 3].max() > 20 * before for _ in range(12)]
    assert 2 <= sum(heard) <= 10  # about half the clips get the user's background


def test_models_delete_removes_a_trained_model_but_never_a_builtin(capsys, tiny_model: Path) -> None:
    import shutil

    shutil.copytree(tiny_model, models_dir() / "mine")
    assert main(["models", "delete", "mine"]) == 1  # not a terminal: it will not delete without --yes
    assert "add --yes" in capsys.readouterr().err and (models_dir() / "mine").is_dir()
    assert main(["models", "delete", "mine", "--yes"]) == 0
    assert "deleted mine" in capsys.readouterr().out and not (models_dir() / "mine").exists()
    assert main(["models", "delete", "musicnn-msd", "--yes"]) == 1
    assert "built-in model and cannot be deleted" in capsys.readouterr().err
    assert main(["models", "delete", "mine", "--yes"]) == 1
    assert "no installed model 'mine'" in capsys.readouterr().err
