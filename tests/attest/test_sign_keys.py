"""Key-signed bundles: round trips per key type, one bundle per signer, and tampering."""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest
from cryptography.exceptions import InvalidSignature

from mbom.attest import sign_bom, sign_bom_each, verify_bundle, write_bundle
from mbom.attest.keys import key_hint, load_signing_key
from mbom.errors import InputError, TrustMaterialError, VerificationError
from tests.attest.conftest import KEY_TYPES, independent_verify, load_pub, make_bom, pae

PAYLOAD_TYPE = "application/vnd.in-toto+json"


@pytest.fixture
def bom(model_and_bom):
    return json.loads(model_and_bom[1].read_text())


def _sign(bom, key_pairs, *kinds):
    return sign_bom(bom, keys=[load_signing_key(key_pairs[k][0]) for k in kinds])


@pytest.mark.parametrize("kind", KEY_TYPES)
def test_round_trip(bom, key_pairs, kind, tmp_path):
    bundle = _sign(bom, key_pairs, kind)
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    public = load_pub(key_pairs[kind][1])
    assert bundle["verificationMaterial"] == {
        "publicKey": {"hint": key_hint(public)},
        "tlogEntries": [],
    }
    envelope = bundle["dsseEnvelope"]
    payload = base64.b64decode(envelope["payload"])
    (signature,) = envelope["signatures"]
    # independent of mbom: PAE from the spec, signature with plain cryptography
    independent_verify(public, base64.b64decode(signature["sig"]), pae(PAYLOAD_TYPE, payload))

    path = write_bundle(bundle, tmp_path / "bom.cdx.json.sigstore.json")
    result = verify_bundle(path, keys=[key_pairs[kind][1]])
    assert result.payload == payload and result.payload_type == PAYLOAD_TYPE
    assert result.statement.is_bom and len(result.statement.subjects) == 3
    assert [s.key_hint for s in result.signers] == [key_hint(public)]
    assert {"payload type", "signature", "key hint", "statement"} <= set(result.checks)
    assert result.integrated_time is None


def test_signing_is_deterministic_for_the_payload(bom, key_pairs):
    first = _sign(bom, key_pairs, "ed25519")["dsseEnvelope"]
    second = _sign(copy.deepcopy(bom), key_pairs, "ed25519")["dsseEnvelope"]
    assert first == second  # Ed25519 signatures are deterministic, payload bytes are canonical


def test_several_signers_make_one_bundle_each(bom, key_pairs):
    keys = [load_signing_key(key_pairs[k][0]) for k in ("ecdsa-p256", "ed25519")]
    bundles = sign_bom_each(bom, keys=keys)
    assert len(bundles) == 2
    payloads = {b["dsseEnvelope"]["payload"] for b in bundles}
    assert len(payloads) == 1  # the same statement, signed twice
    for bundle, kind in zip(bundles, ("ecdsa-p256", "ed25519")):
        (signature,) = bundle["dsseEnvelope"]["signatures"]
        public = load_pub(key_pairs[kind][1])
        assert signature["keyid"] == bundle["verificationMaterial"]["publicKey"]["hint"]
        assert signature["keyid"] == key_hint(public)
        payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
        independent_verify(public, base64.b64decode(signature["sig"]), pae(PAYLOAD_TYPE, payload))
        assert verify_bundle(bundle, keys=[key_pairs[kind][1]]).signers[0].key_hint == key_hint(
            public
        )
    with pytest.raises(InputError, match="one signature"):
        sign_bom(bom, keys=keys)
    with pytest.raises(InputError, match="twice"):
        sign_bom_each(bom, keys=[keys[0], keys[0]])


def test_an_envelope_with_two_signatures_is_rejected(bom, key_pairs):
    """The bundle spec allows one DSSE signature: two (what mbom once wrote) is a "no"."""
    first, second = (
        sign_bom(bom, keys=[load_signing_key(key_pairs[k][0])]) for k in ("ecdsa-p256", "rsa")
    )
    first["dsseEnvelope"]["signatures"] += second["dsseEnvelope"]["signatures"]
    for kind in ("ecdsa-p256", "rsa"):
        with pytest.raises(VerificationError) as caught:
            verify_bundle(first, keys=[key_pairs[kind][1]])
        assert caught.value.check == "dsse signatures"
        assert (caught.value.expected, caught.value.actual) == ("1", "2")


def test_wrong_key_fails(bom, key_pairs):
    bundle = _sign(bom, key_pairs, "ecdsa-p256")
    with pytest.raises(VerificationError) as caught:
        verify_bundle(bundle, keys=[key_pairs["ecdsa-p384"][1]])
    assert caught.value.check == "signature"


def test_no_key_is_missing_trust_material(bom, key_pairs):
    with pytest.raises(TrustMaterialError):
        verify_bundle(_sign(bom, key_pairs, "ed25519"))


def test_subject_binding(bom, key_pairs):
    bundle = _sign(bom, key_pairs, "ed25519")
    config = bom["metadata"]["component"]["components"][0]["hashes"][0]["content"]
    assert (
        "subject"
        in verify_bundle(bundle, keys=[key_pairs["ed25519"][1]], artifact_digest=config).checks
    )
    with pytest.raises(VerificationError) as caught:
        verify_bundle(bundle, keys=[key_pairs["ed25519"][1]], artifact_digest="00" * 32)
    assert caught.value.check == "subject"


def _flip(value: str, position: int = 10) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[position % len(raw)] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _tamper_payload(bundle):
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["subject"][0]["digest"]["sha256"] = hashlib.sha256(b"evil").hexdigest()
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()


def _tamper_payload_type(bundle):
    bundle["dsseEnvelope"]["payloadType"] = "application/json"


def _tamper_signature(bundle):
    signature = bundle["dsseEnvelope"]["signatures"][0]
    signature["sig"] = _flip(signature["sig"])


def _tamper_hint(bundle):
    bundle["verificationMaterial"]["publicKey"]["hint"] = hashlib.sha256(b"other").hexdigest()


@pytest.mark.parametrize(
    ("tamper", "check", "words"),
    [
        (_tamper_payload, "signature", "does not verify"),
        (_tamper_payload_type, "payload type", "payload type"),
        (_tamper_signature, "signature", "does not verify"),
        (_tamper_hint, "key hint", "hint"),
    ],
    ids=["payload", "payload-type", "signature-byte", "key-hint"],
)
@pytest.mark.parametrize("kind", ["ecdsa-p256", "rsa"])
def test_tampering_is_named(bom, key_pairs, kind, tamper, check, words):
    bundle = _sign(bom, key_pairs, kind)
    verify_bundle(bundle, keys=[key_pairs[kind][1]])  # untampered control
    tamper(bundle)
    with pytest.raises(VerificationError, match=words) as caught:
        verify_bundle(bundle, keys=[key_pairs[kind][1]])
    assert caught.value.check == check


def test_independent_check_catches_tampering_too(bom, key_pairs):
    bundle = _sign(bom, key_pairs, "ecdsa-p256")
    _tamper_payload(bundle)
    payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
    sig = base64.b64decode(bundle["dsseEnvelope"]["signatures"][0]["sig"])
    with pytest.raises(InvalidSignature):
        independent_verify(load_pub(key_pairs["ecdsa-p256"][1]), sig, pae(PAYLOAD_TYPE, payload))


def test_bom_without_model_files_is_refused(tmp_path, key_pairs):
    from mbom.errors import MalformedFileError

    bom = make_bom(tmp_path)  # empty directory: no files
    with pytest.raises(MalformedFileError):
        _sign(bom, key_pairs, "ed25519")
