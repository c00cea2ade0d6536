"""Fuzz CycloneDX BOMs through every reader: load, summary, validate, inspect, diff, lineage,
sign, prove / check-proof, and the BOM inside a bundle verify binds to the model.

Seeds: BOMs mbom makes in the session (inline dataset files, and a sidecar manifest) and the
published ML-BOMs under ../shared/fixtures/cyclonedx.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import budget
from tests.fuzz.harness import run_checked
from tests.fuzz.mutate import any_seed_mutated, fuzz_input, mutated_json
from tests.fuzz.props import parses_or_refuses
from tests.fuzz.seeds import Corpus, fixture_files


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-bom")


@pytest.fixture(scope="module")
def corpus(seeds) -> Corpus:
    raw = [seeds.bom.read_bytes(), seeds.big_bom.read_bytes()]
    raw += [p.read_bytes() for p in fixture_files("cyclonedx/**/*.json")]
    return Corpus("bom", seeds.json("bom"), raw)


def boms(corpus: Corpus) -> st.SearchStrategy[bytes]:
    return st.one_of(fuzz_input(corpus.doc, corpus.raw), any_seed_mutated(corpus.raw))


@given(data=st.data())
@budget.LIBRARY
def test_bom_library(corpus: Corpus, work: Path, data) -> None:
    from mbom.bom.describe import describe
    from mbom.bom.parents import read_parent
    from mbom.bom.read import load_bom, summarize_bom
    from mbom.bom.subjects import model_files
    from mbom.bom.validate import validate_bom
    from mbom.forensics.diff import diff_documents

    raw = data.draw(boms(corpus))
    path = work / "lib.cdx.json"
    path.write_bytes(raw)
    parses_or_refuses(validate_bom, raw)
    parses_or_refuses(read_parent, path)  # generate --parent
    document = parses_or_refuses(load_bom, path)
    if document is None:
        return
    parses_or_refuses(summarize_bom, document)
    parses_or_refuses(describe, document)
    parses_or_refuses(model_files, document)
    parses_or_refuses(diff_documents, corpus.doc, document)


@given(data=st.data())
@budget.CLI
def test_bom_readers_cli(seeds, corpus: Corpus, work: Path, data) -> None:
    bom = work / "cli.cdx.json"
    bom.write_bytes(data.draw(boms(corpus)))
    command = data.draw(
        st.sampled_from(
            [
                ["validate", str(bom)],
                ["validate", str(bom), "--format", "json"],
                ["inspect", str(bom)],
                ["inspect", str(bom), "--format", "json"],
                ["diff", str(seeds.bom), str(bom)],
                ["diff", str(bom), str(seeds.big_bom), "--format", "markdown"],
                ["lineage", str(bom), "--format", "json"],
                ["lineage", str(bom), "--format", "html"],
                ["check-proof", str(seeds.proof), "--bom", str(bom)],
            ]
        )
    )
    outcome = run_checked(command)
    if "--format" in command and command[-1] == "json" and outcome.code in (0, 1):
        json.loads(outcome.stdout)


def _bundle_json(data: bytes) -> None:
    from mbom.attest.bundles import parse_bundle

    parse_bundle(json.loads(data))


@given(data=st.data())
@budget.CLI
def test_bom_writers_cli(seeds, corpus: Corpus, work: Path, data) -> None:
    """sign and prove read a BOM and write a file: complete, or the previous one untouched."""
    bom = work / "w.cdx.json"
    bom.write_bytes(data.draw(boms(corpus)))
    if data.draw(st.booleans()):
        out = work / "w.sigstore.json"
        run_checked(
            ["sign", str(bom), "--key", str(seeds.key), "-o", str(out)],
            output=out,
            complete=_bundle_json,
            env={"MBOM_KEY_PASSPHRASE": ""},
        )
    else:
        out = work / "w.proof.json"
        target = seeds.data / "train" / "sub" / "eval.jsonl"
        run_checked(
            ["prove", str(target), "--bom", str(bom), "--dataset", "train", "-o", str(out)],
            output=out,
            complete=lambda raw: json.loads(raw),
        )


@given(data=st.data())
@budget.CLI
def test_signed_bom_verify_cli(seeds, corpus: Corpus, work: Path, data) -> None:
    """A validly signed bundle whose BOM is hostile: the signer is trusted, the BOM is not
    well formed. Verify must judge it (exit 0/1) with a report, never crash."""
    from mbom.attest import load_signing_key, sign_bom, write_bundle

    doc = data.draw(mutated_json(corpus.doc))
    if not isinstance(doc, dict):
        return
    bundle = work / "signed.sigstore.json"
    signed = parses_or_refuses(sign_bom, doc, keys=[load_signing_key(seeds.key)])
    if signed is None:
        return
    write_bundle(signed, bundle)
    fmt = data.draw(st.sampled_from(["text", "json", "sarif", "junit"]))
    args = ["verify", str(seeds.model), "--bundle", str(bundle), "--key", str(seeds.pub)]
    outcome = run_checked([*args, "--format", fmt])
    assert outcome.code in (0, 1, -1), f"signed but malformed BOM: exit {outcome.code}"


@given(data=st.data())
@budget.LIBRARY
def test_schema_verdict_is_never_weaker_than_python_jsonschema(corpus: Corpus, data) -> None:
    """The schema verdict (jsonschema-rs) never accepts a mutated BOM that python jsonschema,
    built as cyclonedx-python-lib builds it, refuses: switching the verdict made the gate
    stricter at most (a final newline before ``$``), never looser."""
    from mbom.bom._schema import schema_errors, schema_verdict, supported_spec_versions
    from mbom.load import JsonSyntaxError, parse_json

    raw = data.draw(any_seed_mutated(corpus.raw))
    try:
        doc = parse_json(raw)
    except JsonSyntaxError:
        return
    spec = doc.get("specVersion") if isinstance(doc, dict) else None
    if spec not in supported_spec_versions():
        return
    verdict = schema_verdict(doc, spec)
    try:
        explained = next(iter(schema_errors(doc, spec)), None)
    except RecursionError:
        return
    if verdict:
        assert explained is None, f"the verdict accepted what jsonschema refuses: {explained}"
    elif verdict is False:  # refused: validation never comes out clean
        from mbom.bom.validate import validate_document

        assert validate_document(doc).errors
