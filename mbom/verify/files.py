"""Compare the files an attestation lists with the files on disk: changed, missing, extra.

Usage::

    from mbom.verify.files import compare_files, compare_sorted

    checks = compare_files(expected, tree.files, scope="model")        # any order, in memory
    checks = compare_sorted(manifest_entries, tree.files, scope="dataset train")  # streams

``expected`` items have ``path``, ``size`` (or None), ``digests`` (``sha256`` at least) and
``symlink`` (the recorded link target, or None); :class:`mbom.bom.subjects.ModelFile` fits.
Every difference is a failed check naming the file with full expected and actual hex digests
(:mod:`mbom.verify.file_checks`); a file that disappeared while another with its content
appeared is reported as a probable rename; a directory may not become a link. At most
:data:`MAX_LISTED` failures of one kind are listed, the rest counted in one more check.

:func:`compare_sorted` is a merge-join of two streams sorted by path (each path once), so a
dataset of ten million files is compared in memory that does not grow with it: what is kept
is the listed failures, a digest index for rename hints (capped at :data:`RENAME_INDEX`
entries a side; beyond it hints are best effort) and the links that may have replaced a
directory whose files are still to come. :func:`compare_files` sorts two in-memory lists
and runs the same join, so both give the same checks.

:func:`anomaly_checks` turns what the hashing walk could not hash
(:attr:`mbom.hashing.TreeDigest.anomalies`) into failed checks: the check id is the
anomaly's kind (``symlink-escape``, ``special-file``, ``file-name``, ``unreadable-file``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mbom.verify.checks import Check, fail, passed
from mbom.verify.file_checks import compare_one

#: At most this many failed checks of one kind are listed; the rest are counted.
MAX_LISTED = 200
#: Missing (and extra) files whose digests are remembered for rename hints.
RENAME_INDEX = 50_000
#: Phases, in the order their failures are listed within one kind.
_MISSING, _EXTRA, _BOTH = range(3)


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
    want = sorted({item.path: item for item in expected}.values(), key=_path)
    have = sorted({item.path: item for item in actual}.values(), key=_path)
    return compare_sorted(want, have, scope=scope, bundle=bundle)


def compare_sorted(
    expected: Iterable[Any],
    actual: Iterable[Any],
    *,
    scope: str,
    bundle: str | None = None,
) -> list[Check]:
    """:func:`compare_files` for two streams sorted by path, each path once (a merge-join)."""
    join = _Join(scope, bundle)
    wants, haves = _ordered(expected, "expected"), _ordered(actual, "actual")
    want, have = next(wants, None), next(haves, None)
    while want is not None or have is not None:
        if have is None or (want is not None and want.path < have.path):
            join.missing(want)
            want = next(wants, None)
        elif want is None or have.path < want.path:
            join.extra(have)
            have = next(haves, None)
        else:
            join.both(want, have)
            want, have = next(wants, None), next(haves, None)
    return join.checks()


def anomaly_checks(anomalies: Sequence[Any], *, scope: str = "model") -> list[Check]:
    """One failed check per anomaly on disk, named by its path (the id is its kind)."""
    problems: dict[str, list[Check]] = {}
    for item in anomalies:
        check = fail(item.kind, f"{scope} {item.path}: {item.detail}", path=item.path)
        problems.setdefault(item.kind, []).append(check)
    return _listed(problems, None)


def _path(item: Any) -> str:
    return item.path


def _item_path(item: Any) -> str:
    return item.path if isinstance(item, Check) else item[0]


def _ordered(items: Iterable[Any], side: str) -> Any:
    """``items``, refusing a path that is not after the one before (a join needs order)."""
    previous = None
    for item in items:
        if previous is not None and item.path <= previous:
            raise ValueError(f"{side} files not sorted by path: {item.path!r} after {previous!r}")
        previous = item.path
        yield item


class _Join:
    """What the merge-join keeps: the first failures of each kind, counts, rename hints."""

    def __init__(self, scope: str, bundle: str | None) -> None:
        self.scope, self.bundle = scope, bundle
        self.expected = 0
        self.counts: dict[str, int] = {}
        self.listed: dict[tuple[str, int], list[Any]] = {}
        # digest -> the last missing / extra file with it (what the in-memory dicts gave)
        self.missing_by_digest: dict[str, str] = {}
        self.extra_by_digest: dict[str, str] = {}
        # extra links that replaced a directory if missing files under them follow
        self.pending: list[Any] = []

    def _add(self, kind: str, phase: int, item: Any) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        listed = self.listed.setdefault((kind, phase), [])
        if phase == _EXTRA:  # a pending link is settled after later paths: keep path order
            bisect.insort(listed, item, key=_item_path)
            del listed[MAX_LISTED:]
        elif len(listed) < MAX_LISTED:
            listed.append(item)

    def missing(self, want: Any) -> None:
        self.expected += 1
        digest = want.digests["sha256"]
        self._remember(self.missing_by_digest, digest, want.path)
        if self.pending:
            self._resolve(want.path, missing=True)
        self._add("missing-file", _MISSING, (want.path, digest))

    def extra(self, have: Any) -> None:
        self._remember(self.extra_by_digest, have.digests.get("sha256"), have.path)
        if have.symlink is not None:
            self.pending.append(have)
        else:
            self._add("extra-file", _EXTRA, (have.path, have.digests.get("sha256")))

    def both(self, want: Any, have: Any) -> None:
        self.expected += 1
        if self.pending:
            self._resolve(want.path, missing=False)
        check = compare_one(want, have, self.scope, self.bundle)
        if check is not None:
            self._add(check.id, _BOTH, check)

    @staticmethod
    def _remember(index: dict[str, str], digest: Any, path: str) -> None:
        if digest in index or len(index) < RENAME_INDEX:
            index[digest] = path

    def _resolve(self, path: str, *, missing: bool) -> None:
        """Settle the pending links that ``path`` (the next expected file) decides."""
        still = []
        for link in self.pending:
            if missing and path.startswith(link.path + "/"):
                self._add("symlink", _EXTRA, self._replaced_directory(link))
            elif path >= link.path + "0":  # past every "link/..." path
                self._add("extra-file", _EXTRA, (link.path, link.digests.get("sha256")))
            else:
                still.append(link)
        self.pending = still

    def _replaced_directory(self, link: Any) -> Check:
        return fail(
            "symlink",
            f"{self.scope} directory {link.path}/: replaced by a symbolic link to {link.symlink!r}",
            path=link.path,
            expected="directory",
            actual=f"symlink -> {link.symlink}",
            bundle=self.bundle,
        )

    def checks(self) -> list[Check]:
        for link in self.pending:
            self._add("extra-file", _EXTRA, (link.path, link.digests.get("sha256")))
        self.pending = []
        if not self.counts:
            message = f"{self.expected} {self.scope} files match"
            return [passed("files", message, bundle=self.bundle)]
        problems = {}
        for kind in self.counts:
            items: list[Any] = []
            for phase in (_MISSING, _EXTRA, _BOTH):
                items += self.listed.get((kind, phase), ())
            problems[kind] = [self._check(kind, item) for item in items[:MAX_LISTED]]
        return _listed(problems, self.bundle, self.counts)

    def _check(self, kind: str, item: Any) -> Check:
        if isinstance(item, Check):
            return item
        name, digest = item
        scope, bundle = self.scope, self.bundle
        if kind == "missing-file":
            new = self.extra_by_digest.get(digest)
            hint = f" (renamed to {new!r}?)" if new else ""
            return fail(
                kind,
                f"{scope} file {name}: missing{hint}",
                path=name,
                expected=digest,
                bundle=bundle,
            )
        old = self.missing_by_digest.get(digest)
        renamed = old is not None and self.extra_by_digest.get(digest) == name
        hint = f" (same content as missing {old!r}: renamed?)" if renamed else ""
        return fail(
            kind,
            f"{scope} file {name}: not in the attestation{hint}",
            path=name,
            actual=digest,
            bundle=bundle,
        )


def _listed(
    problems: Mapping[str, list[Check]],
    bundle: str | None,
    totals: Mapping[str, int] | None = None,
) -> list[Check]:
    """Each kind's first MAX_LISTED failures (kinds in name order), then how many more."""
    checks: list[Check] = []
    for kind in sorted(problems):
        listed = problems[kind]
        checks += listed[:MAX_LISTED]
        total = totals[kind] if totals is not None else len(listed)
        if total > MAX_LISTED:
            more = total - MAX_LISTED
            checks.append(fail(kind, f"... and {more} more {kind} failures", bundle=bundle))
    return checks
