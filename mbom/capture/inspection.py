"""Checkpoint inspection bound to the bytes that were hashed.

A BOM pairs each file's digest with what its bytes are (safetensors, a pickle importing
``os.system``, ...), and verify trusts that verdict for any file with that digest. Inspection
reads the file again after hashing, so the two reads must be proven to see the same bytes,
or a process writing the model directory during ``generate`` could swap a file in between
and have a pickle's digest signed with a safetensors verdict.

The proof, per file, without a second full read:

* before any byte is hashed, :func:`mbom.hashing.filesystem_horizon` takes a moment ``H``
  in the filesystem's own clock: any later write to a file gives it a ctime of at least ``H``
  (ctime cannot be set from user space);
* hashing reports the identity (size, mtime, ctime, inode, device) of the descriptor it
  read (``hash_tree(observe=...)``);
* inspection, and the reading of ``config.json`` and the model card, run inside
  :func:`mbom._pinned.pinned`: every descriptor they open must have that identity when
  opened and after its last read.

If the identity's ctime is older than ``H``, the file was not written from before hashing
began to after inspection ended, and it is the same inode, so both reads saw the same bytes.
A file changed in the same clock tick as ``H`` (written just before ``generate``) cannot be
told apart from one written during it: it waits for the clock to pass its ctime, is hashed
again and must give the same digests, and that second read's identity pins the inspection.
Anything else is "FILE: changed while being hashed" (exit 2). A tree hashed on an executor
(Dask) reports no identities: its files are pinned to what inspection first opens, which
still must be older than ``H`` (a rename of a directory between the two reads is not seen).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from mbom._pinned import pinned
from mbom.capture.checkpoints import CheckpointInfo, inspect_checkpoint
from mbom.errors import ObjectChangedError, UnreadableFileError
from mbom.hashing import (
    FileDigest,
    Identity,
    file_identity,
    hash_file_identified,
    settled_horizon,
)

_ATTEMPTS = 3


def proven_identity(
    path: str, entry: FileDigest, identity: Identity | None, horizon: int
) -> Identity:
    """The identity to pin reads of ``path`` (hashed as ``entry``) to: reads that see it see
    the hashed bytes.

    ``identity``: what hashing read (None: not known, the file as it is now, which must then
    be older than ``horizon``); ``horizon``: :func:`mbom.hashing.filesystem_horizon` of the
    model, taken before hashing.
    """
    if identity is None:
        identity = _current_identity(path)
    if identity[2] >= horizon:  # changed in the tick the horizon was taken, or later
        identity = _hashed_again(path, entry, identity)
    return identity


def inspect_hashed(
    path: str, entry: FileDigest, identity: Identity | None, horizon: int
) -> tuple[CheckpointInfo | None, Identity]:
    """:func:`inspect_checkpoint` of ``path``, pinned to its :func:`proven_identity`."""
    proven = proven_identity(path, entry, identity, horizon)
    with pinned({path: proven}):
        return inspect_checkpoint(path), proven


def _hashed_again(path: str, entry: FileDigest, identity: Identity) -> Identity:
    """Once the clock has passed the file's ctime: its digests again, and what was read.

    That read is itself bound only if the file was not changed since the new horizon: a
    same-digest rewrite in the meantime (``touch``, or an attacker restoring the bytes for
    the hash) starts over, a few times at most."""
    for _attempt in range(_ATTEMPTS):
        horizon = settled_horizon(path, identity[2])
        digests, identity = hash_file_identified(path, tuple(entry.digests))
        if digests != dict(entry.digests):
            raise ObjectChangedError(
                f"{path}: changed while being hashed (its digest differs on a second read)",
                path=path,
                expected=_first(entry.digests),
                actual=_first(digests),
            )
        if identity[2] < horizon:
            return identity
    raise ObjectChangedError(f"{path}: changed while being hashed (it keeps changing)", path=path)


def _current_identity(path: str) -> Identity:
    try:
        return file_identity(os.stat(path))
    except OSError as exc:
        raise UnreadableFileError(f"{path}: cannot stat: {exc.strerror}", path=path) from exc


def _first(digests: Mapping[str, str]) -> str:
    name, value = next(iter(digests.items()))
    return f"{name}:{value}"
