"""musicnn: the pretrained music taggers that Earmark ships by default (ported from TensorFlow), alone or merged.

Importing this package registers musicnn with the ``transformers`` Auto classes, so that a musicnn
folder and any Hugging Face audio-classification folder (AST, wav2vec2, HuBERT, Whisper) load
through the same ``AutoConfig`` / ``AutoFeatureExtractor`` / ``AutoModelForAudioClassification`` calls.
"""

from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

from .configuration_musicnn import MusicnnConfig
from .feature_extraction_musicnn import MusicnnFeatureExtractor
from .modeling_merged import MusicnnMergedConfig, MusicnnMergedForAudioClassification
from .modeling_musicnn import MusicnnForAudioClassification

for _config, _model in ((MusicnnConfig, MusicnnForAudioClassification),
                        (MusicnnMergedConfig, MusicnnMergedForAudioClassification)):  # fmt: skip
    AutoConfig.register(_config.model_type, _config, exist_ok=True)
    AutoFeatureExtractor.register(_config, MusicnnFeatureExtractor, exist_ok=True)
    AutoModelForAudioClassification.register(_config, _model, exist_ok=True)

__all__ = [
    "MusicnnConfig",
    "MusicnnFeatureExtractor",
    "MusicnnForAudioClassification",
    "MusicnnMergedConfig",
    "MusicnnMergedForAudioClassification",
]
