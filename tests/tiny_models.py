"""Tiny models built from config, saved as real model folders: fast stand-ins for tests."""

from __future__ import annotations

from pathlib import Path

import torch

from core.models import MusicnnConfig, MusicnnFeatureExtractor, MusicnnForAudioClassification

TINY_LABELS = ["rock", "pop", "jazz", "classical", "electronic", "calm", "loud", "speech"]


def tiny_musicnn(folder: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    config = MusicnnConfig(
        timbral_filters=4,
        temporal_filters=2,
        midend_filters=4,
        backend_units=8,
        id2label=dict(enumerate(TINY_LABELS)),
        label2id={label: i for i, label in enumerate(TINY_LABELS)},
        label_groups={"genre": TINY_LABELS[:5], "mood": TINY_LABELS[5:7], "content": ["speech"]},
        licence="test model",
    )
    model = MusicnnForAudioClassification(config).eval()
    model.save_pretrained(folder, safe_serialization=True)
    MusicnnFeatureExtractor().save_pretrained(folder)
    return folder
