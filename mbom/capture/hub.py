"""Models and datasets from the Hugging Face Hub, resolved to a snapshot in the local cache.

Usage::

    from mbom.capture.hub import resolve_snapshot, check_oids

    snapshot = resolve_snapshot("sentence-transformers/all-MiniLM-L6-v2@main")
    snapshot.path        # .../models--sentence-transformers--all-MiniLM-L6-v2/snapshots/<commit>
    snapshot.revision    # the commit hash (the snapshot folder's name)
    tree = hash_tree(snapshot.path, follow_symlinks_within=snapshot.repo_dir)
    checks = check_oids(snapshot, tree)   # each file against the oid the Hub recorded

Resolution goes through huggingface_hub's ``snapshot_download`` (imported lazily): the local
cache first, a download only when the network is allowed (``HF_HUB_OFFLINE=1`` keeps it
offline). A cache snapshot's files are links to ``../../blobs/<oid>``, where the oid is the
Hub's ETag for the file: the SHA-256 of an LFS file, the git blob id (SHA-1 of ``blob <size>\\0``
+ content) of a small one. :func:`check_oids` compares every file with its oid, so a blob
corrupted or replaced in the cache is reported. Layout and decisions:
docs/integrations/huggingface.md.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from mbom._log import warn
from mbom.errors import InputError
from mbom.hashing import TreeDigest

if TYPE_CHECKING:
    from mbom.capture.datasets import DatasetRecord, DatasetSpec
    from mbom.capture.model import ModelRecord

#: ``hf://datasets/ORG/NAME[@REV]``: a dataset on the Hub, as ``--dataset`` takes it.
DATASET_PREFIX = "hf://datasets/"
HUB_URL = "https://huggingface.co"
_REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True, slots=True)
class OidCheck:
    """One file against the Hub's record: ``match`` is None when there is no oid to compare."""

    path: str
    oid: str | None
    match: bool | None


@dataclass(frozen=True, slots=True)
class HubSnapshot:
    """A repository at one commit, in the local cache."""

    repo_id: str
    repo_type: str
    """``model`` or ``dataset``."""
    revision: str
    """The commit hash."""
    requested: str | None
    """The revision asked for (a branch, tag or commit), None for the default branch."""
    path: str
    """The snapshot folder."""
    repo_dir: str
    """The repository's cache folder (``models--ORG--NAME``), which holds ``blobs/``."""
    oids: Mapping[str, str]
    """POSIX path in the snapshot -> the blob (oid) it links to."""

    @property
    def uri(self) -> str:
        kind = "datasets/" if self.repo_type == "dataset" else ""
        return f"hf://{kind}{self.repo_id}@{self.revision}"

    @property
    def url(self) -> str:
        kind = "datasets/" if self.repo_type == "dataset" else ""
        return f"{HUB_URL}/{kind}{self.repo_id}/tree/{self.revision}"


@dataclass(frozen=True, slots=True)
class HubSource:
    """Where a captured model or dataset came from, and how its files compared (for the BOM)."""

    snapshot: HubSnapshot
    checks: tuple[OidCheck, ...]

    @property
    def mismatches(self) -> tuple[str, ...]:
        return tuple(check.path for check in self.checks if check.match is False)

    def check_for(self, path: str) -> OidCheck | None:
        return next((check for check in self.checks if check.path == path), None)


def parse_reference(text: str) -> tuple[str, str | None]:
    """``ORG/NAME[@REVISION]`` -> (repo id, revision or None)."""
    repo_id, _, revision = text.partition("@")
    if not _REPO_ID.match(repo_id) or ".." in repo_id or (revision == "" and "@" in text):
        raise InputError(f"--hf {text!r}: expected ORG/NAME or ORG/NAME@REVISION")
    return repo_id, revision or None


def resolve_snapshot(reference: str, repo_type: str = "model") -> HubSnapshot:
    """The cached snapshot of ``REPO[@REVISION]``, downloaded first when the network allows."""
    repo_id, revision = parse_reference(reference)
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    label = f"{'dataset ' if repo_type == 'dataset' else ''}{reference}"
    try:
        path = snapshot_download(repo_id, repo_type=repo_type, revision=revision)
    except LocalEntryNotFoundError:
        raise InputError(
            f"--hf {label}: not in the Hugging Face cache and the Hub cannot be reached "
            "(HF_HUB_OFFLINE set or no network); download it first or pass --model PATH"
        ) from None
    except (HfHubHTTPError, OSError, ValueError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise InputError(f"--hf {label}: cannot resolve: {detail}") from None
    snapshot = os.path.abspath(path)
    repo_dir = os.path.dirname(os.path.dirname(snapshot))
    return HubSnapshot(
        repo_id=repo_id,
        repo_type=repo_type,
        revision=os.path.basename(snapshot),
        requested=revision,
        path=snapshot,
        repo_dir=repo_dir,
        oids=blob_oids(snapshot, repo_dir),
    )


def blob_oids(snapshot: str, repo_dir: str) -> dict[str, str]:
    """Each file of the snapshot that links into ``repo_dir/blobs`` -> the blob's name."""
    blobs = os.path.realpath(os.path.join(repo_dir, "blobs"))
    found = {}
    for directory, _, names in os.walk(snapshot):
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.islink(path):
                continue
            target = os.path.realpath(path)
            if os.path.dirname(target) == blobs:
                rel = os.path.relpath(path, snapshot).replace(os.sep, "/")
                found[rel] = os.path.basename(target)
    return found


def check_oids(snapshot: HubSnapshot, tree: TreeDigest) -> HubSource:
    """Compare every hashed file with the oid the Hub recorded; warn about each mismatch."""
    checks = []
    for entry in tree.files:
        oid = snapshot.oids.get(entry.path)
        match = None
        if oid is not None and _SHA256.match(oid):
            match = entry.digests.get("sha256") == oid
        elif oid is not None and _SHA1.match(oid):
            match = git_blob_id(os.path.join(snapshot.path, entry.path)) == oid
        if match is False:
            warn(
                "%s: %s does not match the Hub's recorded oid %s (corrupted or replaced in "
                "the cache?)",
                snapshot.repo_id,
                entry.path,
                oid,
            )
        checks.append(OidCheck(entry.path, oid, match))
    return HubSource(snapshot=snapshot, checks=tuple(checks))


def git_blob_id(path: str) -> str:
    """The git object id of a file: SHA-1 over ``blob <size>\\0`` and the content.

    An identifier the Hub uses for small (non-LFS) files, computed only to compare with it;
    the digests a BOM records come from :mod:`mbom.hashing`.
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        digest = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def dataset_reference(location: str) -> str | None:
    """``hf://datasets/ORG/NAME[@REV]`` -> ``ORG/NAME[@REV]``; None for any other location."""
    return location[len(DATASET_PREFIX) :] if location.startswith(DATASET_PREFIX) else None


def capture_hub_model(
    reference: str,
    *,
    algorithms: tuple[str, ...],
    cache: bool = True,
    jobs: int | None = None,
) -> ModelRecord:
    """Resolve ``REPO[@REVISION]``, hash its snapshot and compare it with the Hub's oids."""
    from mbom.capture.model import capture_model

    snapshot = resolve_snapshot(reference)
    model = capture_model(
        snapshot.path,
        algorithms=algorithms,
        cache=cache,
        jobs=jobs,
        follow_symlinks_within=snapshot.repo_dir,
    )
    return replace(model, name=snapshot.repo_id, hub=check_oids(snapshot, model.tree))


def capture_hub_dataset(
    spec: DatasetSpec,
    *,
    algorithms: tuple[str, ...],
    cache: bool = True,
    jobs: int | None = None,
) -> DatasetRecord:
    """Resolve an ``hf://datasets/ORG/NAME[@REV]`` dataset and capture it like a local one."""
    from mbom.capture.datasets import capture_dataset

    reference = dataset_reference(spec.location)
    assert reference is not None
    snapshot = resolve_snapshot(reference, repo_type="dataset")
    local = type(spec)(name=spec.name, location=snapshot.path)
    record = capture_dataset(
        local,
        algorithms=algorithms,
        cache=cache,
        jobs=jobs,
        follow_symlinks_within=snapshot.repo_dir,
    )
    assert record.tree is not None
    return replace(record, location=snapshot.uri, hub=check_oids(snapshot, record.tree))
