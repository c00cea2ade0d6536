"""A BOM's dataset components, and the sidecar manifests of large datasets, streamed to disk.

A dataset of up to ``manifest_threshold`` files lists them as nested file components; a
larger one gets a sidecar manifest (``<stem>.<name>.cdx.manifest.jsonl``: JSON Lines sorted by
path) pinned by its SHA-256. The manifest is written to a temporary file while the tree's
files are iterated, its SHA-256 computed on the way, so a dataset of any size is described in
bounded memory; :func:`mbom.generate.write_bom` then moves it into place with the BOM as one
atomic set (:mod:`mbom._atomic`). The bytes are those documented in docs/bom-format.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import json.encoder
import os
import tempfile
import weakref
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from mbom._atomic import FileData
from mbom.bom._cdx import file_component, hashes, licence, props, tree_properties
from mbom.bom.source_properties import hub_properties, hub_purl, hub_references, oid_properties

if TYPE_CHECKING:
    from mbom.bom.build import _Builder
    from mbom.hashing import TreeDigest

#: json.dumps(ensure_ascii=False)'s string encoder (the C one when available).
_quote = json.encoder.encode_basestring  # type: ignore[attr-defined]
#: Manifest lines encoded and written at a time.
_LINES_PER_WRITE = 4096


class ManifestFile:
    """A sidecar manifest in a temporary file (removed when this object is collected)."""

    __slots__ = ("__weakref__", "_finalizer", "path", "sha256", "size")

    def __init__(self, path: str, sha256: str, size: int) -> None:
        self.path, self.sha256, self.size = path, sha256, size
        self._finalizer = weakref.finalize(self, _unlink, path)

    def read_bytes(self) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read()

    def payload(self) -> FileData:
        """What :func:`mbom._atomic.write_atomic_set` writes from (without reading it)."""
        return FileData(self.path)

    def close(self) -> None:
        self._finalizer()


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def write_manifest(tree: TreeDigest) -> ManifestFile:
    """The tree's manifest (one JSON line per file: path, size, digest per algorithm, symlink).

    Each line is what ``json.dumps(line, ensure_ascii=False, separators=(",", ":"))`` gives,
    assembled from its parts (the keys are fixed, the strings escaped by json's own encoder):
    several times faster, which a million lines feel.
    """
    keys = [
        (',"digest:' + name + '":' if index else ',"digest":', name)
        for index, name in enumerate(tree.algorithms)
    ]
    fd, path = tempfile.mkstemp(prefix="mbom-manifest-", suffix=".jsonl")
    digest, size = hashlib.sha256(), 0
    quote = _quote
    try:
        with os.fdopen(fd, "wb") as handle:
            lines: list[str] = []
            for name, length, hexes, symlink in _entries(tree):
                line = '{"path":' + quote(name) + ',"size":' + int.__repr__(length)
                for (key, _name), value in zip(keys, hexes):
                    line += key + quote(value)
                if symlink is not None:
                    line += ',"symlink":' + quote(symlink)
                lines.append(line + "}")
                if len(lines) >= _LINES_PER_WRITE:
                    size += _flush(handle, digest, lines)
            size += _flush(handle, digest, lines)
    except BaseException:
        _unlink(path)
        raise
    return ManifestFile(path, digest.hexdigest(), size)


def _entries(tree: TreeDigest) -> Iterator[tuple[str, int, Sequence[str], str | None]]:
    """(path, size, hex digests in the tree's algorithm order, symlink) per file: read
    straight from the spill file's records when the tree has them (no FileDigest built)."""
    raw = getattr(tree.files, "records", None)
    if raw is not None:
        return (record[:4] for record in raw)
    names = tree.algorithms
    return (
        (entry.path, entry.size, [entry.digests[name] for name in names], entry.symlink)
        for entry in tree.files
    )


def _flush(handle: Any, digest: Any, lines: list[str]) -> int:
    if not lines:
        return 0
    chunk = ("\n".join(lines) + "\n").encode("utf-8")
    lines.clear()
    handle.write(chunk)
    digest.update(chunk)
    return len(chunk)


def dataset_components(builder: _Builder) -> tuple[list[Any], list[str], dict[str, Any]]:
    """Data components for supplied datasets and for datasets the card names."""
    from cyclonedx.model.component import Component, ComponentType

    from mbom.bom.ml_parts import ComponentData

    components, refs, data_parts = [], [], {}
    supplied = {record.name for record in builder.inputs.datasets}
    for record in builder.inputs.datasets:
        ref = f"dataset:{record.name}"
        pairs: list[tuple[str, object]] = [("mbom:dataset:location", record.location)]
        nested = []
        whole_file = None
        sidecars: list[Any] = []
        if record.tree is None:
            pairs.append(("mbom:hashed", "false"))
        else:
            tree = record.tree
            pairs.append(("mbom:hashed", "true"))
            pairs += tree_properties("mbom:dataset:", tree)
            if not tree.is_directory:
                whole_file = hashes(tree.files[0].digests)
            elif len(tree.files) <= builder.options.manifest_threshold:
                nested = [
                    file_component(f"{ref}:file:", entry, oid_properties(record.hub, entry.path))
                    for entry in tree.files
                ]
            else:
                manifest_pairs = _add_manifest(builder, record.name, tree)
                pairs += manifest_pairs
                sidecars = _sidecar_references(manifest_pairs)
            pairs += hub_properties(record.hub)
        card = record.card
        licences = licence(card.license[0]) if card is not None and card.license else []
        if card is not None:
            pairs += [
                ("mbom:dataset:pretty_name", card.pretty_name),
                ("mbom:dataset:task_categories", ",".join(card.task_categories) or None),
                ("mbom:dataset:size_categories", ",".join(card.size_categories) or None),
            ]
        components.append(
            Component(
                type=ComponentType.DATA,
                name=record.name,
                bom_ref=ref,
                hashes=whole_file,
                licenses=licences,
                description=card.description if card is not None else None,
                properties=props(pairs),
                components=nested,
                purl=dataset_purl(record),
                external_references=[*hub_references(record.hub), *sidecars],
            )
        )
        refs.append(ref)
        url = record.location if "://" in record.location else None
        data_parts[ref] = ComponentData(
            bom_ref=f"{ref}:data", type="dataset", name=record.name, url=url
        )
    for name in builder.card.datasets if builder.card is not None else ():
        if name in supplied:
            continue
        ref = f"dataset:{name}"
        components.append(
            Component(
                type=ComponentType.DATA,
                name=name,
                bom_ref=ref,
                properties=props(
                    [("mbom:hashed", "false"), ("mbom:lineage:source", "model-card:datasets")]
                ),
            )
        )
        refs.append(ref)
        data_parts[ref] = ComponentData(bom_ref=f"{ref}:data", type="dataset", name=name)
    return components, refs, data_parts


def dataset_purl(record: Any) -> Any:
    """``pkg:huggingface/...`` for a Hub dataset, ``pkg:generic/<name>?download_url=`` for
    one at another URL (credentials and query strings dropped), None for a local one."""
    from packageurl import PackageURL

    from mbom.bom.purls import generic_purl

    if record.hub is not None:
        return hub_purl(record.hub)
    if "://" not in record.location or record.location.startswith("file://"):
        return None
    from mbom.hashing._redact import display_url

    url = display_url(record.location)
    return PackageURL.from_string(generic_purl(record.name, url=url))


def _sidecar_references(pairs: Sequence[tuple[str, object]]) -> list[Any]:
    """An ``other`` external reference per sidecar file (relative name, SHA-256), for consumers
    that read references, not mbom's properties (which stay the readers' source)."""
    from cyclonedx.model import (
        ExternalReference,
        ExternalReferenceType,
        HashAlgorithm,
        HashType,
        XsUri,
    )

    from mbom.bom.versions import VERSIONS_DIGEST_PROPERTY, VERSIONS_PROPERTY

    values = dict(pairs)
    kinds = (
        ("mbom:manifest", "mbom:manifest:sha256", "mbom sidecar manifest: path, size, digest"),
        (VERSIONS_PROPERTY, VERSIONS_DIGEST_PROPERTY, "mbom sidecar: object versions hashed"),
    )
    return [
        ExternalReference(
            type=ExternalReferenceType.OTHER,
            url=XsUri(str(values[name])),
            comment=comment,
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=str(values[digest]))],
        )
        for name, digest, comment in kinds
        if name in values
    ]


def _add_manifest(builder: _Builder, name: str, tree: TreeDigest) -> list[tuple[str, object]]:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    file_name = f"{builder.options.manifest_stem}.{safe}.cdx.manifest.jsonl"
    manifest = write_manifest(tree)
    builder.manifests.append((file_name, manifest))
    pairs: list[tuple[str, object]] = [
        ("mbom:manifest", file_name),
        ("mbom:manifest:sha256", manifest.sha256),
    ]
    from mbom.bom.versions import (
        SUFFIX,
        VERSIONS_DIGEST_PROPERTY,
        VERSIONS_PROPERTY,
        write_versions,
    )

    versions = write_versions(tree)
    if versions is not None:
        versions_name = f"{builder.options.manifest_stem}.{safe}{SUFFIX}"
        builder.manifests.append((versions_name, versions))
        pairs += [(VERSIONS_PROPERTY, versions_name), (VERSIONS_DIGEST_PROPERTY, versions.sha256)]
    return pairs
