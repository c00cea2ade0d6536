"""Keyless bundles from the local Sigstore stack: ``intoto`` 0.0.2 log entries (what
``cosign attest-blob`` writes) and the closed validity windows of the CA and the log key.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from mbom.verify.pipeline import VerifyRequest, verify
from mbom.verify.trust import IdentityRule
from tests.sigstore_stack import DEFAULT_EMAIL, DEFAULT_ISSUER
from tests.sigstore_stack.logged import keyless_intoto_bundle
from tests.sigstore_stack.netguard import loopback_only
from tests.verify.conftest import Signed, failed_ids, failures, run_mbom

IN_TOTO = "application/vnd.in-toto+json"


@pytest.fixture(autouse=True)
def _offline():
    with loopback_only():
        yield


def _pae(payload: bytes) -> bytes:
    kind = IN_TOTO.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _envelope_of(payload: bytes):
    def sign(private_key) -> dict:
        signature = private_key.sign(_pae(payload), ec.ECDSA(hashes.SHA256()))
        return {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": IN_TOTO,
            "signatures": [{"sig": base64.b64encode(signature).decode(), "keyid": ""}],
        }

    return sign


def _statement(signed: Signed) -> bytes:
    return base64.b64decode(json.loads(signed.bundle.read_text())["dsseEnvelope"]["payload"])


@pytest.fixture(scope="module")
def intoto_bundle(sigstore_stack, signed: Signed) -> dict:
    return keyless_intoto_bundle(sigstore_stack, _envelope_of(_statement(signed)))


def _write(tmp: Path, document: dict, name: str = "b.sigstore.json") -> Path:
    path = tmp / name
    path.write_text(json.dumps(document))
    return path


def _report(signed: Signed, bundle: Path, root: Path) -> dict:
    report = verify(
        VerifyRequest(
            path=str(signed.model),
            bundles=(str(bundle),),
            identities=(IdentityRule(DEFAULT_EMAIL, DEFAULT_ISSUER),),
            trusted_root=str(root),
            parents=(str(signed.parent_bundle),),
            keys=(str(signed.pub),),  # for the parent bundle
        )
    )
    return report.as_json()


def _failed(report: dict) -> list[str]:
    return failed_ids(report)


def test_intoto_entry_verifies_through_the_cli(sigstore_stack, signed, intoto_bundle, tmp_path):
    assert intoto_bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"] == {
        "kind": "intoto",
        "version": "0.0.2",
    }
    bundle = _write(tmp_path, intoto_bundle)
    result = run_mbom(
        "verify",
        signed.model,
        "--bundle",
        bundle,
        "--identity",
        DEFAULT_EMAIL,
        "--issuer",
        DEFAULT_ISSUER,
        "--trusted-root",
        sigstore_stack.trusted_root_path,
        "--parent",
        signed.parent_bundle,
        "--key",
        signed.pub,
        "--format",
        "json",
    )
    report = json.loads(result.stdout)
    assert result.returncode == 0, _failed(report)
    assert {"tlog", "certificate", "identity", "signature", "payload-type"} <= {
        c["id"] for c in report["checks"] if c["status"] == "pass"
    }
    assert report["signers"][0]["identity"] == DEFAULT_EMAIL


def test_verification_material_of_another_signing_fails(sigstore_stack, signed, tmp_path):
    """A genuine certificate and intoto entry, taken from another signing, do not vouch for
    this envelope."""
    statement = json.loads(_statement(signed))
    statement["predicate"]["version"] = 99
    other = keyless_intoto_bundle(sigstore_stack, _envelope_of(json.dumps(statement).encode()))
    mine = keyless_intoto_bundle(sigstore_stack, _envelope_of(_statement(signed)))
    forged = {**mine, "verificationMaterial": other["verificationMaterial"]}
    report = _report(signed, _write(tmp_path, forged), sigstore_stack.trusted_root_path)
    assert report["exitCode"] == 1 and _failed(report) == ["signature"]


def test_intoto_entry_with_a_wrong_payload_hash_fails(sigstore_stack, signed, tmp_path):
    """A valid signature whose entry records another payload hash (checked by mbom)."""
    from mbom.attest._internal.dsse import read_envelope
    from mbom.attest._internal.tlog import check_intoto_body
    from mbom.errors import VerificationError

    bundle = keyless_intoto_bundle(sigstore_stack, _envelope_of(_statement(signed)))
    entry = bundle["verificationMaterial"]["tlogEntries"][0]
    spec = json.loads(base64.b64decode(entry["canonicalizedBody"]))["spec"]
    envelope = read_envelope(bundle["dsseEnvelope"])
    spki = _certificate_spki(bundle)
    check_intoto_body(spec, spki, envelope)  # the genuine body matches
    spec["content"]["payloadHash"]["value"] = "00" * 32
    with pytest.raises(VerificationError, match="payload hash") as caught:
        check_intoto_body(spec, spki, envelope)
    assert caught.value.check == "tlog entry"


def _certificate_spki(bundle: dict) -> bytes:
    from cryptography import x509

    from mbom.attest.keys import spki_der

    raw = base64.b64decode(bundle["verificationMaterial"]["certificate"]["rawBytes"])
    return spki_der(x509.load_der_x509_certificate(raw).public_key())


def _stamp(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _root_with(stack, tmp: Path, what: str, start: int, end: int | None) -> Path:
    document = json.loads(stack.trusted_root_path.read_text())
    target = document["certificateAuthorities"][0] if what == "ca" else document["tlogs"][0]
    window = target["validFor"] if what == "ca" else target["publicKey"]["validFor"]
    window["start"] = _stamp(start)
    if end is None:
        window.pop("end", None)
    else:
        window["end"] = _stamp(end)
    path = tmp / f"root-{what}-{start}-{end}.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("what", ["ca", "tlog"])
@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [(0, 0, True), (-100, 0, True), (-100, -1, False)],
    ids=["start=end=T", "end=T", "end=T-1"],
)
def test_validity_windows_are_closed(sigstore_stack, signed, tmp_path, what, start, end, ok):
    bundle = keyless_intoto_bundle(sigstore_stack, _envelope_of(_statement(signed)))
    moment = int(bundle["verificationMaterial"]["tlogEntries"][0]["integratedTime"])
    root = _root_with(sigstore_stack, tmp_path, what, moment + start, moment + end)
    report = _report(signed, _write(tmp_path, bundle), root)
    if ok:
        assert report["exitCode"] == 0, _failed(report)
    else:
        expected = "certificate" if what == "ca" else "tlog"
        assert report["exitCode"] == 1 and _failed(report) == [expected]
        failing = failures(report)[0]
        assert "was not valid" in failing["message"]


def test_window_check_itself() -> None:
    from mbom.attest._internal.windows import within

    t = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    second = dt.timedelta(seconds=1)
    assert within(t, t, t) and within(t, None, t) and within(t - second, t + second, t)
    assert not within(t + second, None, t) and not within(t - 2 * second, t - second, t)


def test_a_second_log_entry_in_a_keyless_bundle_is_refused(sigstore_stack, signed, tmp_path):
    """Each entry must be checked; sigstore-python checks one, so two are refused outright."""
    bundle = keyless_intoto_bundle(sigstore_stack, _envelope_of(_statement(signed)))
    entries = bundle["verificationMaterial"]["tlogEntries"]
    entries.append(entries[0])
    report = _report(signed, _write(tmp_path, bundle), sigstore_stack.trusted_root_path)
    assert report["exitCode"] == 1 and _failed(report) == ["bundle"]
