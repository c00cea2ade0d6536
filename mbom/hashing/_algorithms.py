"""Which digest algorithms mbom computes, and how to start one.

SHA-256 is the default everywhere (in-toto subjects, CycloneDX hashes, Sigstore). SHA-512 is
offered for policies that ask for it. BLAKE3 is offered because it parallelises inside one
file, which SHA-2 cannot: on a single multi-GB checkpoint it is several times faster.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol

from mbom.errors import InputError

ALGORITHMS: tuple[str, ...] = ("sha256", "sha512", "blake3")
DEFAULT_ALGORITHM = "sha256"

#: Names CycloneDX uses in ``hashes[].alg``.
CYCLONEDX_NAMES: dict[str, str] = {"sha256": "SHA-256", "sha512": "SHA-512", "blake3": "BLAKE3"}

#: Digest sizes in bytes, to validate stored hex digests.
DIGEST_SIZES: dict[str, int] = {"sha256": 32, "sha512": 64, "blake3": 32}


_SHA2: dict[str, Callable[..., Hasher]] = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}


class Hasher(Protocol):
    """The subset of the hashlib interface mbom relies on (blake3 provides it too)."""

    def update(self, data: bytes | bytearray | memoryview, /) -> object: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...


def check_algorithm(name: str) -> str:
    """Return the canonical spelling of ``name`` or raise :class:`InputError`."""
    canonical = name.strip().lower().replace("-", "")
    if canonical not in ALGORITHMS:
        raise InputError(f"unknown hash algorithm {name!r}: choose one of {', '.join(ALGORITHMS)}")
    return canonical


def new_hasher(name: str, *, parallel: bool = False, threads: int | None = None) -> Hasher:
    """Start a digest. ``parallel`` lets BLAKE3 use all cores inside one large file.

    ``threads`` (with ``parallel``): BLAKE3 gets a pool of its own with that many threads
    instead of the process-wide one, which a forked worker must not use (the parent's pool
    threads do not exist in the child, and waiting for them never returns)."""
    if name == "blake3":
        from blake3 import blake3

        if not parallel:
            return blake3(max_threads=1)
        return blake3(max_threads=threads if threads and threads > 1 else blake3.AUTO)
    return hashlib.new(name)


def one_shot(name: str) -> Callable[[bytes], Hasher]:
    """The constructor that digests a small in-memory value in one call (Merkle nodes)."""
    if name == "blake3":
        from blake3 import blake3

        return blake3
    return _SHA2[name]


def digest_bytes(name: str, data: bytes) -> bytes:
    """Digest a small in-memory value (symlink targets, Merkle nodes) in one call."""
    return one_shot(name)(data).digest()
