"""Key-signed bundle verification, in-process, with real keys and real signatures.

What a verifier of a key bundle promises (``mbom.attest._internal.verify_key``):

* the signers reported are exactly the given keys whose signature verifies, each by its hint;
* a DSSE signature whose ``keyid`` names a given key must verify with *that* key: a second
  given key that happens to verify does not rescue it (the keyid is not a free hint);
* ``publicKey.hint`` must name the signing key (any accepted spelling) or the envelope's keyid;
* message signatures (``messageSignature``) bind the signed digest and report it;
* transparency-log entries: none is a recorded skip, no trusted root is a recorded skip, and
  with a root every entry is checked and the first integrated time is reported.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from mbom.attest import sign_bom, verify_bundle
from mbom.attest._internal.hints import accepted_hints, oms_hint
from mbom.attest.keys import SigningKey, generate_key, key_hint
from mbom.attest.verification import SignerIdentity
from mbom.errors import MalformedFileError, VerificationError
from tests.attest.conftest import make_bom, write_model
from tests.sigstore_stack.logged import bundle_entry, log_envelope
from tests.sigstore_stack.rekor import TransparencyLog
from tests.sigstore_stack.stack import TrustMaterial
from tests.sigstore_stack.trust import ServiceUrls

T = 1_750_000_000  # integrated time of the first logged entry
URLS = ServiceUrls(fulcio="http://127.0.0.1:9/f", rekor="http://127.0.0.1:9/r", oidc="http://x")
NO_ENTRY = "tlog entry: the bundle has none (key signatures need none)"
NO_ROOT = "tlog entry: no trusted root given to check it against"


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    """The signer, two other P-256 keys, and an Ed25519 key (made once for the module)."""
    return {
        name: SigningKey(generate_key(kind), source=name)
        for name, kind in (
            ("signer", "ecdsa-p256"),
            ("other", "ecdsa-p256"),
            ("third", "ecdsa-p256"),
            ("ed25519", "ed25519"),
        )
    }


@pytest.fixture(scope="module")
def bundle(keys, tmp_path_factory) -> dict:
    """A DSSE bundle of a three-file model's BOM, signed by ``signer`` with mbom's signer."""
    model = write_model(tmp_path_factory.mktemp("model") / "model")
    return sign_bom(make_bom(model), keys=[keys["signer"]])


def _pub(keys, *names: str) -> list:
    return [keys[name].public_key for name in names]


def _signer(keys, name: str) -> SignerIdentity:
    return SignerIdentity(kind="key", key_hint=keys[name].hint)


def _with_keyid(bundle: dict, keyid: str) -> dict:
    document = copy.deepcopy(bundle)
    document["dsseEnvelope"]["signatures"][0]["keyid"] = keyid  # not covered by the PAE
    return document


def _with_hint(bundle: dict, hint: str | None) -> dict:
    document = copy.deepcopy(bundle)
    if hint is None:
        del document["verificationMaterial"]["publicKey"]
    else:
        document["verificationMaterial"]["publicKey"] = {"hint": hint}
    return document


def _fails(bundle: dict, keys: list, **kwargs) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        verify_bundle(bundle, keys=keys, **kwargs)
    return caught.value


# --- DSSE envelopes -------------------------------------------------------------------------


def test_dsse_bundle_reports_exactly_the_signer_and_the_checks(keys, bundle) -> None:
    result = verify_bundle(bundle, keys=_pub(keys, "other", "signer", "third"))
    assert result.signers == (_signer(keys, "signer"),)
    assert result.checks == ("payload type", "signature", "key hint", "statement")
    assert result.skipped == (NO_ENTRY,)
    assert result.content == "dsse" and result.message_digest is None
    assert result.integrated_time is None


def test_a_keyid_naming_a_given_key_must_verify_with_that_key(keys, bundle) -> None:
    """The envelope claims ``other`` signed it; ``signer`` (also given) did. Refused."""
    other = keys["other"].public_key
    for spelling in sorted(accepted_hints(other)):  # every spelling of other's hint
        forged = _with_hint(_with_keyid(bundle, spelling), None)
        error = _fails(forged, _pub(keys, "signer", "other"))
        assert error.check == "signature"
        assert error.message == (
            f"DSSE signature by key {key_hint(other)} does not verify over the payload"
        )


def test_a_keyid_naming_the_signer_picks_it_among_the_keys(keys, bundle) -> None:
    forged = _with_hint(_with_keyid(bundle, oms_hint(keys["signer"].public_key)), None)
    result = verify_bundle(forged, keys=_pub(keys, "other", "signer"))
    assert result.signers == (_signer(keys, "signer"),)


@pytest.mark.parametrize("keyid", ["", "release-key-2024"], ids=["empty", "label"])
def test_a_keyid_naming_no_given_key_tries_every_key(keys, bundle, keyid) -> None:
    forged = _with_hint(_with_keyid(bundle, keyid), None)
    result = verify_bundle(forged, keys=_pub(keys, "other", "third", "signer"))
    assert result.signers == (_signer(keys, "signer"),)
    assert "key hint" in result.checks


@pytest.mark.parametrize("keyid", ["", "signer-hint"], ids=["empty", "names-an-absent-key"])
def test_a_dsse_signature_by_no_given_key_fails(keys, bundle, keyid) -> None:
    if keyid == "signer-hint":
        keyid = keys["signer"].hint  # names the signer, who is not among the given keys
    forged = _with_hint(_with_keyid(bundle, keyid), None)
    error = _fails(forged, _pub(keys, "other", "ed25519"))
    assert error.check == "signature"
    assert error.message == "the DSSE signature verifies with none of the given keys"


# --- the key hint ---------------------------------------------------------------------------


def test_a_hint_naming_another_key_fails_with_expected_and_actual(keys, bundle) -> None:
    wrong = keys["other"].hint
    error = _fails(_with_hint(bundle, wrong), _pub(keys, "other", "signer"))
    assert error.check == "key hint"
    assert error.message == "the bundle's publicKey.hint names another key than the one that signed"
    assert (error.expected, error.actual) == (keys["signer"].hint, wrong)


def test_a_hint_equal_to_the_envelope_keyid_is_accepted(keys, bundle) -> None:
    """Producers that label keys put the same label in the keyid and the hint."""
    labelled = _with_hint(_with_keyid(bundle, "release-key-2024"), "release-key-2024")
    result = verify_bundle(labelled, keys=_pub(keys, "signer"))
    assert result.checks == ("payload type", "signature", "key hint", "statement")


@pytest.mark.parametrize("hint", [None, {"hint": ""}], ids=str)
def test_no_hint_is_no_hint_check_failure(keys, bundle, hint) -> None:
    document = _with_hint(bundle, None)
    if hint is not None:
        document["verificationMaterial"]["publicKey"] = hint
    result = verify_bundle(document, keys=_pub(keys, "signer"))
    assert "key hint" in result.checks


def test_a_public_key_that_is_not_an_object_is_refused_where_the_bundle_is_parsed(
    keys, bundle
) -> None:
    document = _with_hint(bundle, None)
    document["verificationMaterial"]["publicKey"] = "not-an-object"
    with pytest.raises(MalformedFileError) as caught:
        verify_bundle(document, keys=_pub(keys, "signer"))
    assert "verificationMaterial.publicKey: expected an object, got a string" in str(caught.value)


# --- message signatures ---------------------------------------------------------------------


def _message_bundle(key: SigningKey, data: bytes, hint: str | None = None) -> dict:
    digest = hashlib.sha256(data).digest()
    signature = key.private_key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": hint or key.hint}, "tlogEntries": []},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": base64.b64encode(digest).decode()},
            "signature": base64.b64encode(signature).decode(),
        },
    }


ARTIFACT = b"GGUF" + bytes(60)
ARTIFACT_DIGEST = hashlib.sha256(ARTIFACT).hexdigest()


def test_message_signature_reports_the_digest_and_the_signer(keys) -> None:
    bundle = _message_bundle(keys["signer"], ARTIFACT)
    result = verify_bundle(
        bundle, keys=_pub(keys, "other", "signer"), artifact_digest=ARTIFACT_DIGEST
    )
    assert result.content == "message" and result.statement is None
    assert result.message_digest == ARTIFACT_DIGEST
    assert result.signers == (_signer(keys, "signer"),)
    assert result.checks == ("message digest", "signature", "key hint")
    assert result.skipped == (NO_ENTRY,)


def test_message_signature_hint_in_another_spelling_is_accepted(keys) -> None:
    bundle = _message_bundle(keys["signer"], ARTIFACT, oms_hint(keys["signer"].public_key))
    result = verify_bundle(bundle, keys=_pub(keys, "signer"), artifact_digest=ARTIFACT_DIGEST)
    assert "key hint" in result.checks


def test_message_signature_hint_naming_another_key_fails(keys) -> None:
    bundle = _message_bundle(keys["signer"], ARTIFACT, keys["other"].hint)
    error = _fails(bundle, _pub(keys, "signer"), artifact_digest=ARTIFACT_DIGEST)
    assert error.check == "key hint"
    assert (error.expected, error.actual) == (keys["signer"].hint, keys["other"].hint)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("other",), "the bundle's signature does not verify with the given key"),
        (("other", "third"), "the bundle's signature does not verify with the given keys"),
    ],
    ids=["one-key", "two-keys"],
)
def test_message_signature_by_another_key_fails(keys, names, message) -> None:
    bundle = _message_bundle(keys["signer"], ARTIFACT)
    error = _fails(bundle, _pub(keys, *names), artifact_digest=ARTIFACT_DIGEST)
    assert error.check == "signature" and error.message == message


# --- transparency-log entries ---------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = T

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def rekor(tmp_path) -> tuple[TransparencyLog, _Clock, Path]:
    """A local Rekor log with a settable clock, and a trusted root (file) that holds its key."""
    material = TrustMaterial.generate()
    clock = _Clock()
    log = TransparencyLog(material.rekor_key, clock=clock)
    document = material.trusted_root(URLS)
    start = dt.datetime.fromtimestamp(T - 1000, dt.timezone.utc)
    document["tlogs"][0]["publicKey"]["validFor"]["start"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    root = tmp_path / "trusted_root.json"
    root.write_text(json.dumps(document))
    return log, clock, root


def _logged(bundle: dict, *entries: dict) -> dict:
    document = copy.deepcopy(bundle)
    document["verificationMaterial"]["tlogEntries"] = list(entries)
    return document


def test_logged_dsse_bundle_reports_the_first_integrated_time(keys, bundle, rekor) -> None:
    log, clock, root = rekor
    clock.now = T
    first = log_envelope(log, bundle, keys["signer"].public_key, "dsse")
    clock.now = T + 60
    second = log_envelope(log, bundle, keys["signer"].public_key, "intoto")
    result = verify_bundle(
        _logged(bundle, first, second), keys=_pub(keys, "signer"), trusted_root=root
    )
    assert result.checks == ("payload type", "signature", "key hint", "tlog entry", "statement")
    assert result.skipped == ()
    assert result.integrated_time == dt.datetime.fromtimestamp(T, dt.timezone.utc)


def test_logged_bundle_without_a_trusted_root_records_the_skip(keys, bundle, rekor) -> None:
    log, clock, _ = rekor
    clock.now = T
    entry = log_envelope(log, bundle, keys["signer"].public_key, "dsse")
    result = verify_bundle(_logged(bundle, entry), keys=_pub(keys, "signer"))
    assert result.skipped == (NO_ROOT,)
    assert "tlog entry" not in result.checks and result.integrated_time is None


def _hashedrekord(bundle: dict, key: SigningKey) -> dict:
    """The hashedrekord 0.0.1 entry for a message signature, or for a DSSE envelope's
    signature over the SHA-256 of its PAE (how Rekor v2 logs DSSE)."""
    from mbom.attest._internal.dsse import pae
    from tests.sigstore_stack.keys import public_pem

    if "dsseEnvelope" in bundle:
        envelope = bundle["dsseEnvelope"]
        signed = pae(envelope["payloadType"], base64.b64decode(envelope["payload"]))
        content = {"signature": envelope["signatures"][0]["sig"]}
        digest = hashlib.sha256(signed).hexdigest()
    else:
        content = bundle["messageSignature"]
        digest = base64.b64decode(content["messageDigest"]["digest"]).hex()
    verifier = base64.b64encode(public_pem(key.public_key).encode()).decode()
    return {
        "kind": "hashedrekord",
        "apiVersion": "0.0.1",
        "spec": {
            "signature": {
                "content": content["signature"],
                "publicKey": {"content": verifier},
            },
            "data": {"hash": {"algorithm": "sha256", "value": digest}},
        },
    }


def test_logged_message_signature_is_checked_against_its_digest(keys, rekor) -> None:
    log, clock, root = rekor
    clock.now = T + 5
    bundle = _message_bundle(keys["signer"], ARTIFACT)
    entry = bundle_entry(log.append(_hashedrekord(bundle, keys["signer"])))
    result = verify_bundle(
        _logged(bundle, entry),
        keys=_pub(keys, "other", "signer"),
        trusted_root=root,
        artifact_digest=ARTIFACT_DIGEST,
    )
    assert result.checks == ("message digest", "signature", "key hint", "tlog entry")
    assert result.integrated_time == dt.datetime.fromtimestamp(T + 5, dt.timezone.utc)
    # the entry of another artifact's signature by the same key does not vouch for this one
    other = _message_bundle(keys["signer"], b"other artifact")
    foreign = bundle_entry(log.append(_hashedrekord(other, keys["signer"])))
    error = _fails(
        _logged(bundle, entry, foreign),
        _pub(keys, "signer"),
        trusted_root=root,
        artifact_digest=ARTIFACT_DIGEST,
    )
    assert error.check == "tlog entry"


def test_dsse_envelope_logged_as_hashedrekord_must_record_its_signature(
    keys, bundle, rekor
) -> None:
    """The entry must record the envelope's own signature over its PAE digest, by this key."""
    log, _, root = rekor
    entry = bundle_entry(log.append(_hashedrekord(bundle, keys["signer"])))
    result = verify_bundle(_logged(bundle, entry), keys=_pub(keys, "signer"), trusted_root=root)
    assert "tlog entry" in result.checks
    # the same key's second (ECDSA: different) signature over the same PAE is another entry
    resigned = sign_bom(
        json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))["predicate"],
        keys=[keys["signer"]],
    )
    assert resigned["dsseEnvelope"]["signatures"] != bundle["dsseEnvelope"]["signatures"]
    foreign = bundle_entry(log.append(_hashedrekord(resigned, keys["signer"])))
    error = _fails(_logged(bundle, foreign), _pub(keys, "signer"), trusted_root=root)
    assert error.check == "tlog entry" and "signature" in error.message
