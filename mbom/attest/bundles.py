"""Sigstore bundle files: where they go, how they are written and read.

Usage::

    from mbom.attest.bundles import default_bundle_path, read_bundle, write_bundle

    write_bundle(bundle, default_bundle_path("bom.cdx.json"))   # bom.cdx.json.sigstore.json
    bundle = read_bundle("bom.cdx.json.sigstore.json")          # dict, media type checked
    paths = bundle_paths("bom.cdx.json", "out/", ["ab12...", "cd34..."])  # one per signer
    write_bundles(zip(paths, bundles))                          # all or none

Several signers write one bundle each (the bundle spec allows one signature). ``-o`` then
names a directory (``DIR/{bom}.{keyid}.sigstore.json`` in it) or a pattern with the
placeholders ``{bom}`` (the BOM's file name), ``{n}`` (1-based signer number, in ``--key``
order) and ``{keyid}`` (the signer's key hint); several signers need ``{n}`` or ``{keyid}``.
Without ``-o``: ``BOM.sigstore.json`` for one signer, ``BOM.{n}.sigstore.json`` for several.

Bundles are written atomically (a reader never sees half a bundle). A missing bundle means
verification cannot be evaluated (:class:`TrustMaterialError`, exit 3); a malformed one is an
input error (exit 2).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
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
PLACEHOLDERS = ("{bom}", "{n}", "{keyid}")

__all__ = [
    "BUNDLE_MEDIA_TYPE",
    "bundle_paths",
    "default_bundle_path",
    "read_bundle",
    "write_bundle",
    "write_bundles",
]


def default_bundle_path(signed_path: str | os.PathLike[str]) -> str:
    """``bom.cdx.json`` -> ``bom.cdx.json.sigstore.json``."""
    return os.fspath(signed_path) + BUNDLE_SUFFIX


def write_bundle(bundle: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``bundle`` as indented JSON, atomically; returns the path."""
    from mbom._atomic import write_atomic

    target = Path(path)
    write_atomic(target, _encode(bundle))
    return target


def bundle_paths(
    bom: str | os.PathLike[str], output: str | None, keyids: list[str | None]
) -> list[str]:
    """Where each signer's bundle goes (see the module docstring); distinct paths."""
    from mbom.errors import InputError

    bom_name = os.path.basename(os.fspath(bom))
    if output is None:
        if len(keyids) == 1:
            return [default_bundle_path(bom)]
        output = os.path.join(os.path.dirname(os.fspath(bom)), "{bom}.{n}" + BUNDLE_SUFFIX)
    elif os.path.isdir(output) or output.endswith(("/", os.sep)):
        output = os.path.join(output, "{bom}.{keyid}" + BUNDLE_SUFFIX)
    elif not any(mark in output for mark in PLACEHOLDERS):
        if len(keyids) == 1:
            return [output]
        raise InputError(
            f"-o {output}: {len(keyids)} signers write {len(keyids)} bundles; give a directory "
            "or a pattern with {n} or {keyid}"
        )
    if len(keyids) > 1 and "{n}" not in output and "{keyid}" not in output:
        raise InputError(f"-o {output}: several signers need {{n}} or {{keyid}} in the pattern")
    paths = []
    for number, keyid in enumerate(keyids, start=1):
        if "{keyid}" in output and keyid is None:
            raise InputError("{keyid} names key signers; a keyless signature has none: use {n}")
        name = output.replace("{bom}", bom_name).replace("{n}", str(number))
        paths.append(name.replace("{keyid}", keyid or ""))
    if len(set(paths)) != len(paths):
        raise InputError(f"-o {output}: the signers' bundle paths collide")
    return paths


def write_bundles(items: Iterable[tuple[str | os.PathLike[str], Mapping[str, Any]]]) -> list[Path]:
    """Write several bundles as a set: every one is staged before any is put in place.

    A failure while staging (ENOSPC, EACCES) leaves every previous bundle untouched.
    """
    import contextlib
    import tempfile

    from mbom.errors import InputError

    staged: list[tuple[str, Path]] = []
    target = Path(".")
    try:
        for path, bundle in items:
            target = Path(path)
            directory = target.parent if str(target.parent) else Path(".")
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(_encode(bundle))
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as exc:
        for tmp, _target in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise InputError(f"{target}: cannot write: {exc.strerror}", path=str(target)) from None
    except BaseException:
        for tmp, _target in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    return [target for _tmp, target in staged]


def _encode(bundle: Mapping[str, Any]) -> bytes:
    return (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def read_bundle(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Parse a bundle file and check that it is a Sigstore bundle this project reads."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read(MAX_BUNDLE_BYTES + 1)
    except FileNotFoundError:
        raise TrustMaterialError(
            f"{name}: bundle not found: give the .sigstore.json that mbom sign wrote "
            "(mbom sign BOM --key KEY.pem writes BOM.sigstore.json)",
            path=name,
        ) from None
    except OSError as exc:
        raise UnreadableFileError(f"{name}: cannot read: {exc.strerror}", path=name) from None
    if len(data) > MAX_BUNDLE_BYTES:
        raise MalformedFileError(f"{name}: larger than any Sigstore bundle should be", path=name)
    from mbom.load import load_json

    return parse_bundle(load_json(data, name), name)


def not_a_bundle(document: Mapping[str, Any], name: str) -> str:
    """Why ``document`` is not a bundle mbom reads: what it looks like and what to pass instead."""
    media_type = document.get("mediaType")
    pass_this = "pass the .sigstore.json bundle that mbom sign (or cosign, model_signing) wrote"
    if document.get("bomFormat") == "CycloneDX":
        what = (
            f"it is a CycloneDX BOM: sign it (mbom sign {name} --key KEY.pem) and pass the "
            f"{name}.sigstore.json that writes"
        )
    elif "payloadType" in document and "signatures" in document:
        what = f"it is a bare DSSE envelope, without a bundle's verification material; {pass_this}"
    elif "_type" in document and "predicateType" in document:
        what = f"it is an unsigned in-toto statement; {pass_this}"
    elif isinstance(media_type, str):
        what = (
            f"unsupported mediaType {media_type!r} (mbom reads Sigstore bundles v0.1 to v0.3); "
            f"{pass_this}"
        )
    else:
        what = f"no mediaType ({BUNDLE_MEDIA_TYPE} expected); {pass_this}"
    return f"{name}: not a Sigstore bundle: {what}"


def parse_bundle(document: Any, name: str = "bundle") -> dict[str, Any]:
    """Check the shape of a bundle document: every field a verifier reads has its JSON type
    (so no reader further in meets a list where it expects a string), media type, one content.
    """
    if not isinstance(document, dict):
        raise MalformedFileError(f"{name}: not a Sigstore bundle (not a JSON object)", path=name)
    media_type = document.get("mediaType")
    if (media_type is None or isinstance(media_type, str)) and (
        media_type not in READABLE_MEDIA_TYPES
    ):  # any other type is the shape check's to name
        raise MalformedFileError(not_a_bundle(document, name), path=name)
    check_shape(document, BUNDLE_SHAPE, name)
    if not isinstance(document.get("verificationMaterial"), dict):
        raise MalformedFileError(f"{name}: bundle has no verificationMaterial", path=name)
    has_dsse, has_message = "dsseEnvelope" in document, "messageSignature" in document
    if has_dsse == has_message:
        raise MalformedFileError(
            f"{name}: bundle must hold exactly one of dsseEnvelope and messageSignature",
            path=name,
        )
    return document
