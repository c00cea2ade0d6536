"""Which files a BOM says a dataset consists of: nested file components or a sidecar manifest.

Usage::

    from mbom.bom.datasets import data_components, dataset_files, dataset_root

    for component in data_components(bom):           # every ``data`` component (not configs)
        root = dataset_root(component)                # hex Merkle root (SHA-256) or None
        files = dataset_files(component, bom_dir="out/")   # tuple[DatasetFile, ...] or None

The layout mbom writes (docs/bom-format.md): a dataset of up to the manifest threshold keeps
its per-file digests as nested ``file`` components (``mbom:size``, ``mbom:symlink``, SHA-256
hash); a larger one names a sidecar JSON Lines manifest beside the BOM (``mbom:manifest``)
and pins it with ``mbom:manifest:sha256``. Either way the result is the same sorted tuple,
from which the dataset's Merkle root can be recomputed (:func:`leaf_hashes`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from mbom.errors import InputError, MalformedFileError

ROOT_PROPERTY = "mbom:merkle-root:sha256"
MANIFEST_PROPERTY = "mbom:manifest"
MANIFEST_DIGEST_PROPERTY = "mbom:manifest:sha256"
LOCATION_PROPERTY = "mbom:dataset:location"
FILES_PROPERTY = "mbom:dataset:files"
BYTES_PROPERTY = "mbom:dataset:bytes"
CONFIGURATION = "configuration"
_SHA256_HEX = re.compile("[0-9a-f]{64}")


class DatasetFile(NamedTuple):
    """One file of a dataset as the BOM records it (SHA-256 hex digest).

    A named tuple rather than a frozen dataclass: a manifest may list a million of them.
    """

    path: str
    size: int
    digest: str
    symlink: bool = False


def properties(component: Mapping[str, Any]) -> dict[str, str]:
    """A component's properties as a name -> value dictionary (last one wins)."""
    return {
        str(p.get("name")): str(p.get("value"))
        for p in component.get("properties") or ()
        if isinstance(p, Mapping)
    }


def is_configuration(component: Mapping[str, Any]) -> bool:
    """Whether a ``data`` component describes a configuration rather than a dataset."""
    return any(
        isinstance(d, Mapping) and d.get("type") == CONFIGURATION
        for d in component.get("data") or ()
    )


def data_components(bom: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The BOM's top-level ``data`` components that are datasets (configs left out)."""
    return [
        c
        for c in bom.get("components") or ()
        if isinstance(c, Mapping) and c.get("type") == "data" and not is_configuration(c)
    ]


def find_dataset(bom: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The dataset component named ``name``, or :class:`InputError` listing the names there are."""
    components = data_components(bom)
    for component in components:
        if component.get("name") == name:
            return component
    names = ", ".join(sorted(str(c.get("name")) for c in components)) or "none"
    raise InputError(f"the BOM has no dataset named {name!r} (datasets: {names})")


def dataset_root(component: Mapping[str, Any]) -> str | None:
    """The dataset's SHA-256 Merkle root in lowercase hex, when the BOM records one."""
    root = properties(component).get(ROOT_PROPERTY)
    return root.lower() if root else None


def dataset_files(
    component: Mapping[str, Any], *, bom_dir: str | os.PathLike[str] | None = None
) -> tuple[DatasetFile, ...] | None:
    """The dataset's files sorted by path, from nested components or the sidecar manifest.

    ``None`` when the BOM keeps no per-file digests for it, or names a manifest that is not
    beside the BOM (``bom_dir``). A manifest whose SHA-256 differs from the pinned one raises
    :class:`VerificationError`; a malformed one :class:`MalformedFileError`. Everything is
    held in memory: :func:`dataset_entries` streams.
    """
    entries = dataset_entries(component, bom_dir=bom_dir)
    return None if entries is None else tuple(entries)


def dataset_entries(
    component: Mapping[str, Any], *, bom_dir: str | os.PathLike[str] | None = None
) -> Iterable[DatasetFile] | None:
    """:func:`dataset_files` as one pass over a stream (a sidecar manifest is read line by
    line); the manifest's pinned SHA-256 is checked when the stream ends, so nothing read
    from it is trusted before the last item."""
    props = properties(component)
    manifest = props.get(MANIFEST_PROPERTY)
    if manifest:
        if bom_dir is None:
            return None
        path = os.path.join(os.fspath(bom_dir), manifest)
        if not os.path.isfile(path):
            return None
        return _manifest_files(path, props.get(MANIFEST_DIGEST_PROPERTY))
    from mbom.bom.subjects import component_files

    nested = component_files(component, "dataset")
    if not nested:
        return None
    try:
        return tuple(
            DatasetFile(
                f.path,
                check_size(f.size),
                check_sha256_hex(f.digests["sha256"]),
                f.symlink is not None,
            )
            for f in nested
        )
    except ValueError as exc:
        raise MalformedFileError(f"dataset file in the BOM: {exc}") from None


def _manifest_files(path: str, pinned_sha256: str | None) -> Iterator[DatasetFile]:
    from mbom.bom.manifest_reader import ManifestReader

    for entry in ManifestReader(path, pinned_sha256):
        yield DatasetFile(entry.path, entry.size, entry.digest, entry.symlink is not None)


def read_manifest(path: str, pinned_sha256: str | None) -> tuple[DatasetFile, ...]:
    """A sidecar manifest's files, checked against the SHA-256 the BOM pins (when given).

    Holds every file in memory: what streams (verify, prove) iterates
    :class:`mbom.bom.manifest_reader.ManifestReader` instead.
    """
    return tuple(_manifest_files(path, pinned_sha256))


def leaf_hashes(files: Sequence[DatasetFile]) -> list[bytes]:
    """The SHA-256 Merkle leaves of ``files`` (already sorted by path), as the root binds them."""
    from mbom.hashing.merkle import leaf_hash

    return [
        leaf_hash("sha256", f.path, f.size, bytes.fromhex(f.digest), symlink=f.symlink)
        for f in files
    ]


#: Sizes are hashed as unsigned 64-bit integers (Merkle leaves); larger ones cannot be real.
MAX_SIZE = 2**64 - 1


def check_size(value: Any) -> int:
    """A size recorded as a string or an integer, as a non-negative ``int`` below 2**64."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"size {value!r} is not a non-negative integer")
    text = value if isinstance(value, str) else None
    if text is not None and not (text.isascii() and text.isdigit() and len(text) <= 20):
        raise ValueError(f"size {value!r} is not a non-negative integer")
    size = int(value)
    if not 0 <= size <= MAX_SIZE:
        raise ValueError(f"size {size if size < 10**30 else 'of over 30 digits'} is out of range")
    return size


def check_sha256_hex(value: Any) -> str:
    """A SHA-256 digest as 64 hex digits, lowercased; :class:`ValueError` otherwise."""
    text = value.lower() if isinstance(value, str) else ""
    if not _SHA256_HEX.fullmatch(text):
        raise ValueError(f"digest {value!r} is not a SHA-256 hex string")
    return text
