"""The model itself: every file with its digest and role, checkpoint headers, and HF metadata.

Every regular file is inspected by content, without executing anything
(:mod:`mbom.capture.checkpoints`), and the inspection is proven to have read the bytes that
were hashed (:mod:`mbom.capture.inspection`): a pickle that imports something outside the
allow-list is recorded as a finding in the BOM, not loaded. A file whose header claims to be
a checkpoint but does not parse is an input error (exit 2): a BOM must not vouch for a model
it could not read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from mbom.capture.roles import file_role
from mbom.errors import InputError
from mbom.hashing import (
    DEFAULT_ALGORITHM,
    FileDigest,
    HashCache,
    Identity,
    TreeDigest,
    filesystem_horizon,
    hash_tree,
)


@dataclass(frozen=True, slots=True)
class ModelFileRecord:
    """One file of the model: digests, role (weights, config, tokenizer, card, code, other),
    and what its checkpoint header says (``mbom.capture.checkpoints.CheckpointInfo``)."""

    digest: FileDigest
    role: str
    checkpoint: object | None = None

    @property
    def path(self) -> str:
        return self.digest.path


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A captured model (a directory or a single file)."""

    location: str
    name: str
    tree: TreeDigest
    files: tuple[ModelFileRecord, ...]
    hf: object | None = None  # mbom.capture.huggingface.HFModelMetadata for a directory
    hub: object | None = None  # mbom.capture.hub.HubSource when resolved from the Hub
    oci: object | None = None  # mbom.capture.oci.OciSource when read from an OCI registry

    @property
    def is_directory(self) -> bool:
        return self.tree.is_directory


def capture_model(
    path: str | os.PathLike[str],
    *,
    algorithms: tuple[str, ...] = (DEFAULT_ALGORITHM,),
    cache: bool | HashCache = True,
    jobs: int | None = None,
    follow_symlinks_within: str | None = None,
    executor: object | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> ModelRecord:
    """Hash the model at ``path`` and read its checkpoints and Hugging Face metadata.

    ``follow_symlinks_within``: see :func:`mbom.hashing.hash_tree` (Hugging Face cache
    snapshots). ``executor``: hash elsewhere, e.g. on a Dask cluster (same result).
    ``meanwhile``: :func:`mbom.hashing.hash_tree`'s (a local model only)."""
    from mbom.hashing._location import is_remote

    location = os.fspath(path)
    if is_remote(location):
        return _capture_remote(location, algorithms=algorithms, jobs=jobs)
    return _capture_local(
        location, algorithms, cache, jobs, follow_symlinks_within, executor, meanwhile
    )


def _capture_remote(url: str, *, algorithms: tuple[str, ...], jobs: int | None) -> ModelRecord:
    """A model in an object store: read once into a private copy, hashed and parsed there.

    The record names the remote location and, per file, the object version that was read
    (mbom.capture.staging says why the bytes are copied rather than parsed in place).
    """
    from dataclasses import replace

    from mbom.capture.staging import staged

    with staged(url) as copy:
        record = _capture_local(copy.path, algorithms, False, jobs, None)
    files = tuple(
        replace(f, digest=f.digest._replace(version=copy.versions.get(f.path)))
        for f in record.files
    )
    tree = replace(record.tree, path=copy.url, files=tuple(f.digest for f in files))
    name = copy.url.rstrip("/").rsplit("/", 1)[-1] or "model"
    return replace(record, location=copy.url, name=name, tree=tree, files=files)


def _capture_local(
    location: str,
    algorithms: tuple[str, ...],
    cache: bool | HashCache,
    jobs: int | None,
    follow_symlinks_within: str | None,
    executor: object | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> ModelRecord:
    if not os.path.exists(location):
        raise InputError(f"model {location}: no such file or directory", path=location)
    horizon = filesystem_horizon(location)  # before any byte is read (mbom.capture.inspection)
    identities: dict[str, Identity] = {}
    tree = hash_tree(
        location,
        algorithms=algorithms,
        cache=cache,
        jobs=jobs,
        follow_symlinks_within=follow_symlinks_within,
        executor=executor,
        meanwhile=_loading_inspection(meanwhile),
        observe=identities.__setitem__,
    )
    from mbom.capture.huggingface import METADATA_FILES  # after forking the hashing
    from mbom.capture.inspection import inspect_hashed

    root = location if tree.is_directory else os.path.dirname(location) or "."
    files = []
    metadata_pins: dict[str, Identity] = {}
    for entry in tree.files:
        role = "symlink" if entry.symlink is not None else file_role(entry.path)
        checkpoint = None
        if entry.symlink is None:
            # By content, whatever the role: a pickle named training_args.bin, tokenizer.model
            # or config.yaml runs code when loaded (mbom.capture.checkpoints.content).
            path = os.path.join(root, entry.path)
            known = identities.pop(entry.path, None)
            checkpoint, proven = inspect_hashed(path, entry, known, horizon)
            if entry.path in METADATA_FILES:
                metadata_pins[path] = proven
            if checkpoint is not None and role == "other":
                role = "weights" if checkpoint.tensor_count else role
        files.append(ModelFileRecord(entry, role, checkpoint))
    hf = None
    if tree.is_directory:
        from mbom._pinned import pinned
        from mbom.capture.huggingface import capture_hf_model

        with pinned(metadata_pins):  # the card's license must be that of the hashed card
            hf = capture_hf_model(location)
    name = os.path.basename(os.path.abspath(location).rstrip(os.sep)) or "model"
    return ModelRecord(location=location, name=name, tree=tree, files=tuple(files), hf=hf)


def _loading_inspection(meanwhile: Callable[[], None] | None) -> Callable[[], None]:
    """``meanwhile`` for hash_tree: the checkpoint readers load while the workers hash (they
    run right after: 40 ms of imports that were serial), then the caller's own work."""

    def run() -> None:
        import mbom.capture.huggingface
        import mbom.capture.inspection  # noqa: F401

        if meanwhile is not None:
            meanwhile()

    return run
