"""One test per crash site the fuzzers found, with the minimal input that reached it.

Each ran into the CLI's last-resort handler ("mbom: error: unexpected TypeError ...", exit 2)
or broke the one-line-message contract before the fix; the harness (MBOM_DEBUG=1) would
re-raise the internal error, so these fail loudly if a site regresses.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from mbom.bom.subjects import model_component
from mbom.errors import MalformedFileError
from tests.fuzz.harness import run_checked


def _bundle(seeds, edit) -> dict:
    doc = seeds.json("bundle")
    edit(doc)
    return doc


def _verify_json(seeds, bundle: Path) -> dict:
    args = ["verify", str(seeds.model), "--bundle", str(bundle), "--key", str(seeds.pub)]
    outcome = run_checked([*args, "--format", "json"])
    assert outcome.code == 1, outcome.stderr
    return json.loads(outcome.stdout)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        # bundles.py:parse_bundle: `media_type not in READABLE_MEDIA_TYPES` -> unhashable dict
        (lambda d: d.update(mediaType={}), "mediaType: expected a string, got an object"),
        # verify_key.py:_check_hint: `hint in keyids` -> unhashable list
        (
            lambda d: d["verificationMaterial"]["publicKey"].update(hint=["x"]),
            "verificationMaterial.publicKey.hint: expected a string, got a list",
        ),
        (lambda d: d.update(verificationMaterial=3), "verificationMaterial: expected an object"),
        (lambda d: d.update(dsseEnvelope=[]), "dsseEnvelope: expected an object, got a list"),
        (
            lambda d: d["dsseEnvelope"].update(signatures="x"),
            "dsseEnvelope.signatures: expected a list, got a string",
        ),
        (
            lambda d: d["verificationMaterial"].update(tlogEntries=[{"logIndex": []}]),
            "verificationMaterial.tlogEntries[0].logIndex: expected an integer or a decimal",
        ),
    ],
)
def test_wrong_typed_bundle_field_is_a_failed_bundle_check(seeds, tmp_path, edit, message):
    bundle = tmp_path / "b.sigstore.json"
    bundle.write_text(json.dumps(_bundle(seeds, edit)))
    report = _verify_json(seeds, bundle)
    failed = {c["id"]: c["message"] for c in report["checks"] if c["status"] == "fail"}
    assert message in failed["bundle"] and str(bundle) in failed["bundle"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit"])
def test_unparseable_bundle_is_exit_1_with_a_report(seeds, tmp_path, fmt):
    bundle = tmp_path / "b.sigstore.json"
    bundle.write_bytes(b'{"mediaType": ')
    args = ["verify", str(seeds.model), "--bundle", str(bundle), "--key", str(seeds.pub)]
    outcome = run_checked([*args, "--format", fmt])
    assert outcome.code == 1
    assert b"not valid JSON" in outcome.stdout


def test_missing_bundle_stays_exit_3(seeds, tmp_path):
    args = ["verify", str(seeds.model), "--bundle", str(tmp_path / "none.json")]
    assert run_checked([*args, "--key", str(seeds.pub)]).code == 3


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("components", 5, "components: expected a list, got an integer"),  # describe, datasets
        ("formulation", 5, "formulation: expected a list, got an integer"),  # describe:143
        ("metadata", {"component": []}, "metadata.component: expected an object, got a list"),
    ],
)
def test_wrong_typed_bom_field_is_named(seeds, tmp_path, field, value, where):
    bom = seeds.json("bom")
    bom[field] = value
    path = tmp_path / "bad.cdx.json"
    path.write_text(json.dumps(bom))
    for command in (["inspect", str(path)], ["diff", str(seeds.bom), str(path)]):
        outcome = run_checked(command)
        assert outcome.code == 2 and f"{path}: {where}" in outcome.stderr


def test_signed_bom_with_wrong_typed_field_fails_verify(seeds, tmp_path):
    """The trusted key signed it, but a reader downstream would crash on it: FAIL, exit 1."""
    from mbom.attest import load_signing_key, sign_bom, write_bundle

    bom = seeds.json("bom")
    model_component(bom)["components"][0]["properties"] = {"name": "x"}
    bundle = write_bundle(
        sign_bom(bom, keys=[load_signing_key(seeds.key)]), tmp_path / "b.sigstore.json"
    )
    report = _verify_json(seeds, bundle)
    failed = {c["id"]: c["message"] for c in report["checks"] if c["status"] == "fail"}
    assert "expected a list, got an object" in failed["bom-schema"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("config.json", '{"model_type": "bert", "architectures": ["A\\udfff"]}'),
        ("README.md", '---\nlicense: "\\ud800"\n---\n# m\n'),
    ],
)
def test_lone_surrogate_in_model_metadata_is_refused(seeds, tmp_path, name, content):
    """Was UnicodeEncodeError in the BOM writer ("unexpected UnicodeEncodeError")."""
    import shutil

    model = tmp_path / "model"
    shutil.copytree(seeds.model, model)
    (model / name).write_text(content)
    out = tmp_path / "bom.cdx.json"
    args = ["generate", "--model", str(model), "--no-environment", "-o", str(out)]
    outcome = run_checked(args, output=out)
    assert outcome.code == 2 and "surrogate" in outcome.stderr
    assert name in outcome.stderr


def test_lone_surrogate_in_training_config_is_refused(tmp_path):
    from mbom.capture.configs import parse_config

    path = tmp_path / "train.json"
    path.write_text('{"optimizer": {"betas": [0.9, "\\ud800"]}}')
    with pytest.raises(MalformedFileError, match="surrogate"):
        parse_config(path)


def test_lone_surrogate_in_signed_subject_is_escaped_in_every_report(seeds, tmp_path):
    """A validly signed statement naming a file "\\ud800": was UnicodeEncodeError on stdout."""
    from mbom.attest import load_signing_key, write_bundle
    from mbom.attest._internal.dsse import sign_envelope
    from mbom.attest._internal.keybundle import BUNDLE_MEDIA_TYPE

    statement = json.loads(base64.b64decode(seeds.json("bundle")["dsseEnvelope"]["payload"]))
    statement["subject"][0]["name"] = "evil\ud800.py"
    key = load_signing_key(seeds.key)
    payload = json.dumps(statement).encode()  # \ud800 escaped, as an attacker writes it
    bundle = write_bundle(
        {
            "mediaType": BUNDLE_MEDIA_TYPE,
            "verificationMaterial": {"publicKey": {"hint": key.hint}},
            "dsseEnvelope": sign_envelope(payload, "application/vnd.in-toto+json", key),
        },
        tmp_path / "b.sigstore.json",
    )
    for fmt in ("text", "json", "sarif", "junit"):
        args = ["verify", str(seeds.model), "--bundle", str(bundle), "--key", str(seeds.pub)]
        outcome = run_checked([*args, "--format", fmt])
        assert outcome.code == 1
        if fmt in ("json", "sarif"):
            json.loads(outcome.stdout)


@pytest.mark.parametrize(
    ("leaf", "reason"),
    [
        ({"path": "\ud800"}, "surrogate"),  # merkle.leaf_preimage encode (now: the loader)
        ({"size": 2**64}, "not a non-negative 64-bit integer"),  # struct.error in _U64.pack
    ],
)
def test_proof_leaf_out_of_domain(seeds, tmp_path, leaf, reason):
    proof = seeds.json("proof")
    proof["leaf"].update(leaf)
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(proof))
    outcome = run_checked(["check-proof", str(path), "--bom", str(seeds.bom)])
    assert outcome.code == 2 and reason in outcome.stderr


@pytest.mark.parametrize(
    "row", [{"size": 2**64}, {"size": "²"}, {"path": "\ud800"}], ids=["u64", "digit", "surrogate"]
)
def test_manifest_line_out_of_domain(seeds, tmp_path, row):
    from mbom.bom.datasets import read_manifest

    first = json.loads(seeds.manifest.read_bytes().splitlines()[0])
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({**first, **row}) + "\n")
    with pytest.raises(MalformedFileError, match=r"m\.jsonl:1: bad manifest line"):
        read_manifest(str(path), None)


def test_trusted_root_error_is_one_line(tmp_path):
    """pydantic's multi-line ValidationError text was the message."""
    from mbom.errors import InputError
    from mbom.verify.trust import load_trust

    path = tmp_path / "trusted_root.json"
    path.write_text('{"mediaType": 5}')
    with pytest.raises(InputError) as caught:
        load_trust(trusted_root=path)
    assert "\n" not in str(caught.value) and "mediaType" in str(caught.value)


def test_malformed_parent_bundle_is_a_failed_lineage_check(seeds, tmp_path):
    """--parent names a bundle whose content is broken: FAIL lineage (1), not exit 2."""
    parent = tmp_path / "parent.sigstore.json"
    parent.write_text(json.dumps(_bundle(seeds, lambda d: d.update(dsseEnvelope=[]))))
    args = ["verify", str(seeds.model), "--bundle", str(seeds.bundle), "--key", str(seeds.pub)]
    outcome = run_checked([*args, "--parent", str(parent), "--format", "json"])
    assert outcome.code == 1, outcome.stderr
    failed = [c for c in json.loads(outcome.stdout)["checks"] if c["status"] == "fail"]
    assert [c["id"] for c in failed] == ["lineage"]
    assert "dsseEnvelope: expected an object, got a list" in failed[0]["message"]


def test_yaml_control_character_is_a_one_line_input_error(seeds, tmp_path):
    """PyYAML's ReaderError was raised while the strict loader was built, outside its try:
    "unexpected ReaderError" for a policy, mbom.yaml, a training config or a card."""
    policy = tmp_path / "policy.yaml"
    policy.write_bytes(b"mode: enforce\x07\n")
    args = ["verify", str(seeds.model), "--bundle", str(seeds.bundle), "--key", str(seeds.pub)]
    outcome = run_checked([*args, "--policy", str(policy)])
    assert outcome.code == 2 and "policy.yaml" in outcome.stderr
