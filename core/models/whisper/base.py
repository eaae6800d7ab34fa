"""Whisper tiny.en's encoder as a fine-tuning base for speech labels.

It becomes a :class:`~transformers.WhisperForAudioClassification`. Only the encoder is read:
classification does not need the decoder. The folder's projector and classifier are new
(placeholder labels), so it is a *base*, not a tagger.
"""

from __future__ import annotations

from pathlib import Path

from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForAudioClassification

from ..registry import ModelError
from .ct2 import LICENCE, TINY_EN_SHAPE, encoder_state_dict, packaged_model, read_ct2


def convert(target: Path, source: Path | None = None) -> Path:
    """Write the Whisper tiny.en encoder as a classification base folder at ``target``."""
    source = source or packaged_model()
    # placeholder labels (a base's head is untrained), named so that the folder is self-describing
    config = WhisperConfig(**TINY_EN_SHAPE, id2label={0: "untrained-0", 1: "untrained-1"}, licence=LICENCE)
    model = WhisperForAudioClassification(config)
    state = encoder_state_dict(read_ct2(source, prefix="encoder/"), config.encoder_layers)
    missing, unexpected = model.load_state_dict(state, strict=False)
    new = sorted({name.split(".")[0] for name in missing})
    if unexpected or new != ["classifier", "projector"]:
        raise ModelError(f"{source}: weights do not fit Whisper tiny.en (missing {missing}, unexpected {unexpected})")
    model.save_pretrained(target, safe_serialization=True)
    WhisperFeatureExtractor(feature_size=config.num_mel_bins).save_pretrained(target)
    return target
