"""Fuzz PEM keys (``--key``, ``sign --key``) and the audit report writer (``audit -o``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import budget
from tests.fuzz.harness import PREVIOUS, run_checked
from tests.fuzz.mutate import any_seed_mutated, mutated_bytes
from tests.fuzz.props import parses_or_refuses


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-keys")


@given(data=st.data())
@budget.LIBRARY
def test_pem_keys(seeds, work: Path, data) -> None:
    from mbom.attest.keys import load_public_key, load_signing_key

    pub, pem = work / "k.pub", work / "k.pem"
    pub.write_bytes(data.draw(mutated_bytes([seeds.pub.read_bytes(), seeds.key.read_bytes()])))
    pem.write_bytes(data.draw(mutated_bytes([seeds.key.read_bytes()])))
    parses_or_refuses(load_public_key, pub)
    parses_or_refuses(load_signing_key, pem, passphrase=None)


@given(data=st.data())
@budget.CLI
def test_audit_report_cli(seeds, work: Path, data) -> None:
    """audit verifies hostile bundles and writes a report: complete (exit 0/1) or none."""
    bundle = work / "a.sigstore.json"
    raw = seeds.bundle.read_bytes()
    bundle.write_bytes(data.draw(st.one_of(mutated_bytes([raw]), any_seed_mutated([raw]))))
    fmt = data.draw(st.sampled_from(["json", "html", "md"]))
    out = work / f"report.{fmt}"
    args = ["audit", str(seeds.model), "--bundle", str(bundle), "--key", str(seeds.pub)]
    complete = json.loads if fmt == "json" else (lambda raw: raw.decode("utf-8"))
    outcome = run_checked([*args, "-o", str(out)], output=out, complete=complete)
    if outcome.code in (0, 1):
        assert out.read_bytes() not in (b"", PREVIOUS), "audit writes its report"
