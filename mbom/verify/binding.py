"""Bind an attestation to PATH: re-hashed files compared with what the statement lists.

Usage::

    from mbom.verify.binding import attestation_kind, bind

    kind = attestation_kind(statement)               # "mbom", "oms" or "in-toto"
    bound = bind(statement, kind, model, bundle="b.sigstore.json")
    bound.checks, bound.covered, bound.whole

Three shapes of statement are understood (docs/verify.md):

* **mbom** -- subjects are every model file: each is compared, and files on disk that no
  subject lists are extra (a model directory may not grow a file silently);
* **oms** -- an OpenSSF Model Signing manifest: the same, in model_signing's rules and
  nothing more (its ignore paths, the top-level ``.git*`` and the signature file left out;
  files mbom's default walk skips are looked at too, as model_signing looks at them);
* **in-toto** (SLSA provenance and any other predicate) -- for a single file, some subject
  must carry its SHA-256; for a directory, each subject must name a file with that digest.

Whatever the kind, duplicate subject names fail, every digest algorithm given is checked,
and :class:`Binding` says which files the attestation vouches for and whether that is the
whole model: an in-toto statement listing only some files never makes a model verified on
its own (:mod:`mbom.verify.coverage`).
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from mbom.errors import InputError, SymlinkEscapeError, UnreadableFileError, VerificationError
from mbom.verify.checks import Check, fail, passed, skipped
from mbom.verify.digests import check_digest_sets, subject_pairs
from mbom.verify.files import MAX_LISTED, compare_files, under

MBOM, OMS, IN_TOTO, MESSAGE = "mbom", "oms", "in-toto", "message"
SLSA_PREFIX = "https://slsa.dev/provenance/"


@dataclass(frozen=True, slots=True)
class ModelOnDisk:
    """PATH hashed once: its tree, and the bundle files that sit inside it (never judged)."""

    tree: Any  # mbom.hashing.TreeDigest
    inside: tuple[str, ...] = ()  # bundle paths relative to PATH

    @property
    def files(self) -> tuple[Any, ...]:
        return tuple(f for f in self.tree.files if f.path not in self.inside)

    def sha256(self) -> str | None:
        """The digest of PATH when it is a single file."""
        if self.tree.is_directory or not self.tree.files:  # fs: unreadable/special PATH
            return None
        return self.tree.files[0].digests["sha256"]


@dataclass(frozen=True, slots=True)
class Binding:
    """What binding one attestation proved.

    ``covered``: the model files (paths as in :attr:`ModelOnDisk.files`) whose bytes this
    attestation vouches for -- empty unless every binding check passed. ``whole``: the
    attestation speaks for the whole model (every file is covered or left out by the
    attestation's own signed rules: a BOM's recorded ignore paths, OMS ignore paths).
    """

    checks: tuple[Check, ...]
    covered: tuple[str, ...] = ()
    whole: bool = False

    @property
    def passed(self) -> bool:
        return not any(check.failed for check in self.checks)


def attestation_kind(statement: Any) -> str:
    from mbom.attest.oms import OMS_PREDICATE_TYPE

    if statement is None:
        return MESSAGE
    if statement.is_bom:
        return MBOM
    if statement.predicate_type == OMS_PREDICATE_TYPE:
        return OMS
    return IN_TOTO


def describe_kind(kind: str, predicate_type: str | None) -> str:
    names = {MBOM: "MBOM", OMS: "OMS model signature", MESSAGE: "message signature"}
    if kind == IN_TOTO and predicate_type and predicate_type.startswith(SLSA_PREFIX):
        return f"SLSA provenance ({predicate_type})"
    name = names.get(kind, "in-toto attestation")
    return f"{name} ({predicate_type})" if predicate_type else name


def bind(
    statement: Any,
    kind: str,
    model: ModelOnDisk,
    *,
    bundle: str,
    bom_files: Sequence[Any] = (),
    recorded_ignored: Sequence[str] = (),
) -> Binding:
    """Bind ``statement`` to the files of ``model``."""
    if kind == MBOM:
        return _bind_mbom(statement, model, bundle, bom_files, recorded_ignored)
    if kind == OMS:
        return _bind_oms(statement, model, bundle)
    if kind == IN_TOTO:
        return _bind_subjects(statement, model, bundle)
    return Binding(checks=())  # a message signature: see bind_message


def bind_message(model: ModelOnDisk, verified: bool) -> Binding:
    """A message signature binds by its ``message-digest`` check: one file, when verified."""
    if not verified or model.tree.is_directory or not model.tree.files:
        return Binding(checks=())  # (no files: PATH is not a regular file, an anomaly fails it)
    return Binding(checks=(), covered=(model.tree.files[0].path,), whole=True)


def _done(checks: Sequence[Check], covered: Sequence[str], whole: bool) -> Binding:
    """Covers nothing unless every check passed: a failed bundle vouches for no file."""
    ok = not any(check.failed for check in checks)
    return Binding(tuple(checks), tuple(covered) if ok else (), ok and whole)


def duplicate_subjects(names: Sequence[str], bundle: str) -> list[Check]:
    """One failed check per name listed more than once (never "the last one wins")."""
    counts = Counter(names)
    twice = sorted(name for name, count in counts.items() if count > 1)
    return [
        fail(
            "duplicate-subject",
            f"subject {name!r} is listed {counts[name]} times with possibly different digests",
            path=name,
            bundle=bundle,
        )
        for name in twice[:MAX_LISTED]
    ]


def _expected(
    name: str,
    sha256: str,
    size: int | None = None,
    link: str | None = None,
    mode: str | None = None,
) -> Any:
    from mbom.bom.subjects import ModelFile

    return ModelFile(path=name, size=size, digests={"sha256": sha256}, symlink=link, mode=mode)


def _no_sha256(subjects: Sequence[Any], bundle: str) -> list[Check]:
    return [
        fail("subjects", f"subject {s.name!r} has no sha256", path=s.name, bundle=bundle)
        for s in subjects
        if "sha256" not in s.digest
    ][:MAX_LISTED]


def _bind_mbom(
    statement: Any,
    model: ModelOnDisk,
    bundle: str,
    bom_files: Sequence[Any],
    recorded_ignored: Sequence[str],
) -> Binding:
    subjects = statement.subjects
    problems = duplicate_subjects([s.name for s in subjects], bundle) + _no_sha256(subjects, bundle)
    if problems:
        return Binding(tuple(problems))
    recorded = {item.path: item for item in bom_files}
    expected = []
    for subject in subjects:
        item = recorded.get(subject.name)
        expected.append(
            _expected(
                subject.name,
                subject.digest["sha256"],
                item.size if item is not None else None,
                item.symlink if item is not None else None,
                item.mode if item is not None else None,  # fs workstream: recorded mbom:mode
            )
        )
    actual = [f for f in model.files if not under(f.path, recorded_ignored)]
    if not model.tree.is_directory and len(expected) == 1 and model.tree.files:
        actual = [f._replace(path=expected[0].path) for f in actual]  # a file's own name
        subjects = [replace(subjects[0], name=model.tree.files[0].path)]
    checks = compare_files(expected, actual, scope="model", bundle=bundle)
    checks += check_digest_sets(
        subject_pairs(subjects, model.files), model.tree.path, bundle=bundle
    )
    return _done(checks, [f.path for f in model.files if not under(f.path, recorded_ignored)], True)


def _bind_oms(statement: Any, model: ModelOnDisk, bundle: str) -> Binding:
    from mbom.attest.oms import manifest_from_tree, oms_name, signed_manifest
    from mbom.hashing import FileDigest

    try:
        signed = signed_manifest(statement)
        seen = _oms_tree(model, (*signed.ignore_paths,), bundle)
        actual = manifest_from_tree(seen, ignore_paths=signed.ignore_paths, signature_path=bundle)
    except VerificationError as exc:
        check = fail(exc.check or "statement", exc.message, path=exc.path, bundle=bundle)
        return Binding((check,))
    except (SymlinkEscapeError, UnreadableFileError) as exc:
        kind = "symlink" if isinstance(exc, SymlinkEscapeError) else "unreadable-file"
        return Binding((fail(kind, exc.message, path=exc.path, bundle=bundle),))
    except InputError as exc:  # a link model_signing refuses, or a serialization mbom lacks
        kind = "symlink" if "symbolic link" in exc.message else "statement"
        return Binding((fail(kind, exc.message, path=exc.path, bundle=bundle),))
    expected = [_expected(oms_name(name), digest) for name, digest in signed.files]
    files = [FileDigest(name, 0, {"sha256": digest}) for name, digest in actual.files]
    checks = compare_files(expected, files, scope="model", bundle=bundle)
    if not model.tree.is_directory:  # model_signing names a single file "." (none: no file)
        return _done(checks, [f.path for f in model.tree.files], True)
    on_disk = {f.path for f in model.files}
    return _done(checks, [name for name, _ in actual.files if name in on_disk], True)


def _oms_tree(model: ModelOnDisk, ignore_paths: Sequence[str], bundle: str) -> Any:
    """The tree as model_signing walks it: what mbom's default walk skipped added back.

    model_signing hashes every file but the top-level ``.git*`` paths, its ignore paths and
    the signature; it refuses a symbolic link or special file anywhere, even inside an
    ignored directory. Files the default walk skipped (``.hg/``, ``*.cdx.json`` ...) are
    therefore walked here; OMS-ignored ones only for links and special files.
    """
    from mbom.attest.oms import GIT_PATHS, oms_ignored, signature_inside

    tree = model.tree
    if not tree.is_directory or not tree.ignored:
        return tree
    skip = (*GIT_PATHS, *ignore_paths, *signature_inside(tree.path, bundle))
    extra = []
    for rel in tree.ignored:
        extra += _ignored_entries(tree.path, rel.rstrip("/"), lambda name: oms_ignored(name, skip))
    files = tuple(sorted((*tree.files, *extra), key=lambda entry: entry.path))
    return replace(tree, files=files)


def _ignored_entries(root: str, rel: str, oms_skips: Any) -> list[Any]:
    """FileDigests under one path the default walk skipped (links recorded, never followed)."""
    from mbom.hashing import FileDigest, hash_file, hash_tree
    from mbom.hashing._walk import walk_tree

    path = os.path.join(root, *rel.split("/"))
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            return [FileDigest(rel, 0, {}, symlink=os.readlink(path))]
    except OSError as exc:
        raise UnreadableFileError(f"{path}: {exc.strerror}", path=rel) from exc
    if stat.S_ISREG(info.st_mode):
        return [] if oms_skips(rel) else [hash_file(path)._replace(path=rel)]
    if not stat.S_ISDIR(info.st_mode):
        raise UnreadableFileError(
            f"{rel}: not a regular file, directory or symbolic link (model_signing refuses it)",
            path=rel,
        )
    try:
        if oms_skips(rel):  # model_signing still refuses links and special files in there
            walk = walk_tree(path, use_ignore=False)
            return [FileDigest(f"{rel}/{name}", 0, {}, symlink=t) for name, t in walk.links]
        sub = hash_tree(path, cache=False, use_ignore=False)
    except SymlinkEscapeError as exc:  # the walk names it from rel: name it from PATH
        raise SymlinkEscapeError(f"{rel}/{exc.path}", exc.target) from exc
    found = [entry._replace(path=f"{rel}/{entry.path}") for entry in sub.files]
    return [entry for entry in found if entry.symlink is not None or not oms_skips(entry.path)]


def _bind_subjects(statement: Any, model: ModelOnDisk, bundle: str) -> Binding:
    subjects = statement.subjects
    duplicates = duplicate_subjects([s.name for s in subjects], bundle)
    digest = model.sha256()
    if digest is not None:
        match = statement.subject_for(digest)
        if match is None:
            names = ", ".join(repr(s.name) for s in subjects[:5])
            check = fail(
                "subject",
                f"no subject of the statement ({names}) has the file's SHA-256",
                actual=digest,
                bundle=bundle,
            )
            return Binding((*duplicates, check))
        entry = model.tree.files[0]
        checks = [
            *duplicates,
            passed(
                "subject", f"subject {match.name!r} is the file (sha256 {digest})", bundle=bundle
            ),
            *check_digest_sets([(match, entry)], model.tree.path, bundle=bundle),
        ]
        return _done(checks, [entry.path], True)
    problems = duplicates + _no_sha256(subjects, bundle)
    if problems:
        return Binding(tuple(problems))
    names = {s.name for s in subjects}
    expected = [_expected(s.name, s.digest["sha256"]) for s in subjects]
    listed = [f for f in model.files if f.path in names]
    checks = compare_files(expected, listed, scope="model", bundle=bundle)
    checks += check_digest_sets(subject_pairs(subjects, listed), model.tree.path, bundle=bundle)
    unlisted = [f.path for f in model.files if f.path not in names]
    if unlisted:
        checks.append(
            skipped(
                "coverage",
                f"the statement lists {len(listed)} of {len(model.files)} model files "
                f"(not {unlisted[0]!r}...): it vouches for those only, never for the model",
                bundle=bundle,
            )
        )
    else:
        checks.append(passed("coverage", "the statement lists every model file", bundle=bundle))
    return _done(checks, [f.path for f in listed], not unlisted)
