"""The in-toto statement: subjects from the BOM, canonical reproducible bytes, reading."""

from __future__ import annotations

import hashlib
import json

import pytest

from mbom.attest.statement import (
    BOM_PREDICATE_TYPE,
    STATEMENT_TYPE,
    bom_statement,
    parse_statement,
)
from mbom.canonical import canonical_json
from mbom.errors import MalformedFileError
from tests.attest.conftest import MODEL_FILES, make_bom, write_model


def test_subjects_are_the_model_files(tmp_path):
    statement = bom_statement(make_bom(write_model(tmp_path / "m")))
    assert [s.name for s in statement.subjects] == sorted(MODEL_FILES)
    for subject in statement.subjects:
        assert subject.digest == {"sha256": hashlib.sha256(MODEL_FILES[subject.name]).hexdigest()}
    document = json.loads(statement.to_json())
    assert document["_type"] == STATEMENT_TYPE
    assert document["predicateType"] == BOM_PREDICATE_TYPE
    assert document["predicate"]["bomFormat"] == "CycloneDX"


def test_payload_is_canonical_and_reproducible(tmp_path):
    bom = make_bom(write_model(tmp_path / "m"))
    shuffled = json.loads(json.dumps(bom, sort_keys=True))  # same content, other key order
    first, second = bom_statement(bom).to_json(), bom_statement(shuffled).to_json()
    assert first == second
    assert b" " not in first.split(b'"predicate"')[0]  # no insignificant whitespace
    assert canonical_json(json.loads(first)) == first


@pytest.mark.parametrize(
    "predicate_type", ["https://cyclonedx.org/bom", "https://cyclonedx.org/bom/v1.6"]
)
def test_versioned_bom_predicate_types_are_read(tmp_path, predicate_type):
    document = json.loads(bom_statement(make_bom(write_model(tmp_path / "m"))).to_json())
    document["predicateType"] = predicate_type
    assert parse_statement(json.dumps(document).encode()).is_bom


def test_other_predicates_are_not_boms(tmp_path):
    document = json.loads(bom_statement(make_bom(write_model(tmp_path / "m"))).to_json())
    document["predicateType"] = "https://slsa.dev/provenance/v1"
    assert not parse_statement(json.dumps(document).encode()).is_bom


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not valid JSON"),
        (b'{"_type": "https://in-toto.io/Statement/v0.1"}', "_type"),
        (
            b'{"_type": "https://in-toto.io/Statement/v1", "predicateType": "x", "subject": []}',
            "no subjects",
        ),
    ],
)
def test_malformed_statements(payload, message):
    with pytest.raises(MalformedFileError, match=message):
        parse_statement(payload)


def test_canonical_json_rejects_what_json_cannot_carry():
    with pytest.raises(MalformedFileError):
        canonical_json({"n": 2**60})


@pytest.mark.parametrize(
    ("payload_type", "payload"),
    [("application/vnd.in-toto+json", b'{"a": 1}'), ("t", b""), ("ü/x", "ünïcode".encode())],
)
def test_pae_matches_securesystemslib(payload_type: str, payload: bytes) -> None:
    from securesystemslib.dsse import Envelope

    from mbom.attest._internal.dsse import pae

    assert pae(payload_type, payload) == Envelope(payload, payload_type, {}).pae()


@pytest.mark.parametrize("key_type", ["ecdsa-p256", "ecdsa-p384", "ed25519", "rsa"])
def test_verification_agrees_with_securesystemslib(key_type: str) -> None:
    """Signatures made through securesystemslib verify with the cryptography-only checker."""
    from securesystemslib.signer import Signature

    from mbom.attest import SigningKey, generate_key
    from mbom.attest._internal.algorithms import sign_bytes, sslib_key, verify_bytes

    key = SigningKey(generate_key(key_type), "test")
    signature = sign_bytes(key, b"message")
    assert verify_bytes(key.public_key, signature, b"message")
    assert not verify_bytes(key.public_key, signature, b"messagE")
    sslib_key(key.public_key, "k").verify_signature(Signature("k", signature.hex()), b"message")
