"""Signing keys on disk: generate, write, load, and name them by their key hint.

Usage::

    from mbom.attest.keys import write_key_pair, load_signing_key, load_public_key, key_hint

    private_path, public_path = write_key_pair("release", "ecdsa-p256", passphrase="s3cret")
    key = load_signing_key(private_path, passphrase="s3cret")   # SigningKey
    key.hint == key_hint(load_public_key(public_path))          # hex SHA-256 of the DER SPKI

Supported: ECDSA P-256 (SHA-256), ECDSA P-384 (SHA-384), Ed25519, RSA-PSS with SHA-256 and a
modulus of at least 3072 bits. Private keys are PKCS#8 PEM, encrypted with the best available
algorithm when a passphrase is given; public keys are SubjectPublicKeyInfo PEM. The library
takes passphrases as arguments; finding one (environment, prompt) is the caller's job.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbom.errors import InputError

KEY_TYPES = ("ecdsa-p256", "ecdsa-p384", "ed25519", "rsa")
DEFAULT_KEY_TYPE = "ecdsa-p256"
#: The environment variable the CLI reads a private key's passphrase from.
PASSPHRASE_ENV = "MBOM_KEY_PASSPHRASE"
MIN_RSA_BITS = 3072
RSA_BITS = 3072
_CURVES = {"secp256r1": "ecdsa-p256", "secp384r1": "ecdsa-p384"}


class PassphraseRequired(InputError):
    """The private key is encrypted and no passphrase was given (the CLI may prompt and retry)."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A loaded private key and where it came from."""

    private_key: Any
    source: str

    @property
    def public_key(self) -> Any:
        return self.private_key.public_key()

    @property
    def key_type(self) -> str:
        return key_type_of(self.public_key)

    @property
    def hint(self) -> str:
        return key_hint(self.public_key)


def key_hint(public_key: Any) -> str:
    """The key hint mbom writes: lowercase hex SHA-256 of the DER SubjectPublicKeyInfo."""
    return hashlib.sha256(spki_der(public_key)).hexdigest()


def spki_der(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_pem(public_key: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_type_of(public_key: Any) -> str:
    """The mbom name of a public key's type, or :class:`InputError` when it is not supported."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if isinstance(public_key, ec.EllipticCurvePublicKey):
        name = _CURVES.get(public_key.curve.name)
        if name is None:
            raise InputError(
                f"unsupported elliptic curve {public_key.curve.name}: use P-256 or P-384"
            )
        return name
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < MIN_RSA_BITS:
            raise InputError(
                f"RSA key of {public_key.key_size} bits is too small: "
                f"at least {MIN_RSA_BITS} bits are required"
            )
        return "rsa"
    raise InputError(
        f"unsupported key type {type(public_key).__name__}: use one of {', '.join(KEY_TYPES)}"
    )


def generate_key(key_type: str = DEFAULT_KEY_TYPE) -> Any:
    """A new private key of ``key_type`` (one of :data:`KEY_TYPES`)."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    if key_type == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ecdsa-p384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    raise InputError(f"unknown key type {key_type!r}: use one of {', '.join(KEY_TYPES)}")


def private_key_pem(private_key: Any, passphrase: str | bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with the best available algorithm when ``passphrase`` is given."""
    from cryptography.hazmat.primitives import serialization

    encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    if passphrase:
        encryption = serialization.BestAvailableEncryption(_as_bytes(passphrase))
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def write_key_pair(
    prefix: str | os.PathLike[str],
    key_type: str = DEFAULT_KEY_TYPE,
    passphrase: str | bytes | None = None,
) -> tuple[Path, Path]:
    """Write ``PREFIX.pem`` (private, mode 0600) and ``PREFIX.pub``; refuse to overwrite either."""
    from mbom._atomic import write_atomic

    base = os.fspath(prefix)
    private_path, public_path = Path(f"{base}.pem"), Path(f"{base}.pub")
    for path in (private_path, public_path):
        if path.exists():
            raise InputError(f"{path}: already exists; refusing to overwrite a key", path=str(path))
    if not private_path.parent.is_dir():
        raise InputError(f"{private_path.parent}: no such directory", path=str(private_path))
    key = generate_key(key_type)
    write_atomic(private_path, private_key_pem(key, passphrase), mode=0o600)
    write_atomic(public_path, public_key_pem(key.public_key()), mode=0o644)
    return private_path, public_path


def load_signing_key(
    path: str | os.PathLike[str], passphrase: str | bytes | None = None
) -> SigningKey:
    """Load a PEM private key; every way it can fail is one :class:`InputError` line.

    Raises :class:`PassphraseRequired` when the key is encrypted and ``passphrase`` is None. A
    passphrase given for an unencrypted key is ignored.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    name = os.fspath(path)
    data = _read_pem(name, "private")
    if b"PRIVATE KEY" not in data:
        kind = "a public key" if b"PUBLIC KEY" in data else "not a PEM private key"
        raise InputError(f"{name}: {kind}; signing needs a PEM private key", path=name)
    secret = _as_bytes(passphrase) if passphrase else None
    try:
        try:
            private_key = serialization.load_pem_private_key(data, secret)
        except TypeError as exc:
            if secret is None:
                raise PassphraseRequired(
                    f"{name}: the private key is encrypted and no passphrase was given",
                    path=name,
                ) from None
            if "not encrypted" not in str(exc):
                raise
            private_key = serialization.load_pem_private_key(data, None)
    except ValueError:
        if secret is not None and b"ENCRYPTED" in data:
            raise InputError(f"{name}: wrong passphrase for the private key", path=name) from None
        raise InputError(f"{name}: not a valid PEM private key", path=name) from None
    except UnsupportedAlgorithm as exc:
        raise InputError(f"{name}: unsupported private key: {exc}", path=name) from None
    try:
        key_type_of(private_key.public_key())
    except InputError as exc:
        raise InputError(f"{name}: {exc}", path=name) from None
    return SigningKey(private_key=private_key, source=name)


def load_public_key(path: str | os.PathLike[str]) -> Any:
    """Load a PEM SubjectPublicKeyInfo public key of a supported type."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    name = os.fspath(path)
    data = _read_pem(name, "public")
    if b"PRIVATE KEY" in data:
        raise InputError(f"{name}: a private key; verification needs the public key", path=name)
    try:
        public_key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise InputError(f"{name}: not a valid PEM public key", path=name) from None
    try:
        key_type_of(public_key)
    except InputError as exc:
        raise InputError(f"{name}: {exc}", path=name) from None
    return public_key


def _read_pem(name: str, kind: str) -> bytes:
    try:
        with open(name, "rb") as handle:
            return handle.read(1024 * 1024)
    except FileNotFoundError:
        raise InputError(
            f"{name}: no such file: give a {kind} key (mbom keygen PREFIX writes PREFIX.pem, the "
            "private key for sign, and PREFIX.pub, the public key for verify)",
            path=name,
        ) from None
    except IsADirectoryError:
        raise InputError(f"{name}: is a directory, not a key file", path=name) from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}", path=name) from None


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value
