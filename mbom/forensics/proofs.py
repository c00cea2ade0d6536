"""Dataset inclusion proofs: "this file, with this content, is part of the dataset whose Merkle
root the (signed) BOM holds", checkable with only the proof and the BOM.

Usage::

    from mbom.forensics.proofs import make_proof, check_proof, load_proof

    proof = make_proof("data/train/shard-00042.bin", "bom.cdx.json", dataset="train")
    write_atomic("proof.json", proof.to_text())
    check_proof(load_proof("proof.json"), "bom.cdx.json")     # raises VerificationError on "no"

The leaf binds the file's path inside the dataset, its size and its SHA-256; the audit path is
the RFC 6962 / RFC 9162 inclusion proof into the dataset's directory digest
(docs/directory-digest.md), so a proof holds at most ceil(log2 n) hashes. Building a proof needs
the dataset's per-file digests (nested file components or the sidecar manifest beside the BOM),
never the other dataset files. The proof format is in docs/forensics.md and
schemas/inclusion-proof.schema.json.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mbom.bom.datasets import (
    LOCATION_PROPERTY,
    MAX_SIZE,
    DatasetFile,
    check_sha256_hex,
    data_components,
    dataset_entries,
    dataset_root,
    find_dataset,
    properties,
)
from mbom.errors import InputError, MalformedFileError, VerificationError

PROOF_TYPE = "https://mbom.dev/inclusion-proof/v1"
ALGORITHM = "sha256"


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """A file's membership in a dataset of a BOM: its leaf and the audit path to the root."""

    dataset: str
    serial_number: str | None
    bom_version: int | None
    root: str
    leaf: DatasetFile
    index: int
    tree_size: int
    audit_path: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON document (schemas/inclusion-proof.schema.json)."""
        return {
            "proofType": PROOF_TYPE,
            "algorithm": ALGORITHM,
            "bom": {"serialNumber": self.serial_number, "version": self.bom_version},
            "dataset": self.dataset,
            "root": self.root,
            "leaf": {
                "path": self.leaf.path,
                "size": self.leaf.size,
                "digest": self.leaf.digest,
                "kind": "symlink" if self.leaf.symlink else "file",
            },
            "index": self.index,
            "treeSize": self.tree_size,
            "auditPath": list(self.audit_path),
        }

    def to_text(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"

    @classmethod
    def from_json(cls, document: Any, *, source: str = "proof") -> InclusionProof:
        """Parse a proof document; anything malformed is one :class:`MalformedFileError`."""
        try:
            if document.get("proofType") != PROOF_TYPE or document["algorithm"] != ALGORITHM:
                raise ValueError(f"not an mbom inclusion proof ({PROOF_TYPE}, sha256)")
            leaf = document["leaf"]
            kind = leaf.get("kind", "file")
            if kind not in ("file", "symlink"):
                raise ValueError(f"leaf kind {kind!r}")
            entry = DatasetFile(
                str(leaf["path"]),
                _count(leaf["size"]),
                check_sha256_hex(leaf["digest"]),
                kind == "symlink",
            )
            bom = document.get("bom") or {}
            return cls(
                dataset=str(document["dataset"]),
                serial_number=bom.get("serialNumber"),
                bom_version=bom.get("version"),
                root=check_sha256_hex(document["root"]),
                leaf=entry,
                index=_count(document["index"]),
                tree_size=_count(document["treeSize"]),
                audit_path=tuple(check_sha256_hex(h) for h in document["auditPath"]),
            )
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise MalformedFileError(f"{source}: not a valid inclusion proof: {exc}") from None


def load_proof(path: str | os.PathLike[str]) -> InclusionProof:
    """Read a proof file written by :func:`make_proof` (``mbom prove``)."""
    from mbom.load import JsonSyntaxError, json_error, parse_json

    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            document = parse_json(handle.read(1024 * 1024))
    except FileNotFoundError:
        raise InputError(f"{name}: no such file", path=name) from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}", path=name) from None
    except JsonSyntaxError as exc:
        raise json_error(name, exc) from None
    return InclusionProof.from_json(document, source=name)


def file_leaf(path: str | os.PathLike[str], name_in_dataset: str) -> DatasetFile:
    """The leaf a file gives under ``name_in_dataset``: a file on disk (a symlink is not
    followed) or an object at a URL, hashed where it lives."""
    from mbom.hashing import hash_file
    from mbom.hashing._location import is_remote

    given = os.fspath(path)
    if is_remote(given):
        digest = hash_file(given)
        return DatasetFile(name_in_dataset, digest.size, digest.digests["sha256"])
    if os.path.islink(given):
        target = os.readlink(given).encode("utf-8", "surrogateescape")
        return DatasetFile(name_in_dataset, len(target), hashlib.sha256(target).hexdigest(), True)
    digest = hash_file(given)
    return DatasetFile(name_in_dataset, digest.size, digest.digests["sha256"])


def make_proof(
    file: str | os.PathLike[str],
    bom_path: str | os.PathLike[str],
    *,
    dataset: str | None = None,
    dataset_root_dir: str | os.PathLike[str] | None = None,
) -> InclusionProof:
    """Hash ``file``, locate it in a dataset of the BOM (or bundle) and prove its inclusion.

    The file's path inside the dataset is taken relative to ``dataset_root_dir``, else to the
    dataset's recorded location (``mbom:dataset:location``, relative to the working directory
    or to the BOM's folder). Raises :class:`VerificationError` when the file is not in the
    dataset or its content differs from what the BOM records.
    """
    from mbom.bom.parents import load_bom_or_bundle
    from mbom.hashing._location import is_remote

    location = os.fspath(bom_path)
    bom, _ = load_bom_or_bundle(location)
    bom_dir = os.path.dirname(os.path.abspath(location))
    given = os.fspath(file)
    root = None if dataset_root_dir is None else os.fspath(dataset_root_dir)
    if is_remote(given):
        component, name = _locate_remote(bom, given, dataset, root)
    else:
        component, root_dir = _locate(bom, bom_dir, given, dataset, root)
        from mbom.paths import relative_posix

        name = relative_posix(os.path.abspath(given), root_dir)
    return prove_leaf(bom, component, file_leaf(given, name), bom_dir=bom_dir)


def prove_leaf(
    bom: Mapping[str, Any],
    component: Mapping[str, Any],
    leaf: DatasetFile,
    *,
    bom_dir: str | os.PathLike[str] | None,
) -> InclusionProof:
    """Prove ``leaf`` is in the dataset ``component`` of ``bom`` (its recorded files are read).

    One streaming pass over the recorded files (a sidecar manifest line by line) gives the
    root and the audit path together, in memory logarithmic in the file count; nothing is
    concluded before the pass ends (the manifest's pinned digest is checked there).
    """
    from mbom.hashing.merkle import AuditPathBuilder, leaf_hash

    name = str(component.get("name"))
    root = dataset_root(component)
    files = dataset_entries(component, bom_dir=bom_dir)
    if root is None or files is None:
        missing = "Merkle root" if root is None else "per-file digests (manifest beside the BOM)"
        raise InputError(f"dataset {name!r}: the BOM has no {missing}; cannot prove inclusion")
    builder, recorded = AuditPathBuilder(ALGORITHM), None
    for entry in files:
        found = recorded is None and entry.path == leaf.path
        if found:
            recorded = entry
        digest = bytes.fromhex(entry.digest)
        hashed = leaf_hash(ALGORITHM, entry.path, entry.size, digest, symlink=entry.symlink)
        builder.add(hashed, target=found)
    rebuilt = builder.root().hex()
    if rebuilt != root:
        raise VerificationError(
            f"dataset {name!r}: the recorded files do not give the BOM's Merkle root",
            expected=root,
            actual=rebuilt,
        )
    if recorded is None:
        raise VerificationError(f"{leaf.path}: not a file of dataset {name!r}", path=leaf.path)
    if recorded != leaf:
        raise VerificationError(
            f"{leaf.path}: content differs from dataset {name!r} as the BOM records it",
            path=leaf.path,
            expected=f"size {recorded.size} sha256 {recorded.digest}",
            actual=f"size {leaf.size} sha256 {leaf.digest}",
        )
    audit = builder.proof()
    version = bom.get("version")
    return InclusionProof(
        dataset=name,
        serial_number=bom.get("serialNumber"),
        bom_version=version if isinstance(version, int) else None,
        root=root,
        leaf=leaf,
        index=audit.index,
        tree_size=audit.tree_size,
        audit_path=tuple(h.hex() for h in audit.hashes),
    )


def check_proof(
    proof: InclusionProof,
    bom: Mapping[str, Any],
    *,
    file: str | os.PathLike[str] | None = None,
) -> str:
    """Check ``proof`` against the root ``bom`` holds (and ``file``'s content); return the root.

    Needs neither the dataset nor its manifest. Raises :class:`VerificationError` when the
    proof does not hold: another BOM, an unknown dataset, a changed leaf or audit path.
    """
    from mbom.hashing.merkle import InclusionProof as AuditPath
    from mbom.hashing.merkle import leaf_hash, root_from_proof

    serial = bom.get("serialNumber")
    if proof.serial_number != serial:
        raise VerificationError(
            "the proof was made for another BOM",
            expected=str(proof.serial_number),
            actual=str(serial),
        )
    try:
        component = find_dataset(bom, proof.dataset)
    except InputError as exc:
        raise VerificationError(str(exc)) from None
    expected = dataset_root(component)
    if expected is None:
        raise VerificationError(f"dataset {proof.dataset!r}: the BOM records no Merkle root")
    leaf = proof.leaf
    if file is not None:
        actual = file_leaf(file, leaf.path)
        if actual != leaf:
            raise VerificationError(
                f"{os.fspath(file)}: content differs from the proof's leaf",
                path=os.fspath(file),
                expected=f"size {leaf.size} sha256 {leaf.digest}",
                actual=f"size {actual.size} sha256 {actual.digest}",
            )
    hashed = leaf_hash(
        ALGORITHM, leaf.path, leaf.size, bytes.fromhex(leaf.digest), symlink=leaf.symlink
    )
    path = AuditPath(
        proof.index, proof.tree_size, tuple(bytes.fromhex(h) for h in proof.audit_path)
    )
    try:
        computed = root_from_proof(ALGORITHM, hashed, path).hex()
    except ValueError as exc:
        raise VerificationError(f"inclusion proof does not hold: {exc}") from None
    if computed != expected:
        raise VerificationError(
            f"inclusion proof does not hold: {leaf.path} does not lead to the root of "
            f"dataset {proof.dataset!r} in the BOM",
            path=leaf.path,
            expected=expected,
            actual=computed,
        )
    return expected


def _locate(
    bom: Mapping[str, Any],
    bom_dir: str,
    file: str,
    wanted: str | None,
    root_dir: str | os.PathLike[str] | None,
) -> tuple[Mapping[str, Any], str]:
    """The dataset component to prove against and the folder the file's name is relative to."""
    if not os.path.lexists(file):
        raise InputError(f"{file}: no such file", path=file)
    if os.path.isdir(file) and not os.path.islink(file):
        raise InputError(f"{file}: is a directory; prove one file at a time", path=file)
    target = os.path.abspath(file)
    if wanted is not None:
        component = find_dataset(bom, wanted)
        folder = os.fspath(root_dir) if root_dir is not None else _folder(component, bom_dir)
        if folder is None:
            raise InputError(
                f"dataset {wanted!r} records no location here; give --dataset-root DIR"
            )
        return component, os.path.abspath(folder)
    found = []
    for component in data_components(bom):
        folder = os.fspath(root_dir) if root_dir is not None else _folder(component, bom_dir)
        if folder is not None and _inside(target, os.path.abspath(folder)):
            found.append((component, os.path.abspath(folder)))
    if len(found) != 1:
        why = "no dataset of the BOM contains" if not found else "several datasets contain"
        raise InputError(f"{why} {file}; name it with --dataset NAME (and --dataset-root DIR)")
    return found[0]


def _locate_remote(
    bom: Mapping[str, Any], url: str, wanted: str | None, root: str | None
) -> tuple[Mapping[str, Any], str]:
    """The dataset an object URL belongs to and its name in it (``root``: the dataset's URL).

    A dataset recorded at a URL (``mbom:dataset:location``) holds the objects under it; the
    object is hashed where it lives, never downloaded to disk.
    """
    from mbom.hashing._redact import display_url
    from mbom.paths import check_relative_name

    target = display_url(url)
    components = [find_dataset(bom, wanted)] if wanted is not None else data_components(bom)
    found = []
    for component in components:
        prefix = (root or properties(component).get(LOCATION_PROPERTY) or "").rstrip("/")
        if "://" in prefix and target.startswith(display_url(prefix) + "/"):
            found.append((component, target[len(display_url(prefix)) + 1 :]))
    if len(found) != 1:
        if wanted is not None:
            raise InputError(
                f"{target} is not under dataset {wanted!r}'s location; give --dataset-root URL"
            )
        why = "no dataset of the BOM is recorded above" if not found else "several datasets hold"
        raise InputError(f"{why} {target}; name it with --dataset NAME (and --dataset-root URL)")
    component, name = found[0]
    return component, check_relative_name(name)


def _folder(component: Mapping[str, Any], bom_dir: str) -> str | None:
    """The dataset's recorded location, as given or relative to the BOM's folder."""
    location = properties(component).get(LOCATION_PROPERTY)
    if not location or "://" in location:
        return None
    for candidate in (location, os.path.join(bom_dir, location)):
        if os.path.isdir(candidate):
            return candidate
    return None


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def _count(value: Any) -> int:
    """A size, index or tree size: a JSON integer that fits the u64 a Merkle leaf holds."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
        shown = repr(value) if not isinstance(value, int) or value < 10**30 else "a huge integer"
        raise ValueError(f"{shown} is not a non-negative 64-bit integer")
    return value
