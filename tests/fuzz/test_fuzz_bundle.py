"""Fuzz Sigstore bundles, their DSSE envelopes and in-toto statements: library and CLI.

Seeds: a key-signed MBOM bundle and an OMS signature mbom makes in the session, plus the real
Sigstore bundles under ../shared/fixtures/sigstore (keyless, message signatures, Rekor v2).
"""

from __future__ import annotations

import base64
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

FIXTURE_BUNDLES = [
    p for p in fixture_files("sigstore/**/*.sigstore*") if p.suffix in (".json", ".sigstore")
]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-bundle")


@pytest.fixture(scope="module")
def corpus(seeds) -> Corpus:
    raw = [seeds.bundle.read_bytes(), seeds.oms_bundle.read_bytes()]
    raw += [p.read_bytes() for p in FIXTURE_BUNDLES]
    return Corpus("bundle", seeds.json("bundle"), raw)


@pytest.fixture(scope="module")
def trust(seeds):
    from mbom.verify.trust import load_trust

    return load_trust(keys=[seeds.pub])


def bundles(corpus: Corpus) -> st.SearchStrategy[bytes]:
    """Mutations of mbom's bundle (byte and structure) or structure mutations of any seed."""
    return st.one_of(fuzz_input(corpus.doc, corpus.raw), any_seed_mutated(corpus.raw))


@given(data=st.data())
@budget.LIBRARY
def test_bundle_library(corpus: Corpus, trust, work: Path, data) -> None:
    from mbom.attest.bundles import read_bundle
    from mbom.bom.parents import read_parent
    from mbom.verify.signature import check_signature, unverified_statement

    path = work / "lib.sigstore.json"
    path.write_bytes(data.draw(bundles(corpus)))
    parses_or_refuses(read_parent, path)  # generate --parent, lineage
    document = parses_or_refuses(read_bundle, path)
    if document is None:
        return
    parses_or_refuses(unverified_statement, document)
    parses_or_refuses(check_signature, document, trust, bundle=str(path))


@given(data=st.data())
@budget.LIBRARY
def test_envelope_and_statement(corpus: Corpus, data) -> None:
    from mbom.attest._internal.dsse import read_envelope
    from mbom.attest.statement import parse_statement

    envelope_seed = corpus.doc["dsseEnvelope"]
    statement_seed = json.loads(base64.b64decode(envelope_seed["payload"]))
    statement_raw = json.dumps(statement_seed).encode()
    parses_or_refuses(read_envelope, data.draw(mutated_json(envelope_seed)))
    parses_or_refuses(parse_statement, data.draw(fuzz_input(statement_seed, [statement_raw])))


@given(data=st.data())
@budget.CLI
def test_verify_cli(seeds, corpus: Corpus, work: Path, data) -> None:
    bundle = work / "cli.sigstore.json"
    bundle.write_bytes(data.draw(bundles(corpus)))
    fmt = data.draw(st.sampled_from(["text", "json", "sarif", "junit"]))
    args = ["verify", str(seeds.model), "--bundle", str(bundle), "--key", str(seeds.pub)]
    outcome = run_checked([*args, "--format", fmt])
    if fmt != "text" and outcome.code in (0, 1):
        assert outcome.stdout.strip(), "a report in every format"
    if fmt in ("json", "sarif") and outcome.code in (0, 1):
        json.loads(outcome.stdout)


@given(data=st.data())
@budget.CLI
def test_bundle_readers_cli(seeds, corpus: Corpus, work: Path, data) -> None:
    bundle = work / "readers.sigstore.json"
    bundle.write_bytes(data.draw(bundles(corpus)))
    command = data.draw(
        st.sampled_from(
            [
                ["inspect", str(bundle)],
                ["inspect", str(bundle), "--format", "json"],
                ["lineage", str(bundle), "--format", "json"],
                ["diff", str(seeds.bom), str(bundle), "--format", "json"],
            ]
        )
    )
    run_checked(command)


@given(data=st.data())
@budget.CLI
def test_oms_verify_cli(seeds, work: Path, data) -> None:
    sig = work / "model.oms.sig"
    seed = seeds.oms_bundle.read_bytes()
    sig.write_bytes(data.draw(fuzz_input(json.loads(seed), [seed])))
    run_checked(["verify", str(seeds.model), "--bundle", str(sig), "--key", str(seeds.pub)])
