"""Load files the way a victim would, to prove a corpus payload really runs (never in-process).

Usage (a subprocess, from the repository root)::

    python -m tests.helpers.hostile_load LOADER FILE...

LOADER: ``pickle`` (one pickle.load), ``pickle-all`` (pickle.load until the end),
``torch`` (torch.load(weights_only=False)), ``numpy`` (numpy.load(allow_pickle=True), every
array of an .npz read), ``joblib`` (joblib.load), ``any`` (decompress, open zips, then the
right one of these by the bytes). Errors after the payload ran are expected and ignored.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import sys
import zipfile
import zlib


def _pickle_all(stream: io.BufferedIOBase) -> None:
    while stream.peek(1) if hasattr(stream, "peek") else True:
        try:
            pickle.load(stream)
        except EOFError:
            return


def _decompress(data: bytes) -> bytes | None:
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:6] == b"\xfd7zXZ\x00" or data[:3] == b"\x5d\x00\x00":
        return lzma.decompress(data)
    if data[:1] == b"\x78":
        return zlib.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    if data[:4] == b"\x04\x22\x4d\x18":
        import lz4.frame

        return lz4.frame.decompress(data)
    return None


def load_any(data: bytes) -> None:
    inner = _decompress(data)
    if inner is not None:
        return load_any(inner)
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if any(n.endswith("data.pkl") for n in archive.namelist()):
                return load("torch", io.BytesIO(data))
            for name in archive.namelist():
                try:
                    load_any(archive.read(name))
                except Exception:
                    continue
        return None
    if data[:6] == b"\x93NUMPY":
        return load("numpy", io.BytesIO(data))
    return _pickle_all(io.BufferedReader(io.BytesIO(data)))


def load(loader: str, source: io.BytesIO | str) -> None:
    if loader == "pickle":
        with open(source, "rb") if isinstance(source, str) else source as fh:
            pickle.load(fh)
    elif loader == "pickle-all":
        with open(source, "rb") as fh:  # type: ignore[arg-type]
            _pickle_all(fh)
    elif loader == "torch":
        import torch

        torch.load(source, weights_only=False)
    elif loader == "numpy":
        import numpy

        loaded = numpy.load(source, allow_pickle=True)
        if hasattr(loaded, "files"):
            for key in loaded.files:
                loaded[key]
    elif loader == "joblib":
        import joblib

        joblib.load(source)
    elif loader == "any":
        with open(source, "rb") as fh:  # type: ignore[arg-type]
            load_any(fh.read())
    else:
        raise SystemExit(f"unknown loader {loader}")


def main(argv: list[str]) -> int:
    loader, *files = argv
    for path in files:
        try:
            load(loader, path)
        except BaseException:
            continue
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
