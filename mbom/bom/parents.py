"""Reading a BOM that may come wrapped in a bundle, and parent models named with ``--parent``.

A parent is read, not verified, here: the generator records what the parent says it is
(serial number, model name and version, its model's Merkle root) and where it was found;
``mbom verify`` resolves and verifies parents recursively. A parent may be a BOM file or a
Sigstore bundle / DSSE envelope whose in-toto statement carries a BOM predicate.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mbom.errors import MalformedFileError
from mbom.load import load_json, parse_json

MERKLE_ROOT_PROPERTY = "mbom:merkle-root:sha256"


@dataclass(frozen=True, slots=True)
class ParentRecord:
    """What a parent BOM says about its model, and where it was read from."""

    location: str
    serial_number: str | None
    bom_version: int
    name: str
    version: str | None
    merkle_root: str | None
    from_bundle: bool


def read_parent(path: str | os.PathLike[str]) -> ParentRecord:
    """Read a parent BOM or bundle at ``path`` (unverified)."""
    from mbom.bom.subjects import model_component

    location = os.fspath(path)
    bom, from_bundle = load_bom_or_bundle(location)
    model = model_component(bom)
    root = next(
        (
            p.get("value")
            for p in model.get("properties") or ()
            if isinstance(p, Mapping) and p.get("name") == MERKLE_ROOT_PROPERTY
        ),
        None,
    )
    if root is None:
        root = next(
            (h.get("content") for h in model.get("hashes") or () if h.get("alg") == "SHA-256"),
            None,
        )
    version = bom.get("version", 1)
    return ParentRecord(
        location=location,
        serial_number=bom.get("serialNumber"),
        bom_version=version if isinstance(version, int) else 1,
        name=str(model.get("name", "")),
        version=model.get("version"),
        merkle_root=root,
        from_bundle=from_bundle,
    )


def load_bom_or_bundle(location: str) -> tuple[dict[str, Any], bool]:
    """The BOM in a BOM file, or in a bundle's / DSSE envelope's statement predicate."""
    from mbom.bom.read import check_bom

    document = _load_json(location)
    if document.get("bomFormat") == "CycloneDX":
        return check_bom(document, location), False
    envelope = document.get("dsseEnvelope", document)
    payload = envelope.get("payload") if isinstance(envelope, Mapping) else None
    if not isinstance(payload, str):
        raise MalformedFileError(
            f"{location}: neither a CycloneDX BOM nor a bundle with a DSSE payload"
        )
    try:
        statement = parse_json(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise MalformedFileError(f"{location}: DSSE payload is not base64 JSON: {exc}") from None
    if not isinstance(statement, Mapping):
        raise MalformedFileError(f"{location}: DSSE payload is not an in-toto statement")
    from mbom.attest.statement import is_bom_predicate_type  # the one rule for BOM types

    predicate_type = str(statement.get("predicateType", ""))
    if not is_bom_predicate_type(predicate_type):
        raise MalformedFileError(
            f"{location}: the statement's predicateType {predicate_type!r} is not a CycloneDX BOM"
        )
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict) or predicate.get("bomFormat") != "CycloneDX":
        raise MalformedFileError(f"{location}: the statement's predicate is not a CycloneDX BOM")
    return check_bom(predicate, f"{location}: predicate"), True


def _load_json(location: str) -> dict[str, Any]:
    from mbom.bom.read import read_bom_bytes

    document = load_json(read_bom_bytes(location), location)
    if not isinstance(document, dict):
        raise MalformedFileError(f"{location}: not a JSON object")
    return document


def bundle_signers(location: str) -> list[dict[str, str]]:
    """Who a bundle says signed it (unverified): certificate identity and issuer, or key hint,
    and the key id of every further signature its DSSE envelope carries."""
    document = _load_json(location)
    material = _mapping(document.get("verificationMaterial"))
    signers: list[dict[str, str]] = []
    hint = _mapping(material.get("publicKey")).get("hint")
    if isinstance(hint, str) and hint:
        signers.append({"key": hint})
    raw = _mapping(material.get("certificate")).get("rawBytes")
    chain = _mapping(material.get("x509CertificateChain")).get("certificates")
    if not raw and isinstance(chain, list) and chain:
        raw = _mapping(chain[0]).get("rawBytes")
    if isinstance(raw, str) and raw:
        signers.append(_certificate_identity(raw))
    envelope = document.get("dsseEnvelope")
    signatures = envelope.get("signatures") if isinstance(envelope, dict) else None
    named = {signer.get("key") for signer in signers}
    for signature in signatures if isinstance(signatures, list) else ():
        keyid = signature.get("keyid") if isinstance(signature, dict) else None
        if isinstance(keyid, str) and keyid and keyid not in named:  # a further DSSE signer
            signers.append({"key": keyid})
            named.add(keyid)
    return signers


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` when the bundle put an object there, else empty: a hostile bundle's shapes
    are the verifier's to report, not a crash here."""
    return value if isinstance(value, dict) else {}


def _certificate_identity(raw: str) -> dict[str, str]:
    from cryptography import x509

    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(raw))
    except (ValueError, binascii.Error):
        return {"certificate": "unparsable"}
    identity = {"certificate": format(cert.serial_number, "x")}
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [
            *san.get_values_for_type(x509.RFC822Name),
            *san.get_values_for_type(x509.UniformResourceIdentifier),
        ]
        if names:
            identity["identity"] = names[0]
    except (x509.ExtensionNotFound, ValueError):  # absent, or malformed in a hostile bundle
        pass
    for oid in ("1.3.6.1.4.1.57264.1.8", "1.3.6.1.4.1.57264.1.1"):
        try:
            value = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier(oid)).value
        except (x509.ExtensionNotFound, ValueError):
            continue
        data = getattr(value, "value", b"")  # UnrecognizedExtension bytes
        text = data[2:] if oid.endswith(".8") and len(data) > 2 else data
        identity["issuer"] = text.decode("utf-8", "replace")
        break
    return identity
