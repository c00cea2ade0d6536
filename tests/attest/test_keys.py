"""Keys on disk: generation, encryption, loading, and the one-line refusals."""

from __future__ import annotations

import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mbom.attest.keys import (
    KEY_TYPES,
    PassphraseRequired,
    key_hint,
    load_public_key,
    load_signing_key,
    private_key_pem,
    write_key_pair,
)
from mbom.errors import InputError


@pytest.mark.parametrize("kind", KEY_TYPES)
def test_generated_pairs_load_and_match(key_pairs, kind):
    private_path, public_path = key_pairs[kind]
    key = load_signing_key(private_path)
    assert key.key_type == kind
    assert key.hint == key_hint(load_public_key(public_path))
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600


def test_key_hint_is_sha256_of_the_der_spki(key_pairs):
    import hashlib

    public = load_public_key(key_pairs["ecdsa-p256"][1])
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key_hint(public) == hashlib.sha256(der).hexdigest()


def test_encrypted_key_needs_the_right_passphrase(tmp_path):
    private_path, _ = write_key_pair(tmp_path / "k", "ed25519", passphrase="correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in private_path.read_bytes()
    with pytest.raises(PassphraseRequired):
        load_signing_key(private_path)
    with pytest.raises(InputError, match="wrong passphrase"):
        load_signing_key(private_path, "battery staple")
    assert load_signing_key(private_path, "correct horse").key_type == "ed25519"


def test_passphrase_for_an_unencrypted_key_is_ignored(key_pairs):
    assert load_signing_key(key_pairs["ed25519"][0], "unused").key_type == "ed25519"


def test_refuses_to_overwrite(key_pairs):
    with pytest.raises(InputError, match="already exists"):
        write_key_pair(key_pairs["ed25519"][0].with_suffix(""), "ed25519")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), "at least 3072"),
        (lambda: ec.generate_private_key(ec.SECP521R1()), "unsupported elliptic curve"),
    ],
    ids=["rsa-2048", "p-521"],
)
def test_unsupported_keys_are_refused(tmp_path, make, message):
    path = tmp_path / "weak.pem"
    path.write_bytes(private_key_pem(make()))
    with pytest.raises(InputError, match=message):
        load_signing_key(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"hello", "not a PEM private key"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not a valid PEM"),
    ],
    ids=["missing", "not-pem", "corrupt"],
)
def test_bad_private_key_files(tmp_path, content, message):
    path = tmp_path / "key.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_signing_key(path)


def test_public_and_private_keys_are_not_confused(key_pairs):
    private_path, public_path = key_pairs["ecdsa-p256"]
    with pytest.raises(InputError, match="a public key"):
        load_signing_key(public_path)
    with pytest.raises(InputError, match="a private key"):
        load_public_key(private_path)
