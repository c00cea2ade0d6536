"""Fuzz the content scanner: mutated pickle, zip, gzip, npy and legacy-torch bytes.

Whatever the bytes, :func:`inspect_checkpoint` returns a result or raises one of mbom's own
errors (a one-line input error); it never raises anything else, never recurses without bound
and never reads without bound (inputs are small and every stream is capped, so each example's
work is bounded by construction; nothing is timed). A result that says "safe to load" must be
backed by a scan that reached the end of every pickle it found.
"""

from __future__ import annotations

import gzip
import io
import lzma
import pickle
import struct
import tempfile
import zipfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from mbom.capture.checkpoints import PyTorchDetails, inspect_checkpoint
from mbom.errors import MbomError

EVIL = b"\x80\x02cposix\nsystem\nX\x04\x00\x00\x00echo\x85R."
MAGIC = 0x1950A86A20F9469CFC6C


def _zip(members: dict[str, bytes], kind: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", kind) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data, kind)
    return buffer.getvalue()


def _npy(payload: bytes, descr: str) -> bytes:
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': (1,), }}".encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


STATE = {"layer.weight": [1.0, 2.0], "step": 3, "name": "x", "nested": ({1, 2}, b"\x00")}
SEEDS = [
    *(pickle.dumps(STATE, protocol=p) for p in range(6)),
    EVIL,
    b"cos\nsystem\n(S'echo'\ntR.",
    pickle.dumps(STATE, protocol=2) + EVIL,
    b"".join(
        pickle.dumps(v, protocol=2) for v in (MAGIC, 1001, {"little_endian": True}, STATE, [])
    ),
    f"L{MAGIC}L\n.".encode() + pickle.dumps(1001) + EVIL,
    _zip({"archive/data.pkl": pickle.dumps(STATE, protocol=2), "archive/data/0": b"\x93" * 8}),
    _zip({"archive/data.pkl": EVIL}, zipfile.ZIP_DEFLATED),
    _zip({"inner.zip": _zip({"x.pkl": EVIL})}),
    gzip.compress(pickle.dumps(STATE, protocol=4), mtime=0),
    lzma.compress(EVIL),
    _npy(pickle.dumps([1, "a"], protocol=3), "|O"),
    _npy(b"\x00" * 8, "<f8"),
    _zip({"a.npy": _npy(EVIL, "|O")}),
]
NAMES = ["model.bin", "model.pt", "model.pkl", "model.safetensors", "model.joblib", "x.yaml"]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 6))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "splice"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif action == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from(SEEDS))[: draw(st.integers(1, 64))]
    return bytes(data)


@given(data=mutated(), name=st.sampled_from(NAMES))
def test_mutated_checkpoints_never_crash_the_scanner(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / name
        path.write_bytes(data)
        try:
            info = inspect_checkpoint(path)
        except MbomError as exc:
            assert str(exc) and "\n" not in str(exc)
            return
    if info is None or not info.safe_to_load:
        return
    assert not info.unsafe_globals and not info.issues
    if isinstance(info.details, PyTorchDetails):
        assert all(scan.complete or not scan.is_pickle for scan in info.details.pickles)


@given(data=st.binary(max_size=512), name=st.sampled_from(NAMES))
def test_random_bytes_never_crash_the_scanner(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / name
        path.write_bytes(data)
        try:
            inspect_checkpoint(path)
        except MbomError as exc:
            assert str(exc) and "\n" not in str(exc)
