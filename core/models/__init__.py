"""Model layer: Earmark's own architectures, registered with the ``transformers`` Auto classes.

Importing this package registers musicnn, so that a musicnn folder and any Hugging Face
audio-classification folder (AST, wav2vec2, HuBERT, Whisper) load through the same
``AutoConfig`` / ``AutoFeatureExtractor`` / ``AutoModelForAudioClassification`` calls.
"""

from transformers import AutoConfig, AutoFeatureExtractor, AutoModelForAudioClassification

from .musicnn import MusicnnConfig, MusicnnFeatureExtractor, MusicnnForAudioClassification

AutoConfig.register(MusicnnConfig.model_type, MusicnnConfig, exist_ok=True)
AutoFeatureExtractor.register(MusicnnConfig, MusicnnFeatureExtractor, exist_ok=True)
AutoModelForAudioClassification.register(MusicnnConfig, MusicnnForAudioClassification, exist_ok=True)
