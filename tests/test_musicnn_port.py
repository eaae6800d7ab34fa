"""The PyTorch port of musicnn gives the original TensorFlow model's scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

from core.models.musicnn import MusicnnFeatureExtractor, MusicnnForAudioClassification
from core.models.musicnn.convert_musicnn import (
    CHECKPOINTS,
    MSD_LABELS,
    MTT_LABELS,
    build_from_tf,
    packaged_checkpoint_dir,
)
from core.models.registry import resolve
from core.tf_checkpoint import CheckpointFormatError, load_checkpoint

REFERENCE = np.load(Path(__file__).parent / "fixtures" / "musicnn_tf_reference.npz")


@pytest.mark.parametrize("name", ["musicnn-msd", "musicnn-mtt"])
def test_port_matches_tensorflow_within_1e4(name: str) -> None:
    checkpoint = CHECKPOINTS[name]
    model = build_from_tf(checkpoint, packaged_checkpoint_dir(checkpoint.folder))
    with torch.no_grad():
        scores = torch.sigmoid(model(torch.from_numpy(REFERENCE["patches"])).logits).numpy()
    expected = REFERENCE[name.replace("-", "_")]
    assert np.abs(scores - expected).max() < 1e-4
    # the fixture is not trivial: the patches get different top tags
    assert len({int(np.argmax(row)) for row in expected}) > 1


def test_converted_folder_loads_through_the_auto_classes() -> None:
    info = resolve("musicnn-msd")
    model = AutoModelForAudioClassification.from_pretrained(info.path, local_files_only=True, use_safetensors=True)
    extractor = AutoFeatureExtractor.from_pretrained(info.path, local_files_only=True)
    assert isinstance(model, MusicnnForAudioClassification)
    assert isinstance(extractor, MusicnnFeatureExtractor)
    assert info.labels == MSD_LABELS
    assert (info.path / "model.safetensors").is_file() and not list(info.path.glob("*.bin"))
    with torch.no_grad():
        scores = torch.sigmoid(model.eval()(torch.from_numpy(REFERENCE["patches"])).logits).numpy()
    assert np.abs(scores - REFERENCE["musicnn_msd"]).max() < 1e-4


def test_label_groups_cover_every_label() -> None:
    for checkpoint, labels in ((CHECKPOINTS["musicnn-msd"], MSD_LABELS), (CHECKPOINTS["musicnn-mtt"], MTT_LABELS)):
        grouped = {label for members in checkpoint.groups.values() for label in members}
        assert grouped == set(labels)
        assert {"genre", "mood", "vocals", "instrument"} <= set(checkpoint.groups)
    assert {"rock", "jazz", "metal", "Hip-Hop", "House", "ambient"} <= set(CHECKPOINTS["musicnn-msd"].groups["genre"])
    assert "era" in CHECKPOINTS["musicnn-msd"].groups


def test_log_mel_matches_the_reference_features() -> None:
    extractor = MusicnnFeatureExtractor()
    silence = extractor.patches(np.zeros(16000 * 3, dtype=np.float32))[0]
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, 16000 * 3).astype(np.float32)
    assert np.abs(silence - REFERENCE["patches"][2]).max() < 1e-4
    assert np.abs(extractor.patches(noise)[0] - REFERENCE["patches"][3]).max() < 1e-4


def test_loud_music_stays_finite() -> None:
    """The original's float16 cast turns loud spectra into inf; the port's float32 does not."""
    loud = (30.0 * np.sign(np.sin(np.arange(16000 * 3) * 0.05))).astype(np.float32)
    patch = MusicnnFeatureExtractor().patches(loud)
    assert np.isfinite(patch).all()
    mel = 10 ** patch.max() / 10000
    with np.errstate(over="ignore"):
        assert np.isinf(np.float16(mel))  # what the original would have fed its model


def test_patches_cut_and_pad() -> None:
    extractor = MusicnnFeatureExtractor()
    assert extractor.patches(np.zeros(16000 * 30, dtype=np.float32)).shape == (10, 187, 96)
    assert extractor.patches(np.zeros(8000, dtype=np.float32)).shape == (1, 187, 96)  # repeat-padded


def test_checkpoint_reader_reads_every_variable() -> None:
    tensors = load_checkpoint(packaged_checkpoint_dir("MSD_musicnn") / ".index")
    assert tensors["conv2d/kernel"].shape == (7, 38, 1, 204)
    assert tensors["dense_1/kernel"].shape == (200, 50)
    assert all(np.isfinite(t).all() for t in tensors.values() if t.dtype.kind == "f")


def test_checkpoint_reader_refuses_garbage(tmp_path: Path) -> None:
    bogus = tmp_path / "model.index"
    bogus.write_bytes(b"\x00" * 100)
    with pytest.raises(CheckpointFormatError, match="bad magic"):
        load_checkpoint(bogus)
    truncated = tmp_path / "short.index"
    truncated.write_bytes((packaged_checkpoint_dir("MSD_musicnn") / ".index").read_bytes()[-60:])
    with pytest.raises(CheckpointFormatError):
        load_checkpoint(truncated)
