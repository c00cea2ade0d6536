"""Every digest a statement gives for a subject is checked, not only its SHA-256.

Usage::

    from mbom.verify.digests import check_digest_sets

    checks = check_digest_sets(pairs, model, bundle="slsa.sigstore.json")

``pairs`` are (subject, on-disk FileDigest) pairs whose SHA-256 already matched. A subject's
digest set may carry more algorithms (in-toto DigestSet: ``sha512``, ``sha3_256``,
``blake2b`` ...). The in-toto spec says a consumer may accept a set when ANY acceptable
digest matches; a gate must not: a wrong ``sha512`` beside a right ``sha256`` means two
parties disagree about the file, so it fails (``file-digest``). Algorithms this runtime cannot
compute (``gitBlob``, ``dirHash``, a name mbom does not know) are ignored, as the spec
requires, and listed in a ``digest-algorithm`` skip: SHA-256 is mandatory and always checked,
so an unknown name can never be the only thing standing for a file (docs/verify.md).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mbom.verify.checks import Check, fail, skipped

#: in-toto DigestSet names (lowercase, "-" and "_" dropped) -> hashlib names. The key
#: ``sha256`` itself is checked by the file comparison; other spellings of it here.
_HASHLIB = {
    "sha256": "sha256",
    "sha224": "sha224",
    "sha384": "sha384",
    "sha512": "sha512",
    "sha512224": "sha512_224",
    "sha512256": "sha512_256",
    "sha3224": "sha3_224",
    "sha3256": "sha3_256",
    "sha3384": "sha3_384",
    "sha3512": "sha3_512",
    "shake128": "shake_128",
    "shake256": "shake_256",
    "blake2b": "blake2b",
    "blake2s": "blake2s",
    "ripemd160": "ripemd160",
    "sm3": "sm3",
    "sha1": "sha1",
    "md5": "md5",
}
_CHUNK = 1 << 20
_HEX = re.compile(r"(?:[0-9a-f]{2})+")


def _normal(algorithm: str) -> str:
    return re.sub(r"[-_]", "", algorithm.lower())


def _constructor(algorithm: str) -> Callable[[], Any] | None:
    """A hasher factory for ``algorithm``, or None when this runtime cannot compute it."""
    name = _normal(algorithm)
    if name == "blake3":
        from mbom.hashing._algorithms import new_hasher

        return lambda: new_hasher("blake3")
    hashlib_name = _HASHLIB.get(name)
    if hashlib_name is None:
        return None
    try:
        hashlib.new(hashlib_name)
    except ValueError:  # e.g. ripemd160 or sm3 without OpenSSL's legacy provider
        return None
    return lambda: hashlib.new(hashlib_name)


def _hexdigest(hasher: Any, expected: str) -> str:
    if hasher.name.startswith("shake_"):  # extendable output: as long as the claim
        return str(hasher.hexdigest(max(len(expected) // 2, 1)))
    return str(hasher.hexdigest())


def _digest_file(root: str, entry: Any, factories: dict[str, Callable[[], Any]]) -> dict:
    """Digests of one model file (a link: of its target string, as its SHA-256 is)."""
    hashers = {name: make() for name, make in factories.items()}
    if entry.symlink is not None:
        for hasher in hashers.values():
            hasher.update(os.fsencode(entry.symlink))
        return hashers
    path, flags = root, os.O_RDONLY
    if os.path.isdir(root):  # inside a tree links are never followed
        path = os.path.join(root, *entry.path.split("/"))
        flags |= getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags), "rb") as handle:
        while chunk := handle.read(_CHUNK):
            for hasher in hashers.values():
                hasher.update(chunk)
    return hashers


def check_digest_sets(
    pairs: Iterable[tuple[Any, Any]], root: str, *, bundle: str | None
) -> list[Check]:
    """A failed ``file-digest`` per wrong extra digest; a skip naming what was not checked."""
    checks: list[Check] = []
    unchecked: set[str] = set()
    for subject, entry in pairs:
        factories = {}
        for algorithm in sorted(subject.digest):
            if algorithm == "sha256":  # compared with the tree's digest already
                continue
            make = _constructor(algorithm)
            if make is None:
                unchecked.add(algorithm)
            else:
                factories[algorithm] = make
        if not factories:
            continue
        try:
            hashers = _digest_file(root, entry, factories)
        except OSError as exc:
            checks.append(
                fail(
                    "file-digest",
                    f"model file {entry.path}: cannot be read again: {exc.strerror}",
                    path=entry.path,
                    bundle=bundle,
                )
            )
            continue
        for algorithm, hasher in hashers.items():
            expected = str(subject.digest[algorithm]).lower()
            actual = _hexdigest(hasher, expected) if _HEX.fullmatch(expected) else None
            if actual != expected:
                checks.append(
                    fail(
                        "file-digest",
                        f"model file {entry.path}: {algorithm} expected {expected}, "
                        f"actual {actual}",
                        path=entry.path,
                        expected=expected,
                        actual=actual,
                        bundle=bundle,
                    )
                )
    if unchecked:
        names = ", ".join(sorted(unchecked))
        checks.append(
            skipped(
                "digest-algorithm",
                f"digest algorithm(s) {names} not checked (unknown here); sha256 was",
                bundle=bundle,
            )
        )
    return checks


def subject_pairs(subjects: Sequence[Any], files: Sequence[Any]) -> list[tuple[Any, Any]]:
    """(subject, file) for each subject naming a file on disk."""
    by_path = {entry.path: entry for entry in files}
    return [(s, by_path[s.name]) for s in subjects if s.name in by_path]
