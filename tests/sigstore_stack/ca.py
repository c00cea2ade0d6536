"""A two-level test CA shaped like Fulcio's: P-384 root and intermediate, code-signing leaves.

Leaf certificates follow Fulcio's profile closely enough for sigstore-python's checks (an empty
subject with a critical SAN, digitalSignature, codeSigning, AKI/SKI, one embedded SCT), because
its verifier runs cryptography's WebPKI path validation over them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.sigstore_stack.keys import key_id, new_p384_key
from tests.sigstore_stack.sct import CTLog, sct_list_extension

CA_LIFETIME = dt.timedelta(days=365)
BACKDATE = dt.timedelta(hours=1)

_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)
_LEAF_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def _name(common_name: str, organization: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


@dataclass(frozen=True)
class CertificateAuthority:
    """Root and intermediate plus the intermediate's key, which signs every leaf."""

    root: x509.Certificate
    intermediate: x509.Certificate
    intermediate_key: ec.EllipticCurvePrivateKey
    organization: str
    common_name: str

    @classmethod
    def generate(
        cls, *, organization: str = "mbom.test", common_name: str = "mbom-test-fulcio"
    ) -> CertificateAuthority:
        """Create a fresh root and intermediate, valid from an hour ago for a year."""
        now = _utc_now()
        root_key, intermediate_key = new_p384_key(), new_p384_key()
        root_name = _name(common_name, organization)
        root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
        root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(_CA_KEY_USAGE, critical=True)
            .add_extension(root_ski, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
                critical=False,
            )
            .sign(root_key, hashes.SHA384())
        )
        intermediate = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{common_name}-intermediate", organization))
            .issuer_name(root_name)
            .public_key(intermediate_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_CA_KEY_USAGE, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(intermediate_key.public_key()),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
                critical=False,
            )
            .sign(root_key, hashes.SHA384())
        )
        return cls(root, intermediate, intermediate_key, organization, common_name)

    @property
    def chain(self) -> list[x509.Certificate]:
        """Issuer chain for leaves, intermediate first, as Fulcio and trust roots list it."""
        return [self.intermediate, self.root]

    @property
    def valid_from(self) -> dt.datetime:
        """Start of the CA's validity, used as the trusted root's `validFor.start`."""
        return self.root.not_valid_before_utc

    def issue_leaf(
        self,
        *,
        public_key: x509.certificate.CertificatePublicKeyTypes,
        san: x509.GeneralName,
        extensions: Sequence[x509.UnrecognizedExtension],
        ct_log: CTLog,
        lifetime: dt.timedelta,
    ) -> x509.Certificate:
        """Issue a short-lived code-signing leaf with one SCT embedded by the precert flow."""
        now = _utc_now()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.intermediate.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + lifetime)
            .add_extension(_LEAF_KEY_USAGE, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.intermediate_key.public_key()
                ),
                critical=False,
            )
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
        )
        for extension in extensions:
            builder = builder.add_extension(extension, critical=False)

        # The precertificate TBS is the final TBS minus the SCT list; appending that extension
        # last keeps every other byte identical, which the assertion below double-checks.
        precert = builder.sign(self.intermediate_key, hashes.SHA384())
        sct = ct_log.sign_precert(
            issuer_key_hash=key_id(self.intermediate_key.public_key()),
            tbs=precert.tbs_certificate_bytes,
            timestamp_ms=int(now.timestamp() * 1000),
        )
        leaf = builder.add_extension(sct_list_extension([sct]), critical=False).sign(
            self.intermediate_key, hashes.SHA384()
        )
        if leaf.tbs_precertificate_bytes != precert.tbs_certificate_bytes:
            raise AssertionError("precertificate TBS drifted from the final certificate")
        return leaf
