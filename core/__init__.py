"""Earmark's core: everything that is not a screen (decoding, models, runs, the store)."""

__version__ = "0.1.0"
