"""Transparency-log entries of key-signed bundles, made in a local Rekor log in the test.

* Rekor ``intoto`` 0.0.2 entries (``cosign attest-blob``) and ``dsse`` 0.0.1 entries verify,
  and the logged body must be this envelope (payload hash, signature, key);
* every entry of ``tlogEntries`` is checked, not only the first;
* inclusion proofs are rejected when the index is out of range, the proof is too long or
  too short, or the root hash / tree size is wrong;
* the log key's ``validFor`` window is a closed interval at the integrated time.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from mbom.attest import load_signing_key, sign_bom
from tests.sigstore_stack.logged import log_envelope
from tests.sigstore_stack.rekor import TransparencyLog
from tests.sigstore_stack.stack import TrustMaterial
from tests.sigstore_stack.trust import ServiceUrls
from tests.verify.conftest import Signed, failures, run_mbom

T = 1_750_000_000  # the integrated time of every entry below
URLS = ServiceUrls(fulcio="http://127.0.0.1:9/f", rekor="http://127.0.0.1:9/r", oidc="http://x")


def _stamp(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class LocalLog:
    """A log with a pinned clock, some unrelated entries first (so proofs have hashes)."""

    def __init__(self, signed: Signed, tmp: Path) -> None:
        self.material = TrustMaterial.generate()
        self.log = TransparencyLog(self.material.rekor_key, clock=lambda: T)
        self.key = load_signing_key(signed.key)
        self.bundle = json.loads(signed.bundle.read_text())
        self.tmp = tmp
        for number in range(5):
            bom = json.loads(base64.b64decode(self.bundle["dsseEnvelope"]["payload"]).decode())[
                "predicate"
            ]
            bom["version"] = number + 2
            other = sign_bom(bom, keys=[self.key])
            log_envelope(self.log, other, self.key.public_key)

    def root(self, name: str = "root.json", start: int = T - 1000, end: int | None = None):
        document = self.material.trusted_root(URLS)
        window = document["tlogs"][0]["publicKey"]["validFor"]
        window["start"] = _stamp(start)
        if end is not None:
            window["end"] = _stamp(end)
        path = self.tmp / name
        path.write_text(json.dumps(document))
        return path

    def logged(self, *entries: dict, name: str = "logged.sigstore.json") -> Path:
        document = copy.deepcopy(self.bundle)
        document["verificationMaterial"]["tlogEntries"] = list(entries)
        path = self.tmp / name
        path.write_text(json.dumps(document))
        return path

    def entry(self, kind: str = "intoto", bundle: dict | None = None) -> dict:
        return log_envelope(self.log, bundle or self.bundle, self.key.public_key, kind)


@pytest.fixture
def local(signed: Signed, tmp_path: Path) -> LocalLog:
    return LocalLog(signed, tmp_path)


def _verify(signed: Signed, bundle: Path, root: Path, *, cli: bool = False) -> tuple[int, dict]:
    """``mbom verify --format json`` (``cli``), or the same pipeline in-process (faster)."""
    if not cli:
        from mbom.verify.pipeline import VerifyRequest, verify

        report = verify(
            VerifyRequest(
                path=str(signed.model),
                bundles=(str(bundle),),
                keys=(str(signed.pub),),
                trusted_root=str(root),
                parents=(str(signed.parent_bundle),),
            )
        )
        return report.exit_code, report.as_json()
    result = run_mbom(
        "verify",
        signed.model,
        "--bundle",
        bundle,
        "--key",
        signed.pub,
        "--trusted-root",
        root,
        "--parent",
        signed.parent_bundle,
        "--format",
        "json",
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def _failed(report: dict) -> list[dict]:
    return failures(report)


@pytest.mark.parametrize("kind", ["intoto", "dsse"])
def test_logged_key_bundle_verifies(signed, local, kind) -> None:
    entry = local.entry(kind)
    assert entry["kindVersion"] == (
        {"kind": "intoto", "version": "0.0.2"}
        if kind == "intoto"
        else {"kind": "dsse", "version": "0.0.1"}
    )
    code, report = _verify(signed, local.logged(entry), local.root(), cli=True)
    assert code == 0, _failed(report)
    assert any(c["id"] == "tlog" and c["status"] == "pass" for c in report["checks"])
    assert report["signers"][0]["integratedTime"] == _stamp(T)


def _other_bundle(local: LocalLog) -> dict:
    bom = json.loads(base64.b64decode(local.bundle["dsseEnvelope"]["payload"]))["predicate"]
    bom["version"] = 99
    return sign_bom(bom, keys=[local.key])


@pytest.mark.parametrize("kind", ["intoto", "dsse"])
def test_an_entry_for_another_envelope_fails(signed, local, kind) -> None:
    entry = local.entry(kind, bundle=_other_bundle(local))
    code, report = _verify(signed, local.logged(entry), local.root())
    (check,) = _failed(report)
    assert code == 1 and check["id"] == "tlog" and "payload hash" in check["message"]


def test_an_intoto_entry_with_another_signature_fails(signed, local) -> None:
    """Same payload, signed again (ECDSA is randomised): the logged signature is not ours."""

    again = sign_bom(
        json.loads(base64.b64decode(local.bundle["dsseEnvelope"]["payload"]))["predicate"],
        keys=[local.key],
    )
    assert again["dsseEnvelope"]["payload"] == local.bundle["dsseEnvelope"]["payload"]
    entry = local.entry("intoto", bundle=again)
    code, report = _verify(signed, local.logged(entry), local.root())
    (check,) = _failed(report)
    assert code == 1 and check["id"] == "tlog" and "signature" in check["message"]


@pytest.mark.parametrize("bad_first", [False, True], ids=["bad-second", "bad-first"])
def test_every_entry_is_checked(signed, local, bad_first) -> None:
    good = local.entry()
    bad = local.entry(bundle=_other_bundle(local))
    entries = (bad, good) if bad_first else (good, bad)
    code, report = _verify(signed, local.logged(*entries), local.root(), cli=True)
    assert code == 1 and [c["id"] for c in _failed(report)] == ["tlog"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _proof_cases(entry: dict) -> dict[str, dict]:
    proof = entry["inclusionProof"]
    size, index = int(proof["treeSize"]), int(proof["logIndex"])
    cases = {
        "index-out-of-range": {"logIndex": str(size)},
        "index-far-out-of-range": {"logIndex": str(size + 7)},
        "proof-too-long": {"hashes": [*proof["hashes"], _b64(b"\x00" * 32)]},
        "proof-too-short": {"hashes": proof["hashes"][:-1]},
        "proof-empty": {"hashes": []},
        "wrong-root": {"rootHash": _b64(b"\x11" * 32)},
        "wrong-tree-size": {"treeSize": str(size + 1)},
        "other-index": {"logIndex": str(index - 1)},
    }
    return {
        name: {**entry, "inclusionProof": {**proof, **change}} for name, change in cases.items()
    }


CASES = [
    "index-out-of-range",
    "index-far-out-of-range",
    "proof-too-long",
    "proof-too-short",
    "proof-empty",
    "wrong-root",
    "wrong-tree-size",
    "other-index",
]


@pytest.mark.parametrize("case", CASES)
def test_inclusion_proof_rejections(signed, local, case) -> None:
    entry = local.entry()
    assert len(entry["inclusionProof"]["hashes"]) >= 2 and int(entry["logIndex"]) == 5
    code, report = _verify(signed, local.logged(_proof_cases(entry)[case]), local.root())
    assert code == 1 and [c["id"] for c in _failed(report)] == ["tlog"], _failed(report)


def test_proof_cases_without_the_change_verify(signed, local) -> None:
    """The control: the unmodified entry, through the same path, passes."""
    entry = local.entry()
    code, report = _verify(signed, local.logged(entry), local.root())
    assert code == 0, _failed(report)


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        (T, T, True),  # both ends inclusive
        (T - 100, T, True),  # ends exactly at the integrated time
        (T, None, True),  # starts exactly at it
        (T - 100, T - 1, False),  # ended a second before
        (T + 1, None, False),  # starts a second after
    ],
    ids=["start=end=T", "end=T", "start=T", "end=T-1", "start=T+1"],
)
def test_log_key_validity_window_is_closed(signed, local, start, end, ok) -> None:
    entry = local.entry()
    code, report = _verify(signed, local.logged(entry), local.root(start=start, end=end))
    if ok:
        assert code == 0, _failed(report)
    else:
        (check,) = _failed(report)
        assert code == 1 and check["id"] == "tlog" and "was not valid" in check["message"]
        assert check["actual"] == dt.datetime.fromtimestamp(T, dt.timezone.utc).isoformat()
