"""Which exact object version each remote file's digest describes, as a BOM records it.

Usage::

    from mbom.bom.versions import recorded_versions, version_properties, write_versions

    version_properties(entry.version)   # [("mbom:object:versionId", "3HL4k..."), ...]
    write_versions(tree)                # the versions sidecar (a temporary file), or None

A digest says what the bytes were; the version says where to fetch exactly those bytes again
(S3 VersionId / ETag, GCS generation, Hub commit; names from
``mbom.hashing._location.VERSION_FIELDS``). Versions are kept apart from the digests on
purpose: the dataset's Merkle root and its sidecar manifest are byte-identical whether the
files were hashed locally, from an object store or on a cluster (docs/scale.md), so a remote
dataset's versions go to a second sidecar, ``STEM.NAME.cdx.versions.jsonl``, pinned in the
BOM by its SHA-256 like the manifest; a file component carries them as properties.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

#: Property prefix of one version field on a file component.
PREFIX = "mbom:object:"
VERSIONS_PROPERTY = "mbom:versions"
VERSIONS_DIGEST_PROPERTY = "mbom:versions:sha256"
SUFFIX = ".cdx.versions.jsonl"

Version = tuple[tuple[str, str], ...] | None


def version_properties(version: Version) -> list[tuple[str, object]]:
    """A file component's properties for ``version`` (none for a local file)."""
    return [(PREFIX + name, value) for name, value in version or ()]


def write_versions(tree: object) -> object | None:
    """The versions sidecar of a tree whose files carry versions (a temporary
    :class:`~mbom.bom.dataset_components.ManifestFile`), streamed; None for a local tree.

    One JSON line per file, sorted by path: ``{"path": ..., "versionId": ..., "etag": ...}``.
    """
    import hashlib
    import os
    import tempfile

    from mbom.bom.dataset_components import ManifestFile

    files = tree.files  # type: ignore[attr-defined]
    if not any(entry.version for entry in files[:1]) and not any(e.version for e in files):
        return None
    fd, path = tempfile.mkstemp(prefix="mbom-versions-", suffix=".jsonl")
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as handle:
            for entry in files:
                if not entry.version:
                    continue
                row = {"path": entry.path, **dict(entry.version)}
                line = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
                handle.write(line)
                digest.update(line)
                size += len(line)
    except BaseException:
        os.unlink(path)
        raise
    return ManifestFile(path, digest.hexdigest(), size)


def recorded_versions(component: Mapping[str, object]) -> dict[str, str]:
    """The version fields recorded on one file component (name -> value)."""
    found = {}
    for prop in component.get("properties") or ():  # type: ignore[union-attr]
        if isinstance(prop, Mapping) and str(prop.get("name", "")).startswith(PREFIX):
            found[str(prop["name"])[len(PREFIX) :]] = str(prop.get("value"))
    return found
