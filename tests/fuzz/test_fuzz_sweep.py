"""Systematic sweep: every field of a real seed, replaced in turn by a value of each other JSON
type (null, boolean, integer, huge integer, float, empty and lone-surrogate strings, list,
object), through each reader. Random fuzzing finds odd corners; the sweep guarantees that no
single field of a bundle, statement, BOM or proof with the wrong type crashes a reader.

The ``ci`` profile sweeps a deterministic sample of the (field, value) pairs; ``long`` all.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.budget import SWEEP_PAIRS
from tests.fuzz.props import parses_or_refuses

WRONG_TYPES: tuple[Any, ...] = (None, True, 0, 2**64, 1.5, "", "\ud800", [], {}, [{}], {"a": []})


def _paths(doc: Any, limit: int = 5000) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((), doc)]
    while stack and len(found) < limit:
        path, node = stack.pop()
        found.append(path)
        if isinstance(node, dict):
            stack.extend(((*path, k), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend(((*path, i), v) for i, v in enumerate(node))
    return found[1:]


def sweep(doc: Any) -> Iterator[Any]:
    """Copies of ``doc`` with one field replaced by one wrong-typed value (sampled in ci)."""
    pairs = [(p, v) for p in _paths(doc) for v in WRONG_TYPES]
    if SWEEP_PAIRS is not None and len(pairs) > SWEEP_PAIRS:  # ci: a deterministic sample
        step = len(pairs) / SWEEP_PAIRS
        pairs = [pairs[int(i * step)] for i in range(SWEEP_PAIRS)]
    for path, value in pairs:
        mutated = copy.deepcopy(doc)
        node = mutated
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = copy.deepcopy(value)
        yield mutated


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-sweep")


def test_sweep_bundle(seeds, work: Path) -> None:
    from mbom.attest.bundles import read_bundle
    from mbom.verify.signature import check_signature, unverified_statement
    from mbom.verify.trust import load_trust

    trust = load_trust(keys=[seeds.pub])
    path = work / "b.sigstore.json"
    for doc in sweep(seeds.json("bundle")):
        path.write_text(json.dumps(doc))
        document = parses_or_refuses(read_bundle, path)
        if document is not None:
            parses_or_refuses(unverified_statement, document)
            parses_or_refuses(check_signature, document, trust, bundle=str(path))


def _report_outputs(report) -> None:
    """Every report format renders and encodes as the CLI writes it (lone surrogates
    escaped: cli/_errors.py), and a JSON report stays JSON."""
    from mbom.verify.report_junit import render_junit
    from mbom.verify.report_sarif import render_sarif
    from mbom.verify.report_text import render_text

    for text in (
        render_text(report),
        render_junit(report),
        json.dumps(render_sarif(report), ensure_ascii=False),
        json.dumps(report.as_json(), ensure_ascii=False),
    ):
        text.encode("utf-8", "backslashreplace")
    escaped = json.dumps(report.as_json(), ensure_ascii=False).encode("utf-8", "backslashreplace")
    json.loads(escaped)


def _verify_signed(seeds, work: Path, statement: dict) -> None:
    from mbom.attest import load_signing_key, write_bundle
    from mbom.attest._internal.dsse import sign_envelope
    from mbom.attest._internal.keybundle import BUNDLE_MEDIA_TYPE
    from mbom.canonical import canonical_json
    from mbom.errors import MbomError
    from mbom.verify.pipeline import VerifyRequest, verify

    try:
        payload = canonical_json(statement)
    except (MbomError, TypeError, ValueError):  # not canonicalisable: sign plain JSON bytes
        payload = json.dumps(statement).encode()
    key = load_signing_key(seeds.key)
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": key.hint}, "tlogEntries": []},
        "dsseEnvelope": sign_envelope(payload, "application/vnd.in-toto+json", key),
    }
    path = work / "signed.sigstore.json"
    write_bundle(bundle, path)
    request = VerifyRequest(path=str(seeds.model), bundles=(str(path),), keys=(str(seeds.pub),))
    report = parses_or_refuses(verify, request)
    if report is not None:
        assert report.exit_code in (0, 1), "a validly signed, malformed statement is judged"
        parses_or_refuses(_report_outputs, report)


def _statement(seeds) -> dict:
    envelope = seeds.json("bundle")["dsseEnvelope"]
    return json.loads(base64.b64decode(envelope["payload"]))


def test_sweep_signed_statement(seeds, work: Path) -> None:
    """A statement signed by the trusted key, one field wrong: verify reports, never crashes."""
    statement = _statement(seeds)
    shallow = {k: v for k, v in statement.items() if k != "predicate"}
    shallow["subject"] = statement["subject"]
    for doc in sweep(shallow):
        doc.setdefault("predicate", statement["predicate"])
        _verify_signed(seeds, work, doc)


def test_sweep_signed_bom(seeds, work: Path) -> None:
    """The BOM of a statement signed by the trusted key, one field wrong."""
    statement = _statement(seeds)
    for bom in sweep(statement["predicate"]):
        _verify_signed(seeds, work, {**statement, "predicate": bom})


def test_sweep_bom_readers(seeds, work: Path) -> None:
    from mbom.bom.describe import describe
    from mbom.bom.read import load_bom, summarize_bom
    from mbom.bom.validate import validate_bom
    from mbom.forensics.diff import diff_paths
    from mbom.forensics.lineage import build_lineage

    path = work / "s.cdx.json"
    for doc in sweep(seeds.json("bom")):
        raw = json.dumps(doc).encode()
        path.write_bytes(raw)
        parses_or_refuses(validate_bom, raw)
        parses_or_refuses(diff_paths, seeds.bom, path)
        parses_or_refuses(build_lineage, [str(path)])
        document = parses_or_refuses(load_bom, path)
        if document is not None:
            parses_or_refuses(summarize_bom, document)
            parses_or_refuses(describe, document)


def test_sweep_proof(seeds, work: Path) -> None:
    from mbom.bom.read import load_bom
    from mbom.forensics.proofs import check_proof, load_proof

    bom = load_bom(seeds.bom)
    path = work / "p.json"
    for doc in sweep(seeds.json("proof")):
        path.write_text(json.dumps(doc))
        proof = parses_or_refuses(load_proof, path)
        if proof is not None:
            parses_or_refuses(check_proof, proof, bom)
