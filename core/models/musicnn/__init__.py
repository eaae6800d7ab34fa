"""musicnn: the pretrained music taggers that Earmark ships by default (ported from TensorFlow).

Importing this package registers musicnn with the ``transformers`` Auto classes, so that a musicnn
folder and any Hugging Face audio-classification folder (AST, wav2vec2, HuBERT, Whisper) load
through the same ``AutoConfig`` / ``AutoFeatureExtractor`` / ``AutoModelForAudioClassification`` calls.
"""

from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

from .configuration_musicnn import MusicnnConfig
from .feature_extraction_musicnn import MusicnnFeatureExtractor
from .modeling_musicnn import MusicnnForAudioClassification

AutoConfig.register(MusicnnConfig.model_type, MusicnnConfig, exist_ok=True)
AutoFeatureExtractor.register(MusicnnConfig, MusicnnFeatureExtractor, exist_ok=True)
AutoModelForAudioClassification.register(MusicnnConfig, MusicnnForAudioClassification, exist_ok=True)

__all__ = ["MusicnnConfig", "MusicnnFeatureExtractor", "MusicnnForAudioClassification"]
