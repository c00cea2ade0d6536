"""Bind an attestation to PATH: re-hashed files compared with what the statement lists.

Usage::

    from mbom.verify.binding import attestation_kind, bind

    kind = attestation_kind(statement)               # "mbom", "oms" or "in-toto"
    checks = bind(statement, kind, model, bundle="b.sigstore.json")

Three shapes of statement are understood (docs/verify.md):

* **mbom** -- subjects are every model file: each is compared, and files on disk that no
  subject lists are extra (a model directory may not grow a file silently);
* **oms** -- an OpenSSF Model Signing manifest: the same, in model_signing's rules
  (its ignore paths, ``.git*`` and the signature file left out);
* **in-toto** (SLSA provenance and any other predicate) -- for a single file, some subject
  must carry its SHA-256; for a directory, each subject must name a file with that digest
  (such statements do not claim to list the whole model, so extra files are not judged).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mbom.errors import InputError, MbomError, VerificationError
from mbom.verify.checks import Check, fail, passed, skipped
from mbom.verify.files import compare_files, under

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
) -> list[Check]:
    """Checks binding ``statement`` to the files of ``model``."""
    if kind == MBOM:
        return _bind_mbom(statement, model, bundle, bom_files, recorded_ignored)
    if kind == OMS:
        return _bind_oms(statement, model, bundle)
    if kind == IN_TOTO:
        return _bind_subjects(statement, model, bundle)
    return []  # a message signature is bound by its signature check (message-digest)


def _expected(
    name: str,
    sha256: str,
    size: int | None = None,
    link: str | None = None,
    mode: str | None = None,
) -> Any:
    from mbom.bom.subjects import ModelFile

    return ModelFile(path=name, size=size, digests={"sha256": sha256}, symlink=link, mode=mode)


def _bind_mbom(
    statement: Any,
    model: ModelOnDisk,
    bundle: str,
    bom_files: Sequence[Any],
    recorded_ignored: Sequence[str],
) -> list[Check]:
    recorded = {item.path: item for item in bom_files}
    expected = []
    for subject in statement.subjects:
        digest = subject.digest.get("sha256")
        if digest is None:
            return [fail("subjects", f"subject {subject.name!r} has no sha256", bundle=bundle)]
        item = recorded.get(subject.name)
        expected.append(
            _expected(
                subject.name,
                digest,
                item.size if item is not None else None,
                item.symlink if item is not None else None,
                item.mode if item is not None else None,  # fs workstream: recorded mbom:mode
            )
        )
    actual = [f for f in model.files if not under(f.path, recorded_ignored)]
    if not model.tree.is_directory and len(expected) == 1:
        actual = [f._replace(path=expected[0].path) for f in actual]  # a file's own name
    return compare_files(expected, actual, scope="model", bundle=bundle)


def _bind_oms(statement: Any, model: ModelOnDisk, bundle: str) -> list[Check]:
    from mbom.attest.oms import manifest_from_tree, signed_manifest
    from mbom.hashing import FileDigest

    try:
        signed = signed_manifest(statement)
        actual = manifest_from_tree(model.tree, ignore_paths=(*signed.ignore_paths, *model.inside))
    except VerificationError as exc:
        return [fail("statement", exc.message, bundle=bundle)]
    except InputError as exc:
        return [
            fail(
                "symlink" if "symbolic link" in exc.message else "statement",
                exc.message,
                bundle=bundle,
            )
        ]
    have = dict(actual.files)
    for name, _digest in signed.files:
        if name not in have and model.tree.is_directory:
            found = _hash_ignored(model.tree.path, name, model.tree.ignored)
            if found is not None:
                have[name] = found
    expected = [_expected(name, digest) for name, digest in signed.files]
    files = [FileDigest(name, 0, {"sha256": digest}) for name, digest in have.items()]
    return compare_files(expected, files, scope="model", bundle=bundle)


def _hash_ignored(root: str, name: str, ignored: Sequence[str]) -> str | None:
    """A file the default walk left out (e.g. ``*.cdx.json``) that an OMS manifest lists."""
    from mbom.hashing import hash_file

    path = os.path.join(root, *name.split("/"))
    if not under(name, ignored) and not any(name.startswith(p) for p in ignored):
        return None
    if os.path.islink(path) or not os.path.isfile(path):
        return None
    try:
        return hash_file(path).digests["sha256"]
    except MbomError:
        return None


def _bind_subjects(statement: Any, model: ModelOnDisk, bundle: str) -> list[Check]:
    digest = model.sha256()
    if digest is not None:
        match = statement.subject_for(digest)
        if match is None:
            names = ", ".join(repr(s.name) for s in statement.subjects[:5])
            return [
                fail(
                    "subject",
                    f"no subject of the statement ({names}) has the file's SHA-256",
                    actual=digest,
                    bundle=bundle,
                )
            ]
        return [
            passed(
                "subject", f"subject {match.name!r} is the file (sha256 {digest})", bundle=bundle
            )
        ]
    expected = [
        _expected(s.name, s.digest["sha256"]) for s in statement.subjects if "sha256" in s.digest
    ]
    if not expected:
        return [fail("subject", "no subject has a sha256 digest", bundle=bundle)]
    names = {item.path for item in expected}
    checks = compare_files(
        expected, [f for f in model.files if f.path in names], scope="model", bundle=bundle
    )
    checks.append(
        skipped(
            "extra-files",
            "this statement does not claim to list the whole model: extra files not judged",
            bundle=bundle,
        )
    )
    return checks
