"""The ``.npy`` header: dtype, shape, order, and whether the array is stored as a pickle.

``numpy.save`` writes an object-dtype array (or a structured dtype with an object field) as a
pickle after the header, and ``numpy.load(..., allow_pickle=True)`` unpickles it: such a file
runs code like any pickle. The header is a Python literal; it is parsed with
:func:`ast.literal_eval` (which evaluates literals only) after a length bound, never with eval.
"""

from __future__ import annotations

import ast
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

NPY_MAGIC: Final = b"\x93NUMPY"
MAX_HEADER: Final = 1 << 16
"""Longest header accepted (numpy itself refuses headers over 10,000 bytes by default)."""


class NpyHeaderError(ValueError):
    """The header cannot be read; the file is then not safe to load."""


@dataclass(frozen=True, slots=True)
class NpyHeader:
    descr: str
    shape: tuple[int, ...]
    fortran_order: bool
    object_dtype: bool


def read_npy_header(reader: Callable[[int], bytes]) -> NpyHeader:
    """Read the header through ``reader(n)``, leaving the stream at the array data."""
    prefix = _exact(reader, 8, "npy magic")
    if not prefix.startswith(NPY_MAGIC):
        raise NpyHeaderError("not a .npy file")
    major = prefix[6]
    if major == 1:
        (length,) = struct.unpack("<H", _exact(reader, 2, "header length"))
    elif major in (2, 3):
        (length,) = struct.unpack("<I", _exact(reader, 4, "header length"))
    else:
        raise NpyHeaderError(f"unsupported .npy version {major}.{prefix[7]}")
    if length > MAX_HEADER:
        raise NpyHeaderError(f"header of {length} bytes is over the {MAX_HEADER}-byte limit")
    text = _exact(reader, length, "header").decode("utf-8" if major == 3 else "latin-1")
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise NpyHeaderError(f"header is not a literal: {type(exc).__name__}") from None
    if not isinstance(value, dict) or not {"descr", "shape"} <= value.keys():
        raise NpyHeaderError("header lacks descr/shape")
    shape = value["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(d, int) for d in shape):
        raise NpyHeaderError("header shape is not a tuple of integers")
    descr = value["descr"]
    return NpyHeader(
        descr=repr(descr) if not isinstance(descr, str) else descr,
        shape=shape,
        fortran_order=bool(value.get("fortran_order", False)),
        object_dtype=has_object(descr),
    )


def has_object(descr: object) -> bool:
    """Does a ``descr`` (string or structured list) contain an object field? Unknown: yes."""
    if isinstance(descr, str):
        kind = descr.lstrip("<>|=!")
        return kind[:1] == "O" or kind.startswith("object") or not kind
    if isinstance(descr, list):
        for field in descr:
            if not isinstance(field, tuple) or len(field) not in (2, 3):
                return True
            if has_object(field[1]):
                return True
        return not descr
    return True


def _exact(read: Callable[[int], bytes], count: int, what: str) -> bytes:
    data = read(count)
    if len(data) != count:
        raise NpyHeaderError(f"truncated {what}")
    return data
