"""Policy rules through the command line, on a model signed with mbom's own keygen and sign.

The holes of issue #10 item 7, each reproduced end to end: a BOM that records no licence, base
model, dataset or parent passed the allow-lists and requireVerifiedParents; a BOM dated a
year ahead never expired; two parents sharing a name passed when one was verified; a policy
saying ``mode: enforce`` then ``mode: warn`` was read as warn. Each now exits 1 with the one
failing ``policy:<rule>`` check (or 2 for the malformed policy).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.verify.conftest import write_tree

FUTURE = str(int(time.time()) + 365 * 86400)


def mbom(*args: object, env: dict[str, str] | None = None):
    return run_cli(*args, env=env)


def ok(result) -> None:
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A model with no card, no dataset and no parent, its BOM dated a year ahead, signed."""
    base = tmp_path_factory.mktemp("bare")
    ok(mbom("keygen", base / "release"))
    model = write_tree(base / "model", {"weights.bin": b"w" * 64, "config.json": b"{}\n"})
    bom = base / "bom.cdx.json"
    generate = ("generate", "--model", model, "-o", bom, "--no-environment")
    ok(mbom(*generate, env={"SOURCE_DATE_EPOCH": FUTURE}))
    ok(mbom("sign", bom, "--key", base / "release.pem"))
    return {
        "base": base,
        "model": model,
        "bundle": Path(str(bom) + ".sigstore.json"),
        "pub": base / "release.pub",
    }


def verify(bare: dict[str, Path], policy_text: str, *extra: object):
    policy = bare["base"] / f"policy-{abs(hash(policy_text))}.yaml"
    policy.write_text(policy_text)
    return mbom(
        "verify", bare["model"], "--bundle", bare["bundle"], "--key", bare["pub"],
        "--policy", policy, "--format", "json", *extra,
    )  # fmt: skip


CASES = {
    "licenses": ("licenses: {allow: [MIT]}", "the model declares no licence"),
    "baseModels": ("baseModels: {allow: ['acme/*']}", "records no base model to check"),
    "datasets": ("datasets: {allowDigests: ['" + "a" * 64 + "']}", "records no dataset"),
    "modelCard": ("modelCard: {required: [modelParameters.task]}", "lacks modelParameters.task"),
    "maxBomAge": ("maxBomAge: 3650d", "in the future"),
    "requireVerifiedParents": ("requireVerifiedParents: true", "records no parent BOM"),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_with_nothing_to_check_fails(bare: dict[str, Path], rule: str) -> None:
    setting, reason = CASES[rule]
    result = verify(bare, f"rules:\n  {setting}\n")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    failing = [c for c in report["checks"] if c["status"] == "fail"]
    assert [c["id"] for c in failing] == [f"policy:{rule}"]
    assert reason in failing[0]["message"]


def test_allow_missing_says_so_explicitly(bare: dict[str, Path]) -> None:
    policy = (
        "rules:\n"
        "  licenses: {allow: [MIT], allowMissing: true}\n"
        "  baseModels: {allow: ['acme/*'], allowMissing: true}\n"
        "  datasets: {allowMissing: true}\n"
        "  requireVerifiedParents: {allowMissing: true}\n"
    )
    result = verify(bare, policy)
    assert result.returncode == 0, result.stdout
    skipped = [c["id"] for c in json.loads(result.stdout)["checks"] if c["status"] == "skip"]
    assert {"policy:licenses", "policy:baseModels", "policy:datasets"} <= set(skipped)
    assert "policy:requireVerifiedParents" in skipped


@pytest.mark.parametrize(
    "policy",
    [
        "mode: enforce\nrules:\n  licenses: {allow: [MIT]}\nmode: warn\n",
        '{"mode": "enforce", "rules": {"licenses": {"allow": ["MIT"]}}, "mode": "warn"}',
        "rules:\n  licenses: {allow: [MIT]}\n  licenses: {allow: [MIT], allowMissing: true}\n",
    ],
    ids=["yaml", "json", "nested"],
)
def test_duplicate_policy_key_is_an_input_error(bare: dict[str, Path], policy: str) -> None:
    result = verify(bare, policy)
    assert result.returncode == 2, result.stdout
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "duplicate key" in result.stderr and "Traceback" not in result.stderr


def test_two_parents_sharing_a_name_each_need_verifying(tmp_path: Path) -> None:
    """Two different parent models both named "parent"; only one parent bundle is given."""
    ok(mbom("keygen", tmp_path / "k"))
    bundles = []
    for index in (1, 2):
        parent = write_tree(tmp_path / f"p{index}" / "parent", {"w.bin": bytes([index]) * 32})
        bom = tmp_path / f"parent{index}.cdx.json"
        ok(mbom("generate", "--model", parent, "-o", bom, "--no-environment"))
        ok(mbom("sign", bom, "--key", tmp_path / "k.pem"))
        bundles.append(Path(str(bom) + ".sigstore.json"))
    child = write_tree(tmp_path / "child", {"w.bin": b"child" * 8})
    bom = tmp_path / "child.cdx.json"
    parents = ("--parent", bundles[0], "--parent", bundles[1])
    ok(mbom("generate", "--model", child, "-o", bom, "--no-environment", *parents))
    ok(mbom("sign", bom, "--key", tmp_path / "k.pem"))
    pedigree = json.loads(bom.read_text())["metadata"]["component"]["pedigree"]
    assert [a["name"] for a in pedigree["ancestors"]] == ["parent", "parent"]
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  requireVerifiedParents: true\n")
    common = ["verify", child, "--bundle", str(bom) + ".sigstore.json", "--key", tmp_path / "k.pub"]
    result = mbom(*common, "--policy", policy, "--parent", bundles[0], "--format", "json")
    assert result.returncode == 1, result.stdout
    failing = [c for c in json.loads(result.stdout)["checks"] if c["status"] == "fail"]
    assert [c["id"] for c in failing] == ["policy:requireVerifiedParents"]
    assert "is not verified" in failing[0]["message"]
    both = mbom(*common, "--policy", policy, "--parent", bundles[0], "--parent", bundles[1])
    assert both.returncode == 0, both.stdout
