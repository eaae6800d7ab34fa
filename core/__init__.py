"""Earmark's core: everything that is not a screen (decoding, models, the batch pipeline, the store)."""

__version__ = "0.1.0"
