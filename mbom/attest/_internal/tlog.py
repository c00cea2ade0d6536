"""Transparency-log entries of key-signed bundles, which sigstore-python will not verify.

sigstore-python 4.5 refuses bundles without a certificate ("expected certificate in bundle"),
so a bundle signed by a managed key and logged in Rekor needs this path. The log proof itself
(RFC 6962 inclusion proof, signed checkpoint, signed entry timestamp) is checked by
sigstore-python's own ``TransparencyLogEntry`` against the trusted root's Rekor keys; this
module adds what it cannot know without a certificate: that the logged entry is *this*
signature, by *this* key, over *this* artifact or envelope, and that the log's key was valid
(closed ``validFor`` window) when the entry was integrated.

Entry kinds: ``hashedrekord`` 0.0.1 and 0.0.2 (message signatures, and Rekor v2 DSSE),
``dsse`` 0.0.1, and ``intoto`` 0.0.2 (what ``cosign attest-blob`` writes: the envelope's
payload hash and its signature, double base64-encoded, with the signer's public key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from mbom.attest._internal.dsse import Envelope, b64decode
from mbom.attest._internal.windows import check_log_key_window
from mbom.attest.keys import spki_der
from mbom.errors import MalformedFileError, VerificationError
from mbom.load import parse_json

CHECK = "tlog entry"


def verify_log_entry(
    document: Mapping[str, Any],
    trusted_root: Any,
    *,
    public_key: Any,
    signature: bytes,
    message_digest: bytes | None = None,
    envelope: Envelope | None = None,
) -> int | None:
    """Check one ``tlogEntries`` item; return its integrated time (None for Rekor v2)."""
    from sigstore._internal.trust import KeyringPurpose
    from sigstore.errors import VerificationError as SigstoreVerificationError
    from sigstore.models import InvalidBundle, TransparencyLogEntry
    from sigstore_models.rekor.v1 import TransparencyLogEntry as EntryModel

    try:
        entry = TransparencyLogEntry(EntryModel.from_dict(dict(document)))
    except (InvalidBundle, ValueError) as exc:
        raise VerificationError(
            f"transparency log entry is malformed: {exc}", check=CHECK
        ) from None
    try:
        entry._verify(trusted_root.rekor_keyring(KeyringPurpose.VERIFY))
    except SigstoreVerificationError as exc:
        raise VerificationError(f"transparency log entry: {exc}", check=CHECK) from None
    time = int(entry._inner.integrated_time) if entry._inner.integrated_time else None
    check_log_key_window(trusted_root, entry._inner.log_id.key_id, time)
    _check_body(entry._inner, public_key, signature, message_digest, envelope)
    return time


def _check_body(
    inner: Any,
    public_key: Any,
    signature: bytes,
    message_digest: bytes | None,
    envelope: Envelope | None,
) -> None:
    kind, version = inner.kind_version.kind, inner.kind_version.version
    try:
        body = parse_json(inner.canonicalized_body)
        spec = body["spec"]
        if (kind, version) == ("hashedrekord", "0.0.1"):
            logged_digest = bytes.fromhex(spec["data"]["hash"]["value"])
            logged_sig = b64decode(spec["signature"]["content"], "signature")
            logged_key = _pem_key(b64decode(spec["signature"]["publicKey"]["content"], "key"))
        elif (kind, version) == ("hashedrekord", "0.0.2"):
            record = spec["hashedRekordV002"]
            logged_digest = b64decode(record["data"]["digest"], "digest")
            logged_sig = b64decode(record["signature"]["content"], "signature")
            logged_key = b64decode(record["signature"]["verifier"]["publicKey"]["rawBytes"], "key")
        elif (kind, version) == ("dsse", "0.0.1") and envelope is not None:
            _check_dsse_body(spec, public_key, envelope)
            return
        elif (kind, version) == ("intoto", "0.0.2") and envelope is not None:
            check_intoto_body(spec, spki_der(public_key), envelope)
            return
        else:
            raise VerificationError(
                f"unsupported transparency log entry {kind}/{version} for this bundle",
                check=CHECK,
            )
    except (KeyError, TypeError, ValueError, MalformedFileError) as exc:
        raise VerificationError(
            f"transparency log entry body is malformed: {exc}", check=CHECK
        ) from None
    expected_digest = message_digest
    if envelope is not None:  # Rekor v2 logs DSSE as hashedrekord over the PAE's digest
        expected_digest = hashlib.sha256(envelope.pae).digest()
    _same("artifact digest", expected_digest, logged_digest)
    _same("signature", signature, logged_sig)
    _same("public key", spki_der(public_key), logged_key)


def _check_dsse_body(spec: Mapping[str, Any], public_key: Any, envelope: Envelope) -> None:
    _same(
        "payload hash",
        hashlib.sha256(envelope.payload).digest(),
        bytes.fromhex(spec["payloadHash"]["value"]),
    )
    logged = {
        (b64decode(item["signature"], "signature"), _pem_key(b64decode(item["verifier"], "key")))
        for item in spec["signatures"]
    }
    for sig in envelope.signatures:
        if (sig.sig, spki_der(public_key)) not in logged:
            raise VerificationError(
                "transparency log entry does not record this envelope's signature by this key",
                check=CHECK,
            )


def check_intoto_body(spec: Mapping[str, Any], signer_spki: bytes, envelope: Envelope) -> None:
    """An ``intoto`` 0.0.2 body records this envelope: payload hash, one signature, the key.

    Rekor stores the envelope without its payload; ``sig`` is base64 of the base64 signature
    and ``publicKey`` base64 of a PEM key or certificate (raises KeyError/TypeError/ValueError
    on a malformed body, reported by the caller).
    """
    content = spec["content"]
    payload_hash = content["payloadHash"]
    if payload_hash["algorithm"] != "sha256":
        raise ValueError(f"payload hash algorithm {payload_hash['algorithm']!r}")
    _same(
        "payload hash",
        hashlib.sha256(envelope.payload).digest(),
        bytes.fromhex(payload_hash["value"]),
    )
    logged_envelope = content["envelope"]
    if logged_envelope["payloadType"] != envelope.payload_type:
        raise VerificationError(
            "transparency log entry payload type does not match the bundle",
            check=CHECK,
            expected=envelope.payload_type,
            actual=str(logged_envelope["payloadType"]),
        )
    (logged,) = logged_envelope["signatures"]  # one, like the bundle's envelope
    inner = b64decode(logged["sig"], "signature").decode("ascii")
    _same("signature", envelope.signatures[0].sig, b64decode(inner, "signature"))
    _same("public key", signer_spki, _pem_key(b64decode(logged["publicKey"], "key")))


def _same(what: str, expected: bytes | None, actual: bytes) -> None:
    if expected != actual:
        raise VerificationError(
            f"transparency log entry {what} does not match the bundle",
            check=CHECK,
            expected=expected.hex() if expected is not None else None,
            actual=actual.hex(),
        )


def _pem_key(pem: bytes) -> bytes:
    """DER SPKI of a PEM public key or certificate as Rekor v1 stores it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    if b"CERTIFICATE" in pem:
        return spki_der(x509.load_pem_x509_certificate(pem).public_key())
    return spki_der(serialization.load_pem_public_key(pem))
