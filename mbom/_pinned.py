"""Reads of a file that must be of the very file that was hashed.

After hashing, ``generate`` reads some files again (checkpoint headers, ``config.json``, the
model card) to say what they are. Inside :func:`pinned`, every descriptor opened on a pinned
path is checked with :func:`check_pinned` when it is opened and after its last read: it must
still have the identity (size, mtime, ctime, inode, device) that hashing saw, or the read
fails with "FILE: changed while being hashed". mbom.capture.inspection says why an unchanged
identity means unchanged bytes. The readers that consult it: ``mbom.capture.checkpoints``
(``open_bounded``) and ``mbom.load.read_text``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

from mbom.errors import ObjectChangedError

Identity = tuple[int, int, int, int, int]
"""(size, mtime_ns, ctime_ns, ino, dev): what must be unchanged for bytes read from a file
to still be its bytes (and for a cached digest to count: mbom.hashing._cache)."""

_PINS: ContextVar[Mapping[str, Identity] | None] = ContextVar("mbom_pinned_files", default=None)


@contextmanager
def pinned(pins: Mapping[str, Identity]) -> Iterator[None]:
    """Within this block, reading a path of ``pins`` fails unless it has that identity."""
    token = _PINS.set({**(_PINS.get() or {}), **{_key(path): i for path, i in pins.items()}})
    try:
        yield
    finally:
        _PINS.reset(token)


def check_pinned(name: str, info: os.stat_result) -> None:
    """Raise ObjectChangedError if ``name`` is pinned to another identity than ``info``'s."""
    pins = _PINS.get()
    if not pins:
        return
    expected = pins.get(_key(name))
    if expected is None:
        return
    actual = file_identity(info)
    if actual != expected:
        raise ObjectChangedError(
            f"{name}: changed while being hashed (it is not the file whose digest was taken)",
            path=name,
            expected=_spelled(expected),
            actual=_spelled(actual),
        )


def file_identity(st: os.stat_result) -> Identity:
    """The :data:`Identity` of a stat result."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _key(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


def _spelled(identity: Identity) -> str:
    size, mtime, ctime, ino, dev = identity
    return f"size {size}, mtime {mtime}, ctime {ctime}, inode {ino}, device {dev}"
