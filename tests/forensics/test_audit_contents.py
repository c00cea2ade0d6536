"""What the audit report says about the model and its signers: the facts ``mbom inspect``
shows (architecture, task, tensors, parameters, per-file format and safety) and every signer of
every bundle, verified or not (issue 14: a two-key release showed one signer)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mbom.attest.keys import write_key_pair
from tests.forensics.conftest import run_mbom
from tests.forensics.lineage_helpers import safetensors_bytes


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("release")
    model = folder / "model"
    model.mkdir()
    (model / "README.md").write_text("---\npipeline_tag: text-classification\n---\n# m\n")
    (model / "config.json").write_text(json.dumps({"architectures": ["BertModel"]}))
    (model / "model.safetensors").write_bytes(safetensors_bytes({"w": [3, 5], "b": [5]}))
    made = run_mbom(
        "generate", "--model", str(model), "--name", "m", "--version", "1",
        "--no-environment", "-o", str(folder / "bom.cdx.json"),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    for name in ("alice", "bob"):
        write_key_pair(folder / name, "ecdsa-p256")
    signed = run_mbom(
        "sign", str(folder / "bom.cdx.json"), "--key", str(folder / "alice.pem"),
        "--key", str(folder / "bob.pem"),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    return folder


def _audit(release: Path, *extra: str) -> dict:
    result = run_mbom(
        "audit", str(release / "model"),
        "--bundle", str(release / "bom.cdx.json.1.sigstore.json"),
        "--bundle", str(release / "bom.cdx.json.2.sigstore.json"),
        "--format", "json", *extra,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def test_model_facts_are_those_inspect_shows(release: Path) -> None:
    report = _audit(release, "--key", str(release / "alice.pub"), "--key", str(release / "bob.pub"))
    model = report["model"]
    assert (model["architecture"], model["task"]) == ("BertModel", "text-classification")
    assert (model["tensors"], model["parameters"]) == (2, 20)
    weights = next(f for f in model["files"] if f["path"] == "model.safetensors")
    assert weights["format"] == "safetensors" and weights["safety"] == "safe"
    assert (weights["tensors"], weights["parameters"], weights["role"]) == (2, 20, "weights")
    inspected = run_mbom("inspect", str(release / "bom.cdx.json"))
    assert "architecture BertModel" in inspected.stdout
    assert "2 tensors, 20 parameters" in inspected.stdout
    markdown = run_mbom(
        "audit", str(release / "model"), "--bundle", str(release / "bom.cdx.json.1.sigstore.json"),
        "--key", str(release / "alice.pub"),
    ).stdout  # fmt: skip
    for fact in ("| architecture | BertModel |", "| task | text-classification |",
                 "| tensors | 2 |", "| parameters | 20 |", "2 tensors; 20 parameters"):  # fmt: skip
        assert fact in markdown, fact
    assert "| expected |" not in markdown and "| actual |" not in markdown  # empty columns


def test_every_signer_of_every_bundle_is_listed(release: Path) -> None:
    hints = {}
    for name in ("alice", "bob"):
        shown = run_mbom(
            "inspect", str(release / f"bom.cdx.json.{1 + (name == 'bob')}.sigstore.json")
        )
        hints[name] = shown.stdout.split("key: ", 1)[1].split()[0]
    both = _audit(release, "--key", str(release / "alice.pub"), "--key", str(release / "bob.pub"))
    assert [(s["key"], s["verified"]) for s in both["bundleSigners"]] == [
        (hints["alice"], True),
        (hints["bob"], True),
    ]
    one = _audit(release, "--key", str(release / "alice.pub"))
    assert one["exitCode"] == 1
    assert [(s["key"], s["verified"]) for s in one["bundleSigners"]] == [
        (hints["alice"], True),
        (hints["bob"], False),
    ]
    assert len(one["signers"]) == 1  # verified signers: still only the trusted one
    page = release / "audit.md"
    run_mbom(
        "audit", str(release / "model"),
        "--bundle", str(release / "bom.cdx.json.1.sigstore.json"),
        "--bundle", str(release / "bom.cdx.json.2.sigstore.json"),
        "--key", str(release / "alice.pub"), "-o", str(page),
    )  # fmt: skip
    text = page.read_text()
    assert hints["alice"] in text and hints["bob"] in text
    assert "1 of 2 signers verified." in text


def test_a_bundle_carrying_two_signatures_shows_both(release: Path) -> None:
    """A DSSE envelope with a second signature (another tool's multi-signer bundle): mbom
    accepts one signature per bundle, so it is not verified, but both signers are listed."""
    first = json.loads((release / "bom.cdx.json.1.sigstore.json").read_text())
    second = json.loads((release / "bom.cdx.json.2.sigstore.json").read_text())
    first["dsseEnvelope"]["signatures"] += second["dsseEnvelope"]["signatures"]
    both = release / "both.sigstore.json"
    both.write_text(json.dumps(first))
    result = run_mbom(
        "audit", str(release / "model"), "--bundle", str(both),
        "--key", str(release / "alice.pub"), "--key", str(release / "bob.pub"),
        "--format", "json",
    )  # fmt: skip
    report = json.loads(result.stdout)
    assert report["exitCode"] == 1  # two signatures in one envelope: refused, reported
    keys = [s["key"] for s in report["bundleSigners"]]
    assert keys == [
        first["verificationMaterial"]["publicKey"]["hint"],
        second["dsseEnvelope"]["signatures"][0]["keyid"],
    ]
    assert not any(s["verified"] for s in report["bundleSigners"])
