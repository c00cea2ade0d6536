"""Sigstore bundle files: where they go, how they are written and read.

Usage::

    from mbom.attest.bundles import default_bundle_path, read_bundle, write_bundle

    write_bundle(bundle, default_bundle_path("bom.cdx.json"))   # bom.cdx.json.sigstore.json
    bundle = read_bundle("bom.cdx.json.sigstore.json")          # dict, media type checked

Bundles are written atomically (a reader never sees half a bundle). A missing bundle means
verification cannot be evaluated (:class:`TrustMaterialError`, exit 3); a malformed one is an
input error (exit 2).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mbom._shape import INT64, OPTIONAL_STRING, STRING, ListOf, Object, check_shape
from mbom.attest._internal.keybundle import BUNDLE_MEDIA_TYPE
from mbom.errors import MalformedFileError, TrustMaterialError, UnreadableFileError

BUNDLE_SUFFIX = ".sigstore.json"
#: Media types read (v0.3 is what mbom and sigstore-python 4 write).
READABLE_MEDIA_TYPES = frozenset(
    {
        BUNDLE_MEDIA_TYPE,
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
    }
)
MAX_BUNDLE_BYTES = 64 * 1024 * 1024

_RAW_BYTES = Object({"rawBytes": STRING})
_TLOG_ENTRY = Object(
    {
        "logIndex": INT64,
        "logId": Object({"keyId": STRING}),
        "kindVersion": Object({"kind": STRING, "version": STRING}),
        "integratedTime": INT64,
        "inclusionPromise": Object({"signedEntryTimestamp": STRING}),
        "inclusionProof": Object(
            {
                "logIndex": INT64,
                "rootHash": STRING,
                "treeSize": INT64,
                "hashes": ListOf(STRING),
                "checkpoint": Object({"envelope": STRING}),
            }
        ),
        "canonicalizedBody": STRING,
    }
)
#: The fields of a Sigstore bundle (v0.1-v0.3, protobuf JSON) that mbom's verifiers read.
BUNDLE_SHAPE = Object(
    {
        "mediaType": STRING,
        "verificationMaterial": Object(
            {
                "publicKey": Object({"hint": STRING}),
                "certificate": _RAW_BYTES,
                "x509CertificateChain": Object({"certificates": ListOf(_RAW_BYTES)}),
                "tlogEntries": ListOf(_TLOG_ENTRY),
                "timestampVerificationData": Object(
                    {"rfc3161Timestamps": ListOf(Object({"signedTimestamp": STRING}))}
                ),
            }
        ),
        "dsseEnvelope": Object(
            {
                "payload": STRING,
                "payloadType": STRING,
                "signatures": ListOf(Object({"sig": STRING, "keyid": OPTIONAL_STRING})),
            }
        ),
        "messageSignature": Object(
            {
                "messageDigest": Object({"algorithm": STRING, "digest": STRING}),
                "signature": STRING,
            }
        ),
    },
    required=("mediaType", "verificationMaterial"),
)

__all__ = ["BUNDLE_MEDIA_TYPE", "default_bundle_path", "read_bundle", "write_bundle"]


def default_bundle_path(signed_path: str | os.PathLike[str]) -> str:
    """``bom.cdx.json`` -> ``bom.cdx.json.sigstore.json``."""
    return os.fspath(signed_path) + BUNDLE_SUFFIX


def write_bundle(bundle: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``bundle`` as indented JSON, atomically; returns the path."""
    from mbom._atomic import write_atomic

    target = Path(path)
    write_atomic(target, json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
    return target


def read_bundle(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a bundle file and check that it is a Sigstore bundle this project reads."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read(MAX_BUNDLE_BYTES + 1)
    except FileNotFoundError:
        raise TrustMaterialError(f"{name}: bundle not found", path=name) from None
    except OSError as exc:
        raise UnreadableFileError(f"{name}: cannot read: {exc.strerror}", path=name) from None
    if len(data) > MAX_BUNDLE_BYTES:
        raise MalformedFileError(f"{name}: larger than any Sigstore bundle should be", path=name)
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedFileError(f"{name}: not valid JSON: {exc}", path=name) from None
    return parse_bundle(document, name)


def parse_bundle(document: Any, name: str = "bundle") -> dict[str, Any]:
    """Check the shape of a bundle document: every field a verifier reads has its JSON type
    (so no reader further in meets a list where it expects a string), media type, one content.
    """
    if not isinstance(document, dict):
        raise MalformedFileError(f"{name}: not a Sigstore bundle (not a JSON object)", path=name)
    check_shape(document, BUNDLE_SHAPE, name)
    media_type = document.get("mediaType")
    if media_type not in READABLE_MEDIA_TYPES:
        raise MalformedFileError(
            f"{name}: not a Sigstore bundle (mediaType {media_type!r})", path=name
        )
    if not isinstance(document.get("verificationMaterial"), dict):
        raise MalformedFileError(f"{name}: bundle has no verificationMaterial", path=name)
    has_dsse, has_message = "dsseEnvelope" in document, "messageSignature" in document
    if has_dsse == has_message:
        raise MalformedFileError(
            f"{name}: bundle must hold exactly one of dsseEnvelope and messageSignature",
            path=name,
        )
    return document
