"""OpenSSF Model Signing (OMS) v1.0 signatures, as written and read by ``model_signing``.

Usage::

    from mbom.attest.oms import sign_model, verify_model

    bundle = sign_model("tiny-model/", keys=[signing_key])   # write with bundles.write_bundle
    result = verify_model("tiny-model/", "tiny-model.sig", keys=["oms-key.pub"])

The statement has one subject (the model directory's name; sha256 over the concatenated raw
file digests, in manifest order) and the predicate ``https://model_signing/signature/v1.0``
with ``resources`` (name, algorithm, digest per file) and ``serialization`` (method ``files``,
``hash_type`` sha256, ``allow_symlinks`` false, ``ignore_paths``). Like ``model_signing``, the
top-level ``.git``, ``.github``, ``.gitattributes``, ``.gitignore`` and the signature file
itself are ignored; symbolic links are refused. Key bundles carry model_signing's key hint
(hex SHA-256 of the PEM public key), which ``model_signing verify key`` checks.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from mbom.attest.keyless import Keyless
from mbom.attest.keys import SigningKey
from mbom.attest.statement import Statement, Subject
from mbom.attest.verification import VerifiedBundle, verify_bundle
from mbom.errors import InputError, VerificationError

if TYPE_CHECKING:
    from mbom.hashing import TreeDigest

OMS_PREDICATE_TYPE = "https://model_signing/signature/v1.0"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")

#: Key types model_signing 1.1.1's key verifier checks: ECDSA on P-256/P-384/P-521
#: (``sign_ec_key._check_supported_ec_key``); it refuses Ed25519 and RSA keys.
OMS_KEY_TYPES = ("ecdsa-p256", "ecdsa-p384")
#: Ignored at the model root by model_signing's default (``ignore_git_paths``).
GIT_PATHS = (".git", ".gitattributes", ".github", ".gitignore")

__all__ = [
    "OMS_PREDICATE_TYPE",
    "ModelManifest",
    "VerifiedModel",
    "manifest_from_tree",
    "sign_model",
    "signed_manifest",
    "verify_model",
]


@dataclass(frozen=True, slots=True)
class ModelManifest:
    """The files of a model as model_signing's ``files`` serialization records them."""

    model_name: str
    files: tuple[tuple[str, str], ...]  # (name, sha256 hex), in manifest order
    ignore_paths: tuple[str, ...]

    @property
    def root_digest(self) -> str:
        """sha256 over the concatenated raw digests (the statement's subject digest)."""
        hasher = hashlib.sha256()
        for _name, digest in self.files:
            hasher.update(bytes.fromhex(digest))
        return hasher.hexdigest()

    def statement(self) -> Statement:
        predicate = {
            "serialization": {
                "method": "files",
                "hash_type": "sha256",
                "allow_symlinks": False,
                "ignore_paths": list(self.ignore_paths),
            },
            "resources": [
                {"name": name, "algorithm": "sha256", "digest": digest}
                for name, digest in self.files
            ],
        }
        subject = Subject(name=self.model_name, digest={"sha256": self.root_digest})
        return Statement(
            subjects=(subject,), predicate_type=OMS_PREDICATE_TYPE, predicate=predicate
        )


@dataclass(frozen=True, slots=True)
class VerifiedModel:
    """A model that matches a verified OMS signature."""

    signature: VerifiedBundle
    model_name: str
    files: int


def model_manifest(
    model_path: str | os.PathLike[str],
    *,
    ignore_paths: Sequence[str] = (),
    signature_path: str | os.PathLike[str] | None = None,
) -> ModelManifest:
    """Hash the model (no cache) the way model_signing does, ignoring what it ignores."""
    from mbom.hashing import hash_tree

    root = os.fspath(model_path)
    tree = hash_tree(root, cache=False, use_ignore=False)
    return manifest_from_tree(tree, ignore_paths=ignore_paths, signature_path=signature_path)


def manifest_from_tree(
    tree: TreeDigest,
    *,
    ignore_paths: Sequence[str] = (),
    signature_path: str | os.PathLike[str] | None = None,
) -> ModelManifest:
    """The OMS manifest of an already hashed model (``mbom verify`` hashes once for all)."""
    root = tree.path
    ignored = sorted({*GIT_PATHS, *ignore_paths, *signature_inside(root, signature_path)})
    links = [entry.path for entry in tree.files if entry.symlink is not None]
    if links:
        raise InputError(f"{root}: symbolic link {links[0]!r}: OMS signatures refuse symlinks")
    if tree.is_directory:
        files = [
            (entry.path, entry.digests["sha256"])
            for entry in tree.files
            if not oms_ignored(entry.path, ignored)
        ]
    else:  # model_signing names a single-file model's only resource "."; a PATH that is no
        # regular file has none (the verifier reports it as an anomaly, never a crash)
        files = [(".", entry.digests["sha256"]) for entry in tree.files[:1]]
    files.sort(key=lambda item: item[0].split("/"))  # pathlib order: component by component
    name = os.path.basename(os.path.abspath(root))
    return ModelManifest(model_name=name, files=tuple(files), ignore_paths=tuple(ignored))


def sign_model(
    model_path: str | os.PathLike[str],
    *,
    keys: Sequence[SigningKey] = (),
    keyless: Keyless | None = None,
    signature_path: str | os.PathLike[str] | None = None,
    ignore_paths: Sequence[str] = (),
    allow_non_oms_key: bool = False,
) -> dict[str, Any]:
    """An OMS signature bundle for the model (``signature_path`` is left out when inside it).

    Keys OMS verifiers cannot check (Ed25519, RSA) are refused unless ``allow_non_oms_key``:
    such a signature verifies only with mbom.
    """
    from mbom.attest._internal.hints import oms_hint
    from mbom.attest.signing import sign_statement

    if len(keys) > 1:
        raise InputError("an OMS signature takes one key: model_signing checks one signature")
    if keys and keys[0].key_type not in OMS_KEY_TYPES and not allow_non_oms_key:
        raise InputError(
            f"a {keys[0].key_type} key makes an OMS signature that model_signing cannot verify "
            f"(it checks only ECDSA P-256/P-384/P-521); use an {' or '.join(OMS_KEY_TYPES)} key, "
            "or --allow-non-oms-key for a signature only mbom verifies"
        )
    manifest = model_manifest(model_path, ignore_paths=ignore_paths, signature_path=signature_path)
    hint = oms_hint(keys[0].public_key) if keys else None
    return sign_statement(manifest.statement(), keys=keys, keyless=keyless, hint=hint)


def verify_model(
    model_path: str | os.PathLike[str],
    signature: str | os.PathLike[str] | Mapping[str, Any],
    **trust: Any,
) -> VerifiedModel:
    """Verify an OMS signature (``trust``: as :func:`verify_bundle`) and re-hash the model."""
    verified = verify_bundle(signature, **trust)
    statement = verified.statement
    if statement is None or statement.predicate_type != OMS_PREDICATE_TYPE:
        found = statement.predicate_type if statement else "none"
        raise VerificationError(
            f"not an OMS model signature (predicateType {found})",
            check="predicate type",
            expected=OMS_PREDICATE_TYPE,
            actual=found,
        )
    signed = signed_manifest(statement)
    signature_path = None if isinstance(signature, Mapping) else signature
    actual = model_manifest(
        model_path, ignore_paths=signed.ignore_paths, signature_path=signature_path
    )
    _compare(dict(signed.files), dict(actual.files))
    return VerifiedModel(signature=verified, model_name=signed.model_name, files=len(signed.files))


def signed_manifest(statement: Statement) -> ModelManifest:
    """The manifest an OMS statement signs, checked against its subject digest.

    Raises :class:`VerificationError` (``check`` ``statement``, or ``duplicate-subject``
    naming the path) for a malformed or inconsistent predicate, :class:`InputError` for a
    well-formed one mbom cannot re-hash (shards, another hash type, symlinks followed).
    """
    predicate = statement.predicate
    serialization, resources = predicate.get("serialization"), predicate.get("resources")
    ignore_paths = serialization.get("ignore_paths", []) if isinstance(serialization, dict) else 0
    if (
        not isinstance(resources, list)
        or not isinstance(ignore_paths, list)
        or not all(isinstance(r, dict) and {"name", "digest"} <= r.keys() for r in resources)
    ):
        raise VerificationError(
            "OMS predicate is malformed: needs serialization{ignore_paths: [...]} and "
            "resources[{name, algorithm, digest}]",
            check="statement",
        )
    files = tuple((str(r["name"]), str(r["digest"]).lower()) for r in resources)
    algorithms = {str(r.get("algorithm")) for r in resources}
    ignore = tuple(str(p) for p in ignore_paths)
    if len(statement.subjects) != 1:
        raise VerificationError(
            f"an OMS statement has one subject, this one {len(statement.subjects)}",
            check="statement",
        )
    if serialization.get("method") != "files" or algorithms - {"sha256"}:
        raise InputError(
            f"unsupported OMS serialization {serialization.get('method')!r} / {algorithms}: "
            "mbom re-hashes 'files' with sha256"
        )
    if serialization.get("allow_symlinks"):
        raise InputError("OMS signatures that follow symlinks are not supported")
    seen: set[str] = set()
    for name, digest in files:
        if not _SHA256_HEX.fullmatch(digest):
            raise VerificationError(
                f"OMS resource {name!r}: digest is not a hex SHA-256", check="statement", path=name
            )
        if oms_name(name) in seen:
            raise VerificationError(
                f"OMS resource {name!r} is listed twice", check="duplicate-subject", path=name
            )
        seen.add(oms_name(name))
    manifest = ModelManifest(statement.subjects[0].name, files, ignore)
    subject = statement.subjects[0].digest.get("sha256")
    if manifest.root_digest != subject:
        raise VerificationError(
            "OMS subject digest does not match the listed resources",
            check="statement",
            expected=subject,
            actual=manifest.root_digest,
        )
    return manifest


def _compare(signed: dict[str, str], actual: dict[str, str]) -> None:
    for name in sorted(signed.keys() | actual.keys()):
        expected, found = signed.get(name), actual.get(name)
        if expected == found:
            continue
        what = "missing" if found is None else "not signed" if expected is None else "changed"
        raise VerificationError(
            f"model file {name!r} is {what}",
            check="model file",
            path=name,
            expected=expected,
            actual=found,
        )


def oms_ignored(name: str, ignore_paths: Sequence[str]) -> bool:
    """model_signing's rule, exactly: ``name`` is an ignore path or lies under one.

    Paths compare as ``pathlib`` does (``./a``, ``a/`` and ``a//`` are ``a``; ``.`` is the
    whole model); absolute paths and paths with ``..`` never match, as in model_signing,
    which drops the former and compares the latter lexically.
    """
    parts = PurePosixPath(name).parts
    for path in ignore_paths:
        ignored = PurePosixPath(path)
        if ignored.is_absolute() or ".." in ignored.parts:
            continue
        if parts[: len(ignored.parts)] == ignored.parts:
            return True
    return False


def oms_name(name: str) -> str:
    """A resource name as model_signing compares it (a ``pathlib`` path)."""
    return str(PurePosixPath(name))


def signature_inside(root: str, path: str | os.PathLike[str] | None) -> list[str]:
    """The signature path relative to the model root, when it lies inside (else empty)."""
    if path is None:
        return []
    rel = os.path.relpath(os.path.abspath(os.fspath(path)), os.path.abspath(root))
    return [] if rel == ".." or rel.startswith(("../", "..\\")) else [rel.replace(os.sep, "/")]
