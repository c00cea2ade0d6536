"""What runs on a Dask worker: list a few directories, hash one batch (see _dask).

Pure functions of their arguments (a re-run after a lost worker gives the same value). An
mbom error is returned as a :class:`Failure` value rather than raised, so Dask does not
retry it (an unreadable file stays unreadable) and the driver re-raises it as it was.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, NamedTuple

from mbom.errors import InputError, MbomError

if TYPE_CHECKING:
    from mbom.hashing import FileDigest
    from mbom.hashing._location import Listed, Location


class Failure(NamedTuple):
    """An mbom error raised in a task, returned as a value (never retried, re-raised here)."""

    error: MbomError


def list_task(
    location: Location, rels: tuple[str, ...], max_objects: int, max_dirs: int
) -> tuple[list[str], list[Listed]] | Failure:
    """List the directories ``rels`` and, while the subtrees stay small, those below them
    (breadth first); return the directories left unlisted and the objects found."""
    try:
        waiting, objects, listed = deque(rels), [], 0
        while waiting and len(objects) < max_objects and listed < max_dirs:
            dirs, found = location.list_dir(waiting.popleft())
            waiting.extend(dirs)
            objects.extend(found)
            listed += 1
        return list(waiting), objects
    except MbomError as exc:
        return failure(exc)


def hash_task(
    location: Location, objects: list[Listed], algorithms: tuple[str, ...], tolerant: bool
) -> list[FileDigest] | Failure:
    """Digest one batch on a worker (the worker reads the bytes itself)."""
    try:
        return location.hash_objects(objects, algorithms, tolerant=tolerant)
    except MbomError as exc:
        return failure(exc)


def failure(exc: MbomError) -> Failure:
    """Wrap ``exc`` so it survives the trip to the driver (as a plain InputError if its class
    cannot be rebuilt from its message alone)."""
    import pickle  # here: only a cluster's worker needs it

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        plain = InputError(exc.message, path=exc.path)
        plain.exit_code = exc.exit_code
        return Failure(plain)
    return Failure(exc)
