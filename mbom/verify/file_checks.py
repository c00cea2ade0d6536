"""One file against its record: link status, digest, size, new executable or setuid bits.

Usage::

    from mbom.verify.file_checks import compare_one

    check = compare_one(recorded, on_disk, "model", bundle=None)   # None when they agree

``recorded`` has ``path``, ``size`` (None for bare statement subjects), ``digests``
(``sha256`` at least), ``symlink`` (the recorded link target) and optionally ``mode``;
``on_disk`` is a :class:`mbom.hashing.FileDigest`. :mod:`mbom.verify.files` walks two lists
of files and calls this for every path both hold.
"""

from __future__ import annotations

from typing import Any

from mbom.hashing._ignore import EXEC_BITS, SETID_BITS, recorded_mode
from mbom.verify.checks import Check, fail


def compare_one(want: Any, have: Any, scope: str, bundle: str | None) -> Check | None:
    name = want.path
    recorded_link = getattr(want, "symlink", None)
    if have.symlink is not None and recorded_link is None and _knows_links(want):
        return fail(
            "symlink",
            f"{scope} file {name}: replaced by a symbolic link to {have.symlink!r}",
            path=name,
            expected="regular file",
            actual=f"symlink -> {have.symlink}",
            bundle=bundle,
        )
    if recorded_link is not None and have.symlink != recorded_link:
        found = "a regular file" if have.symlink is None else f"a link to {have.symlink!r}"
        return fail(
            "symlink",
            f"{scope} file {name}: must be a symbolic link to {recorded_link!r}, found {found}",
            path=name,
            expected=f"symlink -> {recorded_link}",
            actual="regular file" if have.symlink is None else f"symlink -> {have.symlink}",
            bundle=bundle,
        )
    expected_digest = want.digests["sha256"]
    actual_digest = have.digests.get("sha256")
    if expected_digest != actual_digest:
        what = "link target changed" if have.symlink is not None else "content changed"
        if have.symlink is not None and recorded_link is None:
            what = f"is a symbolic link to {have.symlink!r}"
        return fail(
            "file-digest",
            f"{scope} file {name}: {what}: sha256 expected {expected_digest}, "
            f"actual {actual_digest}",
            path=name,
            expected=expected_digest,
            actual=actual_digest,
            bundle=bundle,
        )
    size = getattr(want, "size", None)
    if size is not None and size != have.size:
        return fail(
            "file-size",
            f"{scope} file {name}: size recorded as {size}, actual {have.size}",
            path=name,
            expected=str(size),
            actual=str(have.size),
            bundle=bundle,
        )
    return _mode_check(want, have, scope, bundle)


def _mode_check(want: Any, have: Any, scope: str, bundle: str | None) -> Check | None:
    """A new setuid/setgid bit always fails; a new executable bit fails against a BOM."""
    actual_mode = have.mode
    if actual_mode is None or have.symlink is not None:
        return None
    recorded = getattr(want, "mode", None)
    try:
        expected_bits = int(recorded, 8) if recorded else 0o644
    except ValueError:
        expected_bits = 0o644
    new_setid = actual_mode & SETID_BITS & ~expected_bits
    new_exec = _knows_links(want) and actual_mode & EXEC_BITS and not expected_bits & EXEC_BITS
    if not (new_setid or new_exec):
        return None
    actual = recorded_mode(actual_mode)  # not None: a new bit is an exec or setuid/setgid bit
    what = "setuid/setgid bit set" if new_setid else "newly executable"
    return fail(
        "file-mode",
        f"{scope} file {want.path}: {what} (mode {actual}, recorded {recorded or '0644'})",
        path=want.path,
        expected=recorded or "0644",
        actual=actual,
        bundle=bundle,
    )


def _knows_links(want: Any) -> bool:
    """Only a BOM records which files are links; bare statement subjects do not say."""
    return getattr(want, "size", None) is not None
