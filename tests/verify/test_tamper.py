"""The tamper matrix: after signing, each change makes verification fail naming its cause;
the untouched model verifies every time; missing trust material cannot be evaluated (3).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import jsonschema
import pytest

from mbom.verify.pipeline import VerifyRequest, verify
from tests.verify.conftest import Signed, report_schema

VALIDATOR = jsonschema.Draft7Validator(report_schema())
PASSING_POLICY = """
mode: enforce
requiredAttestations: [mbom]
rules:
  licenses: {allow: [Apache-2.0, MIT]}
  baseModels: {allow: ["acme/*", "parent"]}
  datasets: {allowDigests: [%s]}
  modelCard: {required: [modelParameters.task]}
  maxBomAge: 100000d
  minSigners: 1
  requireVerifiedParents: true
"""


def _run(signed: Signed, model: Path, **changes) -> object:
    fields = {
        "path": str(model),
        "bundles": (str(signed.bundle),),
        "keys": (str(signed.pub),),
        "parents": (str(signed.parent_bundle),),
        "schema": False,
        **changes,
    }
    report = verify(VerifyRequest(**fields))
    VALIDATOR.validate(report.as_json())
    return report


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _edit_bom(signed: Signed, tmp: Path) -> Path:
    document = json.loads(signed.bundle.read_text())
    statement = json.loads(base64.b64decode(document["dsseEnvelope"]["payload"]))
    statement["predicate"]["metadata"]["component"]["name"] = "evil"
    document["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    target = tmp / "edited.sigstore.json"
    target.write_text(json.dumps(document))
    return target


def _symlink(model: Path) -> None:
    (model / "config.json").unlink()
    os.symlink("tokenizer/vocab.txt", model / "config.json")


FILE_CASES = {
    "weights byte": (lambda m: _flip(m / "model.safetensors"), "file-digest", "model.safetensors"),
    "config byte": (lambda m: _flip(m / "config.json"), "file-digest", "config.json"),
    "tokenizer byte": (
        lambda m: _flip(m / "tokenizer/vocab.txt"),
        "file-digest",
        "tokenizer/vocab.txt",
    ),
    "nested byte": (
        lambda m: _flip(m / "tokenizer/nested/merges.txt"),
        "file-digest",
        "tokenizer/nested/merges.txt",
    ),
    "file added": (lambda m: (m / "extra.py").write_text("import os\n"), "extra-file", "extra.py"),
    "file removed": (lambda m: (m / "config.json").unlink(), "missing-file", "config.json"),
    "file renamed": (
        lambda m: (m / "config.json").rename(m / "config2.json"),
        "missing-file",
        "config.json",
    ),
    "symlink": (_symlink, "symlink", "config.json"),
    "mbomignore cannot hide": (
        lambda m: ((m / "evil.py").write_text("x"), (m / ".mbomignore").write_text("evil.py\n")),
        "extra-file",
        "evil.py",
    ),
}


def test_untouched_model_verifies(signed: Signed, work) -> None:
    model, data = work
    for _ in range(2):
        report = _run(signed, model, datasets=str(data), schema=True)
        assert report.verified and report.exit_code == 0, report.failures()
    ids = {c.id for c in report.checks if c.status == "pass"}
    assert {
        "signature",
        "files",
        "bom-schema",
        "bom-subjects",
        "merkle-root",
        "lineage",
        "dataset-merkle-root",
    } <= ids


@pytest.mark.parametrize("case", sorted(FILE_CASES), ids=sorted(FILE_CASES))
def test_file_tampering_fails(signed: Signed, work, case: str) -> None:
    model, _ = work
    change, check_id, path = FILE_CASES[case]
    change(model)
    report = _run(signed, model)
    assert report.exit_code == 1
    hits = [c for c in report.failures() if c.id == check_id and c.path == path]
    assert hits, [c.as_json() for c in report.failures()]
    if check_id == "file-digest":
        assert len(hits[0].expected) == 64 and len(hits[0].actual) == 64
        assert hits[0].expected in hits[0].message and hits[0].actual in hits[0].message


def test_rename_is_named(signed: Signed, work) -> None:
    model, _ = work
    (model / "config.json").rename(model / "config2.json")
    messages = " ".join(c.message for c in _run(signed, model).failures())
    assert "renamed to 'config2.json'" in messages


def test_edited_bom_fails_signature(signed: Signed, work, tmp_path: Path) -> None:
    model, _ = work
    report = _run(signed, model, bundles=(str(_edit_bom(signed, tmp_path)),))
    assert report.exit_code == 1 and report.failures()[0].id == "signature"


def test_bundle_of_another_model_fails(signed: Signed, work) -> None:
    model, _ = work
    report = _run(signed, model, bundles=(str(signed.parent_bundle),))
    assert report.exit_code == 1
    assert {"missing-file", "extra-file", "bom-subjects"} & {c.id for c in report.failures()}


def test_wrong_key_fails(signed: Signed, work) -> None:
    model, _ = work
    report = _run(signed, model, keys=(str(signed.other_pub),))
    assert report.exit_code == 1 and "signature" in {c.id for c in report.failures()}


def test_missing_trust_material_exits_3(signed: Signed, work) -> None:
    model, _ = work
    report = _run(signed, model, keys=())
    assert report.exit_code == 3 and not report.verified
    assert report.failures()[0].id == "trust"


def test_failing_parent_bundle_fails(signed: Signed, work) -> None:
    model, _ = work
    report = _run(signed, model, parents=(str(signed.bad_parent_bundle),))
    assert report.exit_code == 1
    lineage = [c for c in report.failures() if c.id == "lineage"]
    assert lineage and "parent" in lineage[0].message


def test_dataset_change_fails(signed: Signed, work) -> None:
    model, data = work
    _flip(data / "train" / "sub" / "eval.jsonl")
    report = _run(signed, model, datasets=str(data))
    assert report.exit_code == 1
    assert any(c.id == "file-digest" and c.path == "sub/eval.jsonl" for c in report.failures())


def _policy(tmp_path: Path, signed: Signed, text: str) -> str:
    bom = json.loads(signed.bom.read_text())
    root = next(
        p["value"]
        for c in bom["components"]
        for p in c.get("properties", [])
        if p["name"] == "mbom:merkle-root:sha256"
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace("%s", root))
    return str(path)


def test_passing_policy(signed: Signed, work, tmp_path: Path) -> None:
    model, _ = work
    report = _run(signed, model, policy=_policy(tmp_path, signed, PASSING_POLICY))
    assert report.verified, [c.as_json() for c in report.failures()]
    assert sum(c.id.startswith("policy:") for c in report.checks) == 8


RULE_CASES = {
    "licenses": "rules:\n  licenses: {allow: [MIT]}\n",
    "baseModels": "rules:\n  baseModels: {allow: ['other/*']}\n",
    "datasets": "rules:\n  datasets: {allowDigests: ['" + "0" * 64 + "']}\n",
    "forbidPickle": "rules:\n  forbidPickle: true\n",
    "forbidFlaggedCheckpoints": "rules:\n  forbidFlaggedCheckpoints: true\n",
    "modelCard": "rules:\n  modelCard: {required: [considerations.ethicalConsiderations]}\n",
    "maxBomAge": "rules:\n  maxBomAge: 30d\n",
    "minSigners": "rules:\n  minSigners: 2\n",
    "requireVerifiedParents": "rules:\n  requireVerifiedParents: true\n",
    "required-attestation": "requiredAttestations: [oms]\n",
}


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_each_policy_rule_broken_fails(signed: Signed, work, tmp_path: Path, rule: str) -> None:
    model, _ = work
    parents = () if rule == "requireVerifiedParents" else (str(signed.parent_bundle),)
    policy = _policy(tmp_path, signed, RULE_CASES[rule])
    report = _run(signed, model, policy=policy, parents=parents)
    assert report.exit_code == 1
    # The model holds a flagged pickle: the pickle rules also fail its unsafe-checkpoint check.
    failing = [c.id for c in report.failures() if c.id != "unsafe-checkpoint"]
    assert failing == [f"policy:{rule}"]
    warned = _run(
        signed,
        model,
        policy=_policy(tmp_path, signed, "mode: warn\n" + RULE_CASES[rule]),
        parents=parents,
    )
    assert warned.verified and any(c.status == "warn" for c in warned.checks)


def test_policy_replaces_trust_flags(signed: Signed, work, tmp_path: Path) -> None:
    model, _ = work
    policy = _policy(tmp_path, signed, f"trust:\n  publicKeys: ['{signed.pub}']\n")
    assert _run(signed, model, keys=(), policy=policy).verified
