"""Git objects read as data: a loose object, or a non-delta object of a pack (v2 index).

Only what the dirty check needs (a commit's tree id). Anything else -- a delta-compressed
object, an alternate object store, an object over the bounds -- is "not readable here".
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib

from mbom.capture.git import Repository, read_small

MAX_PACK_INDEX_BYTES = 256 * 1024 * 1024
MAX_OBJECT_BYTES = 16 * 1024 * 1024


class Unknown(Exception):
    """The state cannot be judged exactly within the bounds."""


def object_id(kind: bytes, body: bytes, algorithm: str) -> bytes:
    """The id git gives an object: the hash of ``"<kind> <size>\\0" + body``."""
    return hashlib.new(algorithm, b"%s %d\0" % (kind, len(body)) + body).digest()


def commit_tree(repo: Repository, commit: str) -> bytes | None:
    """The tree id a commit names, or None when the commit cannot be read here."""
    body = read_object(repo, commit, b"commit")
    if body is None or not body.startswith(b"tree "):
        return None
    return bytes.fromhex(body[5 : body.index(b"\n")].decode("ascii"))


def read_object(repo: Repository, hex_id: str, kind: bytes) -> bytes | None:
    """An object's body: loose, or a non-delta entry of a pack; None otherwise."""
    objects = os.path.join(repo.commondir, "objects")
    loose = read_small(os.path.join(objects, hex_id[:2], hex_id[2:]), MAX_OBJECT_BYTES)
    if loose is not None:
        raw = _inflate(loose, 0)
        header, _, body = raw.partition(b"\0")
        return body if header.split(b" ")[0] == kind else None
    pack_dir = os.path.join(objects, "pack")
    wanted = bytes.fromhex(hex_id)
    names = sorted(os.listdir(pack_dir)) if os.path.isdir(pack_dir) else []
    for name in names:
        if not name.endswith(".idx"):
            continue
        offset = _pack_offset(os.path.join(pack_dir, name), wanted)
        if offset is not None:
            return _pack_object(os.path.join(pack_dir, name[:-4] + ".pack"), offset, kind)
    return None


def _inflate(data: bytes, at: int) -> bytes:
    decompressor = zlib.decompressobj()
    raw = decompressor.decompress(data[at:], MAX_OBJECT_BYTES + 1)
    if len(raw) > MAX_OBJECT_BYTES:
        raise Unknown
    return raw


def _pack_offset(idx_path: str, wanted: bytes) -> int | None:
    data = read_small(idx_path, MAX_PACK_INDEX_BYTES)
    if data is None or data[:8] != b"\xfftOc\x00\x00\x00\x02":
        return None
    fanout = struct.unpack(">256I", data[8 : 8 + 1024])
    count, size = fanout[255], len(wanted)
    low = fanout[wanted[0] - 1] if wanted[0] else 0
    high = fanout[wanted[0]]
    names_at = 8 + 1024
    while low < high:
        middle = (low + high) // 2
        found = data[names_at + middle * size : names_at + (middle + 1) * size]
        if found == wanted:
            break
        low, high = (middle + 1, high) if found < wanted else (low, middle)
    else:
        return None
    offsets_at = names_at + count * size + count * 4
    (offset,) = struct.unpack(">I", data[offsets_at + middle * 4 : offsets_at + middle * 4 + 4])
    if offset & 0x80000000:
        large_at = offsets_at + count * 4 + (offset & 0x7FFFFFFF) * 8
        (offset,) = struct.unpack(">Q", data[large_at : large_at + 8])
    return offset


def _pack_object(pack_path: str, offset: int, kind: bytes) -> bytes | None:
    types = {1: b"commit", 2: b"tree", 3: b"blob", 4: b"tag"}
    with open(pack_path, "rb") as handle:
        handle.seek(offset)
        head = handle.read(MAX_OBJECT_BYTES + 64)
    byte, at = head[0], 1
    type_id = (byte >> 4) & 7
    while byte & 0x80:
        byte, at = head[at], at + 1
    if types.get(type_id) != kind:
        return None  # a delta (6, 7) or another type
    return _inflate(head, at)
