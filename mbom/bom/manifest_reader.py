"""A sidecar manifest read in one streaming pass: entries in path order, its SHA-256 on the way.

Usage::

    from mbom.bom.manifest_reader import ManifestReader

    reader = ManifestReader("bom.train.cdx.manifest.jsonl", pinned_sha256)
    for entry in reader:            # ManifestEntry(path, size, digest, symlink target or None)
        ...                         # nothing here is trusted until the loop ends normally

A manifest may list ten million files (over a gigabyte), so it is never held in memory: one
line at a time is read, parsed, checked and handed on, while the bytes feed a SHA-256. When
the last line has been read the digest is compared with the one the BOM pins and a difference
raises :class:`~mbom.errors.VerificationError`, so a consumer that keeps its verdict until the
iteration finishes never acts on a tampered manifest. Lines must be sorted by path (UTF-8
byte order, which is code-point order) with no path twice, as mbom writes them
(docs/bom-format.md); anything else is a :class:`~mbom.errors.MalformedFileError` naming the
line -- unless the file's digest differs too, which is then what is reported (a tampered file
is a "no", not a malformed input).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, NamedTuple

from mbom.bom.datasets import check_sha256_hex, check_size
from mbom.errors import InputError, MalformedFileError, VerificationError
from mbom.load import parse_json
from mbom.paths import check_relative_name

#: A manifest line longer than this is refused (mbom's lines are a few hundred bytes).
MAX_LINE_BYTES = 1 << 20
_CHUNK = 1 << 20


class ManifestEntry(NamedTuple):
    """One manifest line: path, size, SHA-256 hex and the link target (None for a file)."""

    path: str
    size: int
    digest: str
    symlink: str | None


class ManifestLineError(MalformedFileError):
    """A manifest line that does not parse, is out of order or repeats a path."""

    def __init__(self, display: str, number: int, reason: str) -> None:
        super().__init__(f"{display}:{number}: bad manifest line: {reason}", path=display)
        self.number, self.reason = number, reason


class ManifestReader:
    """Iterate a manifest once; the pinned SHA-256 (when given) is checked at the end.

    ``sha256`` holds the file's digest after a complete iteration; ``count`` the entries.
    """

    def __init__(self, path: str, pinned_sha256: str | None, *, display: str | None = None):
        self.path, self.display = path, display or path
        self.pinned = pinned_sha256.lower() if pinned_sha256 is not None else None
        self.sha256: str | None = None
        self.count = 0

    def __iter__(self) -> Iterator[ManifestEntry]:
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - closed in the finally below
        except OSError as exc:
            raise InputError(
                f"{self.display}: cannot read manifest: {exc.strerror}", path=self.display
            ) from None
        digest = hashlib.sha256()
        try:
            yield from self._entries(handle, digest)
            self._check(digest)
        except ManifestLineError:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
            self._check(digest)  # a tampered manifest is reported as tampered
            raise
        finally:
            handle.close()

    def _entries(self, handle: Any, digest: Any) -> Iterator[ManifestEntry]:
        previous, number, update = "", 0, digest.update
        for line in iter(lambda: handle.readline(MAX_LINE_BYTES + 1), b""):
            update(line)
            number += 1
            if len(line) > MAX_LINE_BYTES:
                raise ManifestLineError(self.display, number, f"over {MAX_LINE_BYTES} bytes")
            if not line.strip():
                continue
            try:
                row = parse_json(line)
                entry = ManifestEntry(
                    check_relative_name(str(row["path"])),
                    check_size(row["size"]),
                    check_sha256_hex(row["digest"]),
                    str(row["symlink"]) if "symlink" in row else None,
                )
            except (ValueError, KeyError, TypeError, AttributeError, InputError) as exc:
                raise ManifestLineError(self.display, number, str(exc)) from None
            if entry.path <= previous and self.count:
                what = "repeats" if entry.path == previous else "is out of order after"
                reason = f"path {entry.path!r} {what} {previous!r} (paths must be sorted, once)"
                raise ManifestLineError(self.display, number, reason)
            previous = entry.path
            self.count += 1
            yield entry

    def _check(self, digest: Any) -> None:
        self.sha256 = digest.hexdigest()
        if self.pinned is not None and self.sha256 != self.pinned:
            raise VerificationError(
                f"{self.display}: manifest does not match the SHA-256 the BOM pins",
                path=self.display,
                expected=self.pinned,
                actual=self.sha256,
            )
