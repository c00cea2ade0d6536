"""OCI manifests and descriptors, parsed from bytes a registry served (untrusted input).

Usage::

    from mbom.hashing._oci_manifest import parse_manifest

    manifest = parse_manifest(body, digest, media_type, where="oci://host/repo@sha256:...")
    manifest.layers[0].filepath        # org.cncf.model.filepath / org.opencontainers.image.title
    manifest.is_index, manifest.select_platform("linux/amd64")

Everything here is a value: the registry client (:mod:`mbom.hashing._oci_registry`) checks
that ``body`` hashes to ``digest`` before it is parsed, and every field read is validated
(digest grammar, sizes, a bounded number of layers), so a hostile registry can make mbom
say "no" but not crash it or point it elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mbom.errors import VerificationError
from mbom.hashing._oci_ref import DIGEST

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
ACCEPT = ", ".join((*MANIFEST_TYPES, *INDEX_TYPES))
#: Where ModelPack and plain OCI artifacts name a layer's file (first found wins).
FILEPATH_ANNOTATIONS = ("org.cncf.model.filepath", "org.opencontainers.image.title")
MAX_DESCRIPTORS = 100_000


class RegistryIntegrityError(VerificationError):
    """What a registry served is not what was asked for: wrong digest, too large, malformed.

    The registry is whoever controls it; its answers are findings (exit 1), never trusted.
    """

    def __init__(self, message: str, *, path: str | None = None, **details: str | None) -> None:
        super().__init__(message, path=path, check="oci-registry", **details)


@dataclass(frozen=True, slots=True)
class Descriptor:
    """A content descriptor: what a manifest says about a blob or another manifest."""

    media_type: str
    digest: str
    size: int
    annotations: tuple[tuple[str, str], ...] = ()
    artifact_type: str | None = None
    platform: str | None = None
    """``os/architecture[/variant]`` in an index entry."""

    @property
    def filepath(self) -> str | None:
        named = dict(self.annotations)
        return next((named[key] for key in FILEPATH_ANNOTATIONS if named.get(key)), None)

    @property
    def hex(self) -> str:
        return self.digest.removeprefix("sha256:")

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.artifact_type:
            document["artifactType"] = self.artifact_type
        if self.annotations:
            document["annotations"] = dict(self.annotations)
        return document


@dataclass(frozen=True, slots=True)
class Manifest:
    """An image manifest or an index, by the digest its bytes hash to."""

    digest: str
    media_type: str
    size: int
    artifact_type: str | None
    config: Descriptor | None
    layers: tuple[Descriptor, ...]
    manifests: tuple[Descriptor, ...]
    subject: Descriptor | None
    annotations: tuple[tuple[str, str], ...] = ()

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    def descriptor(self) -> Descriptor:
        return Descriptor(self.media_type, self.digest, self.size)

    def select_platform(self, platform: str | None, where: str) -> Descriptor:
        """The index entry for ``platform``; the only entry when none is asked for."""
        from mbom.errors import InputError

        offered = [m.platform or "unknown" for m in self.manifests]
        if platform is None:
            if len(self.manifests) == 1:
                return self.manifests[0]
            raise InputError(
                f"{where} is an index of {len(self.manifests)} manifests: choose one with "
                f"--platform ({', '.join(offered) or 'none listed'})"
            )
        for entry in self.manifests:
            if entry.platform == platform or (
                entry.platform and entry.platform.rsplit("/", 1)[0] == platform
            ):
                return entry
        raise InputError(f"{where}: no manifest for --platform {platform} ({', '.join(offered)})")


def parse_manifest(body: bytes, digest: str, media_type: str, *, where: str) -> Manifest:
    """Parse a manifest or index whose bytes were already checked against ``digest``."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RegistryIntegrityError(f"{where}: the manifest is not JSON", path=where) from None
    if not isinstance(document, dict):
        raise RegistryIntegrityError(f"{where}: the manifest is not a JSON object", path=where)
    declared = document.get("mediaType") or media_type
    if declared not in (*MANIFEST_TYPES, *INDEX_TYPES):
        raise RegistryIntegrityError(
            f"{where}: unsupported manifest media type {declared!r}",
            path=where,
            expected=ACCEPT,
            actual=str(declared),
        )
    config = document.get("config")
    return Manifest(
        digest=digest,
        media_type=declared,
        size=len(body),
        artifact_type=_text(document.get("artifactType")),
        config=parse_descriptor(config, where) if config is not None else None,
        layers=_descriptors(document.get("layers"), where),
        manifests=_descriptors(document.get("manifests"), where),
        subject=parse_descriptor(document["subject"], where) if document.get("subject") else None,
        annotations=_annotations(document.get("annotations"), where),
    )


def parse_descriptor(raw: Any, where: str) -> Descriptor:
    if not isinstance(raw, dict):
        raise RegistryIntegrityError(f"{where}: a descriptor is not an object", path=where)
    digest, size = raw.get("digest"), raw.get("size")
    if not isinstance(digest, str) or not DIGEST.match(digest):
        raise RegistryIntegrityError(
            f"{where}: descriptor digest {str(digest)[:80]!r} is not sha256:<64 hex>", path=where
        )
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise RegistryIntegrityError(f"{where}: descriptor {digest} has no valid size", path=where)
    platform = raw.get("platform")
    shown = None
    if isinstance(platform, dict):
        parts = [platform.get("os"), platform.get("architecture"), platform.get("variant")]
        shown = "/".join(str(p) for p in parts if p)
    return Descriptor(
        media_type=str(raw.get("mediaType") or ""),
        digest=digest,
        size=size,
        annotations=_annotations(raw.get("annotations"), where),
        artifact_type=_text(raw.get("artifactType")),
        platform=shown,
    )


def _descriptors(raw: Any, where: str) -> tuple[Descriptor, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_DESCRIPTORS:
        raise RegistryIntegrityError(f"{where}: layers/manifests must be a bounded list")
    return tuple(parse_descriptor(item, where) for item in raw)


def _annotations(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in raw.items()
    ):
        raise RegistryIntegrityError(f"{where}: annotations must map strings to strings")
    return tuple(sorted(raw.items()))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
