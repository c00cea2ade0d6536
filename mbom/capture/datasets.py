"""Datasets a model was trained or evaluated on: their files, digests and Merkle roots.

A dataset is named on the command line as ``[NAME=]PATH|URI``. A local file or directory is
hashed through :mod:`mbom.hashing` (per-file digests, a Merkle root, file count and total
bytes), with its dataset card when a README.md with front matter sits at its root. A URL
(``s3://``, ``gs://``, ``az://``, ``https://``) is hashed where it lives, object by object,
with each object's version recorded beside its digest (docs/scale.md); the Merkle root is the
one a local copy of the same files gives.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from mbom.errors import InputError
from mbom.hashing import DEFAULT_ALGORITHM, HashCache, TreeDigest, hash_tree

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/@+-]*$")


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """A dataset as the user named it: ``name`` and where it is (a local path or a URI)."""

    name: str
    location: str

    @property
    def is_remote(self) -> bool:
        return bool(_URI.match(self.location)) and not self.location.startswith("file://")

    @property
    def local_path(self) -> str:
        return self.location.removeprefix("file://")


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A captured dataset. ``tree`` is None for a remote reference that was not hashed."""

    name: str
    location: str
    tree: TreeDigest | None
    card: object | None = None  # mbom.capture.huggingface.DatasetCardRecord when present
    hub: object | None = None  # mbom.capture.hub.HubSource for an hf://datasets/ dataset


def parse_dataset_spec(text: str) -> DatasetSpec:
    """Split ``[NAME=]PATH|URI``; the name defaults to the path's last component."""
    name, sep, location = text.partition("=")
    if not sep or _URI.match(text) or not _NAME.match(name):
        name, location = "", text
    if not location:
        raise InputError(f"--dataset {text!r}: empty location")
    if not name:
        if _URI.match(location):  # never a name from user info or a presigned query string
            from mbom.hashing._redact import display_url

            location_shown = display_url(location)
        else:
            location_shown = location
        stripped = location_shown.rstrip("/")
        name = stripped.rsplit("/", 1)[-1] if not _URI.match(stripped) else stripped
        name = name.split("://", 1)[-1] if _URI.match(name) else name
    return DatasetSpec(name=name, location=location)


def capture_dataset(
    spec: DatasetSpec,
    *,
    algorithms: tuple[str, ...] = (DEFAULT_ALGORITHM,),
    cache: bool | HashCache = True,
    jobs: int | None = None,
    follow_symlinks_within: str | None = None,
    executor: object | None = None,
) -> DatasetRecord:
    """Hash a dataset: a local file or directory, or a URL (hashed where it lives).

    ``follow_symlinks_within``: see :func:`mbom.hashing.hash_tree` (Hugging Face cache
    snapshots). ``executor``: hash elsewhere, e.g. on a Dask cluster (same result)."""
    if spec.is_remote:  # hashed where it lives (mbom.hashing._location); never copied
        tree = hash_tree(spec.location, algorithms=algorithms, jobs=jobs, executor=executor)
        return DatasetRecord(name=spec.name, location=tree.path, tree=tree)
    path = spec.local_path
    if not os.path.exists(path):
        raise InputError(f"dataset {spec.name!r}: {path}: no such file or directory", path=path)
    tree = hash_tree(
        path,
        algorithms=algorithms,
        cache=cache,
        jobs=jobs,
        follow_symlinks_within=follow_symlinks_within,
        executor=executor,
    )
    card = None
    readme = os.path.join(path, "README.md")
    if tree.is_directory and os.path.isfile(readme):
        from mbom.capture.huggingface import parse_dataset_card

        card = parse_dataset_card(readme)
    return DatasetRecord(name=spec.name, location=spec.location, tree=tree, card=card)
