"""Compare the files an attestation lists with the files on disk: changed, missing, extra.

Usage::

    from mbom.verify.files import compare_files

    checks = compare_files(expected, tree.files, scope="model")

``expected`` items have ``path``, ``size`` (or None), ``digests`` (``sha256`` at least) and
``symlink`` (the recorded link target, or None); :class:`mbom.bom.subjects.ModelFile` fits.
Every difference is its own failed check naming the file with full expected and actual hex
digests; a file that disappeared while another with its content appeared is reported as a
probable rename. A symbolic link must stay a link with the same target; a directory may not
become a link; a file may not gain an executable bit the BOM does not record (``mbom:mode``),
nor a setuid/setgid bit any attestation does not record.

:func:`anomaly_checks` turns what the hashing walk could not hash
(:attr:`mbom.hashing.TreeDigest.anomalies`) into failed checks: the check id is the
anomaly's kind (``symlink-escape``, ``special-file``, ``file-name``, ``unreadable-file``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mbom.hashing._ignore import EXEC_BITS, SETID_BITS, recorded_mode
from mbom.verify.checks import Check, fail, passed

#: At most this many failed checks of one kind are listed; the rest are counted.
MAX_LISTED = 200


def under(path: str, prefixes: Iterable[str]) -> bool:
    """``path`` is one of ``prefixes`` or inside one of them (directory entries end in "/")."""
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in prefixes)


def compare_files(
    expected: Sequence[Any],
    actual: Sequence[Any],
    *,
    scope: str,
    bundle: str | None = None,
) -> list[Check]:
    """Checks for every difference between ``expected`` and ``actual`` (FileDigest items)."""
    want: Mapping[str, Any] = {item.path: item for item in expected}
    have: Mapping[str, Any] = {item.path: item for item in actual}
    problems: dict[str, list[Check]] = {}

    def add(check: Check) -> None:
        problems.setdefault(check.id, []).append(check)

    missing = sorted(want.keys() - have.keys())
    extra = sorted(have.keys() - want.keys())
    by_digest = {have[name].digests.get("sha256"): name for name in extra}
    renamed_to = {name: by_digest.get(want[name].digests["sha256"]) for name in missing}
    renamed_from = {new: old for old, new in renamed_to.items() if new is not None}
    for name in missing:
        new = renamed_to[name]
        hint = f" (renamed to {new!r}?)" if new else ""
        add(
            fail(
                "missing-file",
                f"{scope} file {name}: missing{hint}",
                path=name,
                expected=want[name].digests["sha256"],
                bundle=bundle,
            )
        )
    for name in extra:
        old = renamed_from.get(name)
        hint = f" (same content as missing {old!r}: renamed?)" if old else ""
        if have[name].symlink is not None and any(p.startswith(name + "/") for p in missing):
            add(
                fail(
                    "symlink",
                    f"{scope} directory {name}/: replaced by a symbolic link to "
                    f"{have[name].symlink!r}",
                    path=name,
                    expected="directory",
                    actual=f"symlink -> {have[name].symlink}",
                    bundle=bundle,
                )
            )
            continue
        add(
            fail(
                "extra-file",
                f"{scope} file {name}: not in the attestation{hint}",
                path=name,
                actual=have[name].digests.get("sha256"),
                bundle=bundle,
            )
        )
    for name in sorted(want.keys() & have.keys()):
        check = _compare_one(want[name], have[name], scope, bundle)
        if check is not None:
            add(check)
    if not problems:
        return [passed("files", f"{len(want)} {scope} files match", bundle=bundle)]
    return _listed(problems, bundle)


def anomaly_checks(anomalies: Sequence[Any], *, scope: str = "model") -> list[Check]:
    """One failed check per anomaly on disk, named by its path (the id is its kind)."""
    problems: dict[str, list[Check]] = {}
    for item in anomalies:
        check = fail(item.kind, f"{scope} {item.path}: {item.detail}", path=item.path)
        problems.setdefault(item.kind, []).append(check)
    return _listed(problems, None)


def _listed(problems: Mapping[str, list[Check]], bundle: str | None) -> list[Check]:
    checks: list[Check] = []
    for kind in sorted(problems):
        listed = problems[kind]
        checks += listed[:MAX_LISTED]
        if len(listed) > MAX_LISTED:
            more = len(listed) - MAX_LISTED
            checks.append(fail(kind, f"... and {more} more {kind} failures", bundle=bundle))
    return checks


def _compare_one(want: Any, have: Any, scope: str, bundle: str | None) -> Check | None:
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
