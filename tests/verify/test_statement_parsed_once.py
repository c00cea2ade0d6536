"""A verified bundle's statement is parsed once, and a failing one still gets its schema check.

The statement of a 20,000-file model is a 12 MB payload: the signature layer used to parse it
three times per bundle (before verifying, while verifying, and again for the bom-schema
check).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mbom.verify.pipeline import VerifyRequest, verify


def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import mbom.attest.statement as statement

    calls: list[int] = []
    parse = statement.parse_statement

    def counted(payload: bytes):  # type: ignore[no-untyped-def]
        calls.append(len(payload))
        return parse(payload)

    monkeypatch.setattr(statement, "parse_statement", counted)
    import mbom.attest.verification as verification

    monkeypatch.setattr(verification, "parse_statement", counted)
    return calls


def checks(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {check.id: check.status for check in report.checks}


def test_verified_bundle_parses_its_statement_once(signed, work, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, _ = work
    calls = counting(monkeypatch)
    report = verify(VerifyRequest(str(model), (str(signed.bundle),), keys=(str(signed.pub),)))
    assert report.verified, report.checks
    assert checks(report)["bom-schema"] == "pass"
    assert len(calls) == 1


def test_unverified_bundle_is_still_schema_checked(signed, work, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, _ = work
    calls = counting(monkeypatch)
    wrong_key = VerifyRequest(str(model), (str(signed.bundle),), keys=(str(signed.other_pub),))
    report = verify(wrong_key)
    assert not report.verified
    assert checks(report)["signature"] == "fail"
    assert checks(report)["bom-schema"] == "pass"  # from the envelope, as before
    assert calls  # parsed from the envelope when verification failed


def test_the_schema_check_judges_the_statement_that_was_verified(
    signed, work, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """A predicate that is not CycloneDX fails bom-schema on the verified path too."""
    import json

    from mbom.attest import load_signing_key, sign_bom, write_bundle

    model, _ = work
    bom = json.loads(signed.bom.read_text())
    bom["components"][0]["hashes"] = [{"alg": "SHA-256", "content": "not hex"}]
    bundle = write_bundle(
        sign_bom(bom, keys=[load_signing_key(signed.key)]), tmp_path / "bad.sigstore.json"
    )
    report = verify(VerifyRequest(str(model), (str(bundle),), keys=(str(signed.pub),)))
    assert checks(report)["signature"] == "pass"
    assert checks(report)["bom-schema"] == "fail"
    assert not report.verified


def test_a_bom_only_the_verdict_refuses_fails_verification(signed, work, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A signed BOM whose serial number ends in a newline: python jsonschema (and
    cyclonedx-python-lib's validator) accepted it, the schema verdict does not, so verify
    says no (exit 1) with the pattern named."""
    import json

    from mbom.attest import load_signing_key, sign_bom, write_bundle

    model, _ = work
    bom = json.loads(signed.bom.read_text())
    bom["serialNumber"] += "\n"
    bundle = write_bundle(
        sign_bom(bom, keys=[load_signing_key(signed.key)]), tmp_path / "newline.sigstore.json"
    )
    report = verify(VerifyRequest(str(model), (str(bundle),), keys=(str(signed.pub),)))
    assert checks(report)["signature"] == "pass"
    assert checks(report)["bom-schema"] == "fail"
    schema = next(check for check in report.checks if check.id == "bom-schema")
    assert "/serialNumber" in schema.message and "does not match" in schema.message
    assert not report.verified
