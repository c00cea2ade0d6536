"""Verify a keyless bundle by delegating to sigstore-python's ``Verifier``.

sigstore-python checks the certificate chain at the signing time, the SCT, the identity policy,
the log entry (inclusion proof, checkpoint, SET) and the signature, and that the log entry
records this signature. mbom adds what it leaves to callers (the DSSE payload type, the
closed validity windows of the log key and the CA at the integrated time, see
:mod:`mbom.attest._internal.windows`) and turns its errors into :class:`VerificationError`
with a ``check`` name.
"""

from __future__ import annotations

import json
from typing import Any

from mbom.attest._internal.dsse import b64decode, read_envelope
from mbom.attest._internal.outcome import (
    Outcome,
    SignerIdentity,
    check_message_digest,
    check_payload_type,
    message_digest,
)
from mbom.attest._internal.sigstore_glue import (
    IdentityMismatch,
    IdentityPolicy,
    certificate_identity,
    check_for,
    is_intoto_v002,
    one_line,
    verify_intoto_dsse,
)
from mbom.attest._internal.windows import check_ca_window, check_log_key_window
from mbom.errors import VerificationError


def verify_keyless(
    document: dict[str, Any],
    trusted_root: Any,
    identity: Any,
    issuer: Any,
    artifact_digest: str | None,
) -> Outcome:
    from sigstore.errors import Error as SigstoreError
    from sigstore.hashes import Hashed
    from sigstore.models import Bundle
    from sigstore.verify import Verifier
    from sigstore_models.common.v1 import HashAlgorithm

    outcome = Outcome()
    if "dsseEnvelope" in document:
        check_payload_type(read_envelope(document["dsseEnvelope"]).payload_type)
        outcome.checks.append("payload type")
    else:
        signed_digest, _ = message_digest(document)
        check_message_digest(signed_digest, artifact_digest)
        outcome.checks.append("message digest")
        outcome.message_digest = signed_digest.hex()
    _parse_certificate(document)
    try:
        bundle = Bundle.from_json(json.dumps(document))
    except (SigstoreError, ValueError) as exc:
        raise VerificationError(f"bundle rejected: {one_line(exc)}", check="bundle") from None
    try:
        verifier = Verifier(trusted_root=trusted_root)
        policy = IdentityPolicy(identity, issuer)
        if "dsseEnvelope" in document and is_intoto_v002(bundle.log_entry):
            outcome.payload_type, outcome.payload = verify_intoto_dsse(trusted_root, bundle, policy)
            _check_intoto_entry(bundle, read_envelope(document["dsseEnvelope"]))
        elif "dsseEnvelope" in document:
            outcome.payload_type, outcome.payload = verifier.verify_dsse(bundle, policy)
        else:
            hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(artifact_digest))
            verifier.verify_artifact(hashed, bundle, policy)
    except IdentityMismatch as exc:
        raise VerificationError(str(exc), check="identity") from None
    except SigstoreError as exc:
        message = one_line(exc)
        raise VerificationError(message, check=check_for(message)) from None
    outcome.checks.extend(("certificate", "identity", "tlog entry", "signature"))
    found = certificate_identity(bundle.signing_certificate)
    outcome.signers.append(
        SignerIdentity(kind="certificate", identity=found.identity, issuer=found.issuer)
    )
    inner = bundle.log_entry._inner
    time = int(inner.integrated_time) if inner.integrated_time else None
    check_log_key_window(trusted_root, inner.log_id.key_id, time)
    check_ca_window(trusted_root, bundle.signing_certificate, time)
    outcome.integrated_time = time
    return outcome


def _check_intoto_entry(bundle: Any, envelope: Any) -> None:
    """The ``intoto`` 0.0.2 entry's body records this envelope, signed by this certificate."""
    from mbom.attest._internal.tlog import CHECK, check_intoto_body
    from mbom.attest.keys import spki_der
    from mbom.errors import MalformedFileError

    try:
        spec = json.loads(bundle.log_entry._inner.canonicalized_body)["spec"]
        check_intoto_body(spec, spki_der(bundle.signing_certificate.public_key()), envelope)
    except (KeyError, TypeError, ValueError, MalformedFileError) as exc:
        raise VerificationError(
            f"transparency log entry body is malformed: {exc}", check=CHECK
        ) from None


def _parse_certificate(document: dict[str, Any]) -> None:
    """A certificate that does not even parse is reported as a certificate failure."""
    from cryptography import x509

    material = document["verificationMaterial"]
    raw = (material.get("certificate") or {}).get("rawBytes")
    if raw is None:
        chain = (material.get("x509CertificateChain") or {}).get("certificates") or [{}]
        raw = chain[0].get("rawBytes")
    try:
        x509.load_der_x509_certificate(b64decode(raw, "certificate"))
    except ValueError as exc:
        raise VerificationError(
            f"the signing certificate cannot be parsed: {exc}", check="certificate"
        ) from None
