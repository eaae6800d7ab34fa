"""Tiny models built from config, saved as real model folders: fast stand-ins for tests."""

from __future__ import annotations

from pathlib import Path

import torch

from core.models.musicnn import MusicnnConfig, MusicnnFeatureExtractor, MusicnnForAudioClassification

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


def tiny_wav2vec2(folder: Path, seed: int = 0) -> Path:
    """A randomly initialised, very small wav2vec2 classifier: stands in for "any Hugging Face folder"."""
    from transformers import Wav2Vec2Config, Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification

    torch.manual_seed(seed)
    config = Wav2Vec2Config(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(16, 16, 16),
        conv_stride=(5, 4, 4),
        conv_kernel=(10, 4, 4),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=4,
        classifier_proj_size=16,
        id2label={0: "a", 1: "b"},
    )
    Wav2Vec2ForSequenceClassification(config).save_pretrained(folder, safe_serialization=True)
    Wav2Vec2FeatureExtractor(sampling_rate=16000).save_pretrained(folder)
    return folder
