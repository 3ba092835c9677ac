"""The GGUF header: its general.name, read without loading the model."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO

from orchestrator.bench.models.local.errors import ModelVerifyError

GGUF_MAGIC = b"GGUF"
# GGUF value types -> struct format of a fixed-size value; 8 is a string, 9 an array.
_GGUF_SCALARS = {
    0: "B",
    1: "b",
    2: "H",
    3: "h",
    4: "I",
    5: "i",
    6: "f",
    7: "?",
    10: "Q",
    11: "q",
    12: "d",
}
_GGUF_STRING, _GGUF_ARRAY = 8, 9


def read_gguf_name(path: Path) -> str | None:
    """general.name from a GGUF header (None if absent); refuses a file that is not GGUF v2+."""
    with path.open("rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise ModelVerifyError(f"{path} is not a GGUF file (no GGUF magic number)")
        (version,) = _unpack(f, "<I")
        if version < 2:
            raise ModelVerifyError(f"{path} is GGUF version {version}; version 2 or later needed")
        _tensors, kv_count = _unpack(f, "<QQ")
        for _ in range(kv_count):
            key = _read_gguf_string(f)
            (value_type,) = _unpack(f, "<I")
            if key == "general.name" and value_type == _GGUF_STRING:
                return _read_gguf_string(f)
            _skip_gguf_value(f, value_type)
    return None


def check_gguf_name(path: Path, expected: str) -> None:
    name = read_gguf_name(path)
    if name != expected:
        raise ModelVerifyError(f"{path}: GGUF general.name is {name!r}, expected {expected!r}")


def _unpack(f: BinaryIO, fmt: str) -> tuple[int, ...]:
    size = struct.calcsize(fmt)
    data = f.read(size)
    if len(data) != size:
        raise ModelVerifyError(f"{f.name}: the GGUF header ends early")
    return struct.unpack(fmt, data)


def _read_gguf_string(f: BinaryIO) -> str:
    (length,) = _unpack(f, "<Q")
    data = f.read(length)
    if len(data) != length:
        raise ModelVerifyError(f"{f.name}: the GGUF header ends early")
    return data.decode("utf-8", errors="replace")


def _skip_gguf_value(f: BinaryIO, value_type: int) -> None:
    if value_type in _GGUF_SCALARS:
        f.seek(struct.calcsize("<" + _GGUF_SCALARS[value_type]), os.SEEK_CUR)
    elif value_type == _GGUF_STRING:
        (length,) = _unpack(f, "<Q")
        f.seek(length, os.SEEK_CUR)
    elif value_type == _GGUF_ARRAY:
        item_type, count = _unpack(f, "<IQ")
        if item_type in _GGUF_SCALARS:
            f.seek(count * struct.calcsize("<" + _GGUF_SCALARS[item_type]), os.SEEK_CUR)
        else:
            for _ in range(count):
                _skip_gguf_value(f, item_type)
    else:
        raise ModelVerifyError(f"{f.name}: unknown GGUF value type {value_type}")
