"""Which exact object version each remote file's digest describes, as a BOM records it.

Usage::

    from mbom.bom.versions import version_properties, versions_lines, read_versions

    version_properties(entry.version)   # [("mbom:object:versionId", "3HL4k..."), ...]
    versions_lines(tree.files)          # JSON Lines for the versions sidecar, or None

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
from collections.abc import Iterable, Mapping

#: Property prefix of one version field on a file component.
PREFIX = "mbom:object:"
VERSIONS_PROPERTY = "mbom:versions"
VERSIONS_DIGEST_PROPERTY = "mbom:versions:sha256"
SUFFIX = ".cdx.versions.jsonl"

Version = tuple[tuple[str, str], ...] | None


def version_properties(version: Version) -> list[tuple[str, object]]:
    """A file component's properties for ``version`` (none for a local file)."""
    return [(PREFIX + name, value) for name, value in version or ()]


def versions_lines(files: Iterable[object]) -> bytes | None:
    """The versions sidecar for files (sorted by path) with a version; None when none has one."""
    lines = []
    for entry in files:
        version = getattr(entry, "version", None)
        if version:
            row = {"path": entry.path, **dict(version)}  # type: ignore[attr-defined]
            lines.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else None


def recorded_versions(component: Mapping[str, object]) -> dict[str, str]:
    """The version fields recorded on one file component (name -> value)."""
    found = {}
    for prop in component.get("properties") or ():  # type: ignore[union-attr]
        if isinstance(prop, Mapping) and str(prop.get("name", "")).startswith(PREFIX):
            found[str(prop["name"])[len(PREFIX) :]] = str(prop.get("value"))
    return found
