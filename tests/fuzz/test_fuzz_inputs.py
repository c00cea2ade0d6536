"""Fuzz the files a user hands mbom to steer it: policy files (YAML/JSON), mbom.yaml
(``generate -f``), trusted roots and trust configs, inclusion proofs and dataset manifests.

The strict YAML/JSON loader under these readers (duplicate keys, alias bombs, depth, huge
integers) has its own tests; here the readers above it must turn every shape of document
into an :class:`MbomError` naming the file, never an internal error.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import budget
from tests.fuzz.harness import run_checked
from tests.fuzz.mutate import dump_json, fuzz_input, mutated_bytes
from tests.fuzz.props import parses_or_refuses
from tests.fuzz.seeds import MBOM_YAML, POLICY, fixture_files

TRUSTED_ROOTS = fixture_files("sigstore/**/*trusted_root.json")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory, seeds) -> Path:
    base = tmp_path_factory.mktemp("fuzz-inputs")
    (base / "release.pub").write_bytes(seeds.pub.read_bytes())
    return base


def _yaml_inputs(seed: bytes) -> st.SearchStrategy[bytes]:
    doc = yaml.safe_load(seed)
    return st.one_of(fuzz_input(doc, [seed, dump_json(doc)]), mutated_bytes([seed]))


@given(data=st.data())
@budget.LIBRARY
def test_policy_library(seeds, work: Path, data) -> None:
    from mbom.verify.policy import load_policy
    from mbom.verify.rules import Evidence, evaluate_rules

    path = work / "policy.yaml"
    path.write_bytes(data.draw(_yaml_inputs(POLICY)))
    policy = parses_or_refuses(load_policy, path)
    if policy is not None:
        evidence = Evidence(bom=seeds.json("bom"), attestations=[], signers=[], lineage=[])
        parses_or_refuses(evaluate_rules, policy, evidence)


@given(data=st.data())
@budget.CLI
def test_policy_verify_cli(seeds, work: Path, data) -> None:
    path = work / "cli-policy.yaml"
    path.write_bytes(data.draw(_yaml_inputs(POLICY)))
    args = ["verify", str(seeds.model), "--bundle", str(seeds.bundle), "--policy", str(path)]
    run_checked([*args, "--format", "json"])


@given(data=st.data())
@budget.LIBRARY
def test_request_file_library(seeds, work: Path, data) -> None:
    from mbom.request_file import load_request_file

    path = seeds.base / "fuzz.mbom.yaml"  # beside the seed model, so relative paths resolve
    path.write_bytes(data.draw(_yaml_inputs(MBOM_YAML)))
    parses_or_refuses(load_request_file, path)


@given(data=st.data())
@budget.SLOW_CLI
def test_request_file_generate_cli(seeds, data) -> None:
    path = seeds.base / "cli.mbom.yaml"
    path.write_bytes(data.draw(_yaml_inputs(MBOM_YAML)))
    out = seeds.base / "fuzz-out" / "bom.cdx.json"
    out.parent.mkdir(exist_ok=True)
    run_checked(
        ["generate", "-f", str(path), "--no-cache", "-o", str(out)],
        output=out,
        complete=lambda raw: json.loads(raw),
    )


@pytest.mark.skipif(not TRUSTED_ROOTS, reason="../shared/fixtures/sigstore not present")
@given(data=st.data())
@budget.LIBRARY
def test_trusted_root_library(work: Path, data) -> None:
    from mbom.verify.trust import load_trust

    raw = [p.read_bytes() for p in TRUSTED_ROOTS]
    doc = json.loads(raw[0])
    path = work / "trusted_root.json"
    path.write_bytes(data.draw(fuzz_input(doc, raw)))
    parses_or_refuses(load_trust, trusted_root=path)
    config = work / "trust_config.json"
    wrapped = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": doc,
        "signingConfig": {"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json"},
    }
    config.write_bytes(data.draw(fuzz_input(wrapped, [dump_json(wrapped)])))
    parses_or_refuses(load_trust, trust_config=config)


@pytest.mark.skipif(not TRUSTED_ROOTS, reason="../shared/fixtures/sigstore not present")
@given(data=st.data())
@budget.CLI
def test_trusted_root_verify_cli(seeds, work: Path, data) -> None:
    raw = [p.read_bytes() for p in TRUSTED_ROOTS]
    path = work / "cli_trusted_root.json"
    path.write_bytes(data.draw(fuzz_input(json.loads(raw[0]), raw)))
    args = ["verify", str(seeds.model), "--bundle", str(seeds.bundle), "--key", str(seeds.pub)]
    run_checked([*args, "--trusted-root", str(path), "--format", "json"])


@given(data=st.data())
@budget.LIBRARY
def test_proof_library(seeds, work: Path, data) -> None:
    from mbom.bom.read import load_bom
    from mbom.forensics.proofs import check_proof, load_proof

    path = work / "proof.json"
    path.write_bytes(data.draw(fuzz_input(seeds.json("proof"), [seeds.proof.read_bytes()])))
    proof = parses_or_refuses(load_proof, path)
    if proof is not None:
        parses_or_refuses(check_proof, proof, load_bom(seeds.bom))


@given(data=st.data())
@budget.CLI
def test_check_proof_cli(seeds, work: Path, data) -> None:
    path = work / "cli-proof.json"
    path.write_bytes(data.draw(fuzz_input(seeds.json("proof"), [seeds.proof.read_bytes()])))
    fmt = data.draw(st.sampled_from(["text", "json"]))
    run_checked(["check-proof", str(path), "--bom", str(seeds.bom), "--format", fmt])


def _manifest_lines(seeds) -> st.SearchStrategy[bytes]:
    raw = seeds.manifest.read_bytes()
    first = json.loads(raw.splitlines()[0])

    @st.composite
    def edited(draw):
        lines = raw.splitlines()
        at = draw(st.integers(0, len(lines) - 1))
        lines[at] = draw(fuzz_input(first, [lines[at]]))
        return b"\n".join(lines) + b"\n"

    return st.one_of(edited(), mutated_bytes([raw]))


@given(data=st.data())
@budget.LIBRARY
def test_dataset_manifest_library(seeds, work: Path, data) -> None:
    from mbom.bom.datasets import read_manifest

    path = work / "manifest.jsonl"
    path.write_bytes(data.draw(_manifest_lines(seeds)))
    parses_or_refuses(read_manifest, str(path), None)


@given(data=st.data())
@budget.CLI
def test_dataset_manifest_cli(seeds, work: Path, data) -> None:
    """diff and check-proof read the sidecar manifest a big BOM points to."""
    original = seeds.manifest.read_bytes()
    seeds.manifest.write_bytes(data.draw(_manifest_lines(seeds)))
    try:
        run_checked(["diff", str(seeds.bom), str(seeds.big_bom), "--format", "json"])
    finally:
        seeds.manifest.write_bytes(original)
