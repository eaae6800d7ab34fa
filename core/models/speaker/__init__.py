"""Speaker embeddings for call analysis: Resemblyzer's pretrained voice encoder, ported to plain torch.

``features`` computes what the encoder reads (40-band mel power, 1.6 s partials); ``encoder`` holds
the network, the weights loader and :class:`SpeakerEncoder`. Clustering the embeddings into speakers
is the calls task's job, not this package's.
"""

from .encoder import LICENCE, SpeakerEncoder, SpeakerEncoderUnavailableError, packaged_weights
from .features import SAMPLE_RATE, normalize_volume

__all__ = [
    "LICENCE",
    "SAMPLE_RATE",
    "SpeakerEncoder",
    "SpeakerEncoderUnavailableError",
    "normalize_volume",
    "packaged_weights",
]
