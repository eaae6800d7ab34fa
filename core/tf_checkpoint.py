"""Read TensorFlow V2 checkpoint bundles without TensorFlow.

The ``musicnn`` wheel ships its pretrained weights as TF1 checkpoints. Importing TensorFlow
only to read them would add a 500 MB dependency that cannot even install beside our torch, so
this module reads the two files of a bundle directly:

* ``<prefix>.index`` — an uncompressed LevelDB-style SSTable whose keys are tensor names and
  whose values are ``BundleEntryProto`` messages (dtype, shape, shard, offset, size);
* ``<prefix>.data-00000-of-00001`` — the raw little-endian tensor bytes those entries point at.

Nothing here executes or unpickles anything from the files: they are parsed as plain bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_TABLE_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48
_BLOCK_TRAILER_SIZE = 5  # one byte of compression type + a 32-bit CRC

# TensorFlow's DataType enum values for the dtypes a checkpoint of weights can hold.
_TF_DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"),
    2: np.dtype("<f8"),
    3: np.dtype("<i4"),
    4: np.dtype("u1"),
    5: np.dtype("<i2"),
    6: np.dtype("i1"),
    9: np.dtype("<i8"),
    10: np.dtype("?"),
    19: np.dtype("<f2"),
}


class CheckpointFormatError(ValueError):
    """The files are not a TensorFlow V2 checkpoint bundle this reader understands."""


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives in the data shard, as described by its ``BundleEntryProto``."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise CheckpointFormatError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _proto_fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """Decode one protobuf message into (field number, value) pairs, in order."""
    fields: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = struct.unpack_from("<Q", buf, pos)[0], pos + 8
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        elif wire == 5:
            value, pos = struct.unpack_from("<I", buf, pos)[0], pos + 4
        else:
            raise CheckpointFormatError(f"unsupported protobuf wire type {wire}")
        fields.append((number, value))
    return fields


def _block_entries(table: bytes, offset: int, size: int) -> list[tuple[bytes, bytes]]:
    """All key/value pairs of one SSTable block (keys are prefix-compressed)."""
    if offset + size + _BLOCK_TRAILER_SIZE > len(table):
        raise CheckpointFormatError("block runs past the end of the index file")
    if table[offset + size] != 0:
        raise CheckpointFormatError("compressed index blocks are not supported")
    block = table[offset : offset + size]
    (num_restarts,) = struct.unpack_from("<I", block, size - 4)
    end = size - 4 - 4 * num_restarts
    entries: list[tuple[bytes, bytes]] = []
    key = b""
    pos = 0
    while pos < end:
        shared, pos = _varint(block, pos)
        unshared, pos = _varint(block, pos)
        value_len, pos = _varint(block, pos)
        key = key[:shared] + block[pos : pos + unshared]
        pos += unshared
        entries.append((key, block[pos : pos + value_len]))
        pos += value_len
    return entries


def _parse_entry(name: str, message: bytes) -> TensorEntry:
    dtype_code, shard, offset, size = 0, 0, 0, 0
    shape: list[int] = []
    for number, value in _proto_fields(message):
        if number == 1:
            dtype_code = int(value)  # type: ignore[arg-type]
        elif number == 2:
            for dim_number, dim in _proto_fields(value):  # type: ignore[arg-type]
                if dim_number == 2:
                    shape.extend(int(v) for n, v in _proto_fields(dim) if n == 1)  # type: ignore[arg-type]
        elif number == 3:
            shard = int(value)  # type: ignore[arg-type]
        elif number == 4:
            offset = int(value)  # type: ignore[arg-type]
        elif number == 5:
            size = int(value)  # type: ignore[arg-type]
        elif number == 7:
            raise CheckpointFormatError(f"tensor {name!r} is stored in slices, which is not supported")
    if dtype_code not in _TF_DTYPES:
        raise CheckpointFormatError(f"tensor {name!r} has unsupported TensorFlow dtype {dtype_code}")
    return TensorEntry(name, _TF_DTYPES[dtype_code], tuple(shape), shard, offset, size)


def read_index(index_path: Path) -> dict[str, TensorEntry]:
    """Parse ``<prefix>.index`` into its tensor entries, keyed by variable name."""
    table = Path(index_path).read_bytes()
    if len(table) < _FOOTER_SIZE:
        raise CheckpointFormatError(f"{index_path} is too small to be a checkpoint index")
    footer = table[-_FOOTER_SIZE:]
    (magic,) = struct.unpack_from("<Q", footer, 40)
    if magic != _TABLE_MAGIC:
        raise CheckpointFormatError(f"{index_path} is not a TensorFlow checkpoint index (bad magic)")
    _, pos = _varint(footer, 0)  # metaindex offset
    _, pos = _varint(footer, pos)  # metaindex size
    index_offset, pos = _varint(footer, pos)
    index_size, _ = _varint(footer, pos)

    entries: dict[str, TensorEntry] = {}
    for _, handle in _block_entries(table, index_offset, index_size):
        block_offset, pos = _varint(handle, 0)
        block_size, _ = _varint(handle, pos)
        for key, value in _block_entries(table, block_offset, block_size):
            if key:  # the empty key holds the BundleHeaderProto
                name = key.decode("utf-8")
                entries[name] = _parse_entry(name, value)
    return entries


def load_checkpoint(index_path: Path) -> dict[str, np.ndarray]:
    """Load every tensor of the bundle whose ``.index`` file is ``index_path``.

    The data shards sit beside it, named ``<prefix>.data-NNNNN-of-NNNNN`` (musicnn's prefix is
    empty, so its files are literally ``.index`` and ``.data-00000-of-00001``).
    """
    index_path = Path(index_path)
    if not index_path.is_file() or not index_path.name.endswith(".index"):
        raise CheckpointFormatError(f"no checkpoint index at {index_path}")
    prefix = index_path.name[: -len(".index")]
    entries = read_index(index_path)
    shards = {entry.shard for entry in entries.values()}
    shard_count = max(shards, default=0) + 1
    data = {
        shard: (index_path.parent / f"{prefix}.data-{shard:05d}-of-{shard_count:05d}").read_bytes() for shard in shards
    }
    tensors: dict[str, np.ndarray] = {}
    for name, entry in entries.items():
        raw = data[entry.shard][entry.offset : entry.offset + entry.size]
        expected = int(np.prod(entry.shape, dtype=np.int64)) * entry.dtype.itemsize
        if len(raw) != entry.size or entry.size != expected:
            raise CheckpointFormatError(f"tensor {name!r}: {len(raw)} bytes, expected {expected}")
        tensors[name] = np.frombuffer(raw, dtype=entry.dtype).reshape(entry.shape).copy()
    return tensors
