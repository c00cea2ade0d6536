"""Sigstore bundles stored in a registry next to the artifact they attest (OCI 1.1 referrers).

Usage::

    from mbom.attest.oci_referrers import attach_bundle, discover_bundles

    [attached] = attach_bundles("oci://127.0.0.1:5000/models/demo:v1", ["bom.sigstore.json"])
    attached.referrer, attached.via          # the bundle's manifest digest; "api" or "tag"
    found = discover_bundles(artifact, "/tmp/dir")   # bundle files + one check per referrer

A bundle is pushed the way cosign stores attestations: an image manifest with
``artifactType`` ``application/vnd.dev.sigstore.bundle.v0.3+json``, the empty config, the
bundle as its one layer, and ``subject`` = the artifact's manifest. A registry with the
Referrers API says so by answering the manifest PUT with an ``OCI-Subject`` header; otherwise
(CNCF distribution 2.8, for one) the client maintains the referrers tag schema: an image
index tagged ``sha256-<hex of the subject>`` listing the referrers, read, extended and put back.

Discovery trusts nothing the registry says: each listed referrer is fetched by digest (its
bytes must hash to it), must name the artifact's digest as its subject (a listing may carry
referrers of another manifest) and must hold a bundle layer of bounded size, itself digest
checked. A referrer that fails is reported as a warning check and not used; the bundles that
pass still go through the whole signature and binding pipeline.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mbom.attest._internal.keybundle import BUNDLE_MEDIA_TYPE
from mbom.errors import MbomError
from mbom.hashing._oci_manifest import OCI_INDEX, OCI_MANIFEST, Descriptor

EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
PREDICATE_ANNOTATION = "dev.sigstore.bundle.predicateType"
MAX_REFERRERS = 100


@dataclass(frozen=True, slots=True)
class Attached:
    """A bundle stored as a referrer of an artifact."""

    subject: str
    """The artifact, pinned: ``oci://HOST/REPO@sha256:...``."""
    referrer: str
    """The digest of the manifest that holds the bundle."""
    via: str
    """``api`` (the registry indexes referrers itself) or ``tag`` (``sha256-<hex>`` index)."""


@dataclass(frozen=True, slots=True)
class Discovered:
    """Bundles found for an artifact, where the list came from, and what was left out."""

    paths: tuple[str, ...]
    via: str
    rejected: tuple[tuple[str, str], ...]
    """(referrer digest, reason) for each listed referrer that was not used."""


def attach_bundles(
    text: str, bundles: Sequence[str], *, platform: str | None = None
) -> list[Attached]:
    """Store each bundle file as a referrer of the artifact ``text`` names (resolved once)."""
    from mbom.attest.bundles import read_bundle
    from mbom.hashing._oci_ref import parse_reference
    from mbom.hashing._oci_registry import resolve

    documents = [(read_bundle(path), path) for path in bundles]  # all readable, or nothing
    artifact = resolve(parse_reference(text), platform)
    return [_attach(artifact, document, path) for document, path in documents]


def _attach(artifact: Any, document: dict, bundle: str) -> Attached:
    from mbom.hashing._oci_registry import Registry, fallback_tag

    with open(bundle, "rb") as handle:
        data = handle.read()
    registry = Registry(artifact.reference)
    config = registry.push_blob(b"{}", EMPTY_MEDIA_TYPE)
    layer = registry.push_blob(data, BUNDLE_MEDIA_TYPE)
    annotations = {}
    predicate_type = _predicate_type(document)
    if predicate_type:
        annotations[PREDICATE_ANNOTATION] = predicate_type
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": BUNDLE_MEDIA_TYPE,
        "config": config.as_json(),
        "layers": [layer.as_json()],
        "subject": artifact.manifest.descriptor().as_json(),
        **({"annotations": annotations} if annotations else {}),
    }
    body = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    import hashlib

    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    headers = registry.push_manifest(digest, body, OCI_MANIFEST)
    if any(name.lower() == "oci-subject" for name in headers):
        return Attached(artifact.reference.display, digest, "api")
    entry = Descriptor(
        media_type=OCI_MANIFEST,
        digest=digest,
        size=len(body),
        annotations=tuple(sorted(annotations.items())),
        artifact_type=BUNDLE_MEDIA_TYPE,
    )
    subject = artifact.manifest.digest
    existing = registry.tag_index(subject)
    listed = [d.as_json() for d in (existing.manifests if existing else ()) if d.digest != digest]
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [*listed, entry.as_json()]}
    index_body = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
    registry.push_manifest(fallback_tag(subject), index_body, OCI_INDEX)
    return Attached(artifact.reference.display, digest, "tag")


def discover_bundles(artifact: object, directory: str) -> Discovered:
    """Write each usable bundle attached to ``artifact`` (an ``Artifact``) into ``directory``."""
    from mbom.attest.bundles import MAX_BUNDLE_BYTES
    from mbom.hashing._oci_registry import Registry

    registry = Registry(artifact.reference)  # type: ignore[attr-defined]
    subject = artifact.manifest.digest  # type: ignore[attr-defined]
    listed, via = registry.referrers(subject)
    paths: list[str] = []
    rejected: list[tuple[str, str]] = []
    candidates = [d for d in listed if d.artifact_type in (None, BUNDLE_MEDIA_TYPE)]
    for descriptor in candidates[:MAX_REFERRERS]:
        try:
            referrer = registry.manifest(descriptor.digest, expect=descriptor.digest)
        except MbomError as exc:
            rejected.append((descriptor.digest, exc.message))
            continue
        if referrer.artifact_type != BUNDLE_MEDIA_TYPE:
            continue  # another kind of referrer (an SBOM, a signature): not ours to read
        if referrer.subject is None or referrer.subject.digest != subject:
            actual = referrer.subject.digest if referrer.subject else "none"
            rejected.append((descriptor.digest, f"its subject is {actual}, not {subject}"))
            continue
        layers = [d for d in referrer.layers if d.media_type == BUNDLE_MEDIA_TYPE]
        if len(layers) != 1:
            rejected.append((descriptor.digest, f"{len(layers)} bundle layers, expected 1"))
            continue
        try:
            data = registry.blob_bytes(layers[0], MAX_BUNDLE_BYTES)
        except MbomError as exc:
            rejected.append((descriptor.digest, exc.message))
            continue
        path = os.path.join(
            directory, f"referrer-{referrer.digest.removeprefix('sha256:')}.sigstore.json"
        )
        with open(path, "xb") as handle:
            handle.write(data)
        paths.append(path)
    if len(candidates) > MAX_REFERRERS:
        rejected.append(("", f"{len(candidates) - MAX_REFERRERS} more referrers not read"))
    return Discovered(paths=tuple(paths), via=via, rejected=tuple(rejected))


def _predicate_type(document: dict) -> str | None:
    """The predicate type the bundle's statement names (an annotation only; not trusted)."""
    import base64
    import binascii

    from mbom.attest.statement import parse_statement

    envelope = document.get("dsseEnvelope")
    payload = envelope.get("payload") if isinstance(envelope, dict) else None
    try:
        return parse_statement(base64.b64decode(str(payload), validate=True)).predicate_type
    except (binascii.Error, ValueError, MbomError):
        return None
