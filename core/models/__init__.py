"""Model layer: what Earmark knows by name (catalog), which folders are safe (registry), and how they run.

Kept light: importing a submodule such as the registry must not pull in torch or transformers.
Earmark's own architecture registers itself with the ``transformers`` Auto classes when
:mod:`core.models.musicnn` is imported, which every module that loads a model does.
"""
