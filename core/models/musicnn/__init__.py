"""musicnn: the pretrained music taggers that Earmark ships by default (ported from TensorFlow)."""

from .configuration_musicnn import MusicnnConfig
from .feature_extraction_musicnn import MusicnnFeatureExtractor
from .modeling_musicnn import MusicnnForAudioClassification

__all__ = ["MusicnnConfig", "MusicnnFeatureExtractor", "MusicnnForAudioClassification"]
