"""A model stored as an OCI artifact (ModelPack, KitOps, modelcar...): its manifest and layers.

Usage::

    from mbom.capture.oci import capture_oci_model

    model = capture_oci_model("oci://127.0.0.1:5000/models/demo:v1", algorithms=("sha256",))
    model.oci.artifact.reference.display     # ...@sha256:<manifest digest>: the tag resolved once
    [f.path for f in model.files]            # one model file per layer, named by its annotation

Layer digests are content addresses, so the BOM of an artifact needs no blob download
(``pull=False``: only manifests are read). The model's files are its layers either way: each
is named by ``org.cncf.model.filepath`` (or ``org.opencontainers.image.title``) and recorded
with its media type, size and digest -- what a runtime that pulls the artifact checks, and so
what the attestation's subjects are. With ``pull=True`` every blob is downloaded once (size
and digest checked) into a private directory, tar layers are unpacked there safely
(:mod:`mbom.hashing._oci_layers`), and the unpacked files are hashed and inspected like a
local model (checkpoint headers, pickle scan, Hugging Face card and config); a tar layer's
files are recorded under it. See docs/integrations/oci.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from mbom.errors import InputError
from mbom.hashing import FileDigest, TreeDigest, merkle_root

if TYPE_CHECKING:
    from mbom.capture.model import ModelFileRecord, ModelRecord
    from mbom.hashing._oci_manifest import Descriptor
    from mbom.hashing._oci_registry import Artifact


@dataclass(frozen=True, slots=True)
class OciSource:
    """Where a captured model came from in a registry, and what its layers held."""

    artifact: Artifact
    requested: str
    """The reference as given (``oci://HOST/REPO:TAG``), for information only."""
    pulled: bool
    layers: Mapping[str, Descriptor]
    """Model file name -> the layer it is."""
    contents: Mapping[str, tuple[ModelFileRecord, ...]]
    """Tar layer name -> the files unpacked from it (pulled only)."""


def layer_tree(artifact: Artifact) -> tuple[TreeDigest, dict[str, Descriptor]]:
    """The artifact's layers as a tree of files (name, size, SHA-256 = the layer digest)."""
    from mbom.hashing._oci_layers import layer_name

    layers: dict[str, Descriptor] = {}
    for descriptor in artifact.manifest.layers:
        name = layer_name(descriptor)
        if name in layers:
            raise InputError(
                f"{artifact.reference.display}: two layers are named {name!r}", path=name
            )
        layers[name] = descriptor
    files = tuple(
        FileDigest(name, layers[name].size, {"sha256": layers[name].hex}) for name in sorted(layers)
    )
    roots = {"sha256": merkle_root(files)} if files else {}
    tree = TreeDigest(
        path=artifact.reference.display,
        is_directory=True,
        algorithms=("sha256",),
        files=files,
        roots=roots,
    )
    return tree, layers


def capture_oci_model(
    text: str,
    *,
    algorithms: tuple[str, ...],
    pull: bool = True,
    platform: str | None = None,
    jobs: int | None = None,
) -> ModelRecord:
    """Resolve ``oci://...`` once and record its manifest, config and layers (see module)."""
    from mbom.capture.model import ModelFileRecord, ModelRecord
    from mbom.capture.roles import file_role
    from mbom.hashing._oci_ref import parse_reference
    from mbom.hashing._oci_registry import resolve

    ref = parse_reference(text)
    artifact = resolve(ref, platform)
    tree, layers = layer_tree(artifact)
    name = ref.repository.rsplit("/", 1)[-1]
    records = {f.path: ModelFileRecord(f, file_role(f.path)) for f in tree.files}
    contents: dict[str, tuple[ModelFileRecord, ...]] = {}
    hf = None
    if pull:
        records, contents, hf = _pulled(artifact, layers, records, algorithms, jobs)
    source = OciSource(
        artifact=artifact,
        requested=ref.display,
        pulled=pull,
        layers=layers,
        contents=contents,
    )
    files = tuple(records[path] for path in sorted(records))
    return ModelRecord(
        location=artifact.reference.display,
        name=name,
        tree=tree,
        files=files,
        hf=hf,
        oci=source,
    )


def _pulled(
    artifact: Artifact,
    layers: Mapping[str, Descriptor],
    records: dict[str, ModelFileRecord],
    algorithms: tuple[str, ...],
    jobs: int | None,
) -> tuple[dict, dict, object]:
    """Download every layer once into a private directory, unpack tar layers, and capture the
    files there like a local model (the directory is removed on every exit path)."""
    from mbom.capture.model import capture_model
    from mbom.capture.staging import private_workdir
    from mbom.hashing._oci_layers import is_tar_layer

    with private_workdir("mbom-oci-") as (workdir, base):
        unpacked: dict[str, list[str]] = {}
        for name, descriptor in sorted(layers.items()):
            if is_tar_layer(descriptor.media_type):
                unpacked[name] = _unpack(artifact, descriptor, base, workdir, name)
            else:
                with _exclusive(base, name) as sink:
                    _registry(artifact).blob_to(descriptor, sink)
        local = capture_model(base, algorithms=algorithms, cache=False, jobs=jobs)
        by_path = {record.path: record for record in local.files}
        for name, descriptor in layers.items():
            if name in unpacked or name not in by_path:
                continue
            found = by_path[name]
            if found.digest.digests.get("sha256") != descriptor.hex:  # blob_to checked it
                raise InputError(f"{name}: changed on disk while the model was read")
            records[name] = found
        contents = {
            name: tuple(by_path[p] for p in sorted(paths) if p in by_path)
            for name, paths in unpacked.items()
        }
        return records, contents, local.hf


def _registry(artifact: Artifact):  # -> Registry
    from mbom.hashing._oci_registry import Registry

    return Registry(artifact.reference)


def _unpack(
    artifact: Artifact, descriptor: Descriptor, base: str, workdir: str, name: str
) -> list[str]:
    """Download a tar layer, then write its regular files under ``base`` (names checked)."""
    from mbom.hashing._oci_layers import tar_members

    blob = os.path.join(workdir, f"layer-{descriptor.hex}")
    with open(blob, "xb") as sink:
        _registry(artifact).blob_to(descriptor, sink)
    where = f"{artifact.reference.display} layer {name} ({descriptor.digest})"
    paths = []
    with open(blob, "rb") as handle:
        for member in tar_members(handle, descriptor.media_type, where=where):
            with _exclusive(base, member.name, where) as sink:
                shutil.copyfileobj(member.stream, sink, 1 << 20)
            paths.append(member.name)
    os.unlink(blob)
    return paths


def _exclusive(base: str, rel: str, where: str | None = None) -> BinaryIO:
    """A new private file at ``base/rel``; a name two layers or members both give is refused."""
    from mbom.capture.staging import create_private

    try:
        return create_private(base, rel)
    except (FileExistsError, NotADirectoryError, IsADirectoryError):
        raise InputError(
            f"{where or 'the artifact'}: {rel!r} is given by two layers or members; refusing",
            path=rel,
        ) from None
