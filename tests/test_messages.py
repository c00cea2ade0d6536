"""Error messages (issue 14): a JSON error is worded one way wherever a JSON file is read, a file
that is not a bundle says what it is and what to pass instead, and each names the file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mbom.attest.keys import write_key_pair
from tests.helpers.cli import REPO, run_cli


def _key(folder: Path) -> Path:
    public = folder / "release.pub"
    if not public.exists():
        write_key_pair(folder / "release", "ecdsa-p256")
    return public


BROKEN = '{"a": 1,}'
WORDING = "not valid JSON: trailing comma at line 1 column 8"


def test_one_wording_for_json_errors_everywhere(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(BROKEN)
    model = tmp_path / "model"
    model.mkdir()
    (model / "w.bin").write_bytes(b"w")
    runs = {
        "inspect": run_cli("inspect", bad),
        "generate --config": run_cli(
            "generate", "--model", model, "--config", bad, "-o", tmp_path / "b.json"
        ),
        "check-proof": run_cli("check-proof", bad, "--bom", bad),
        "log append": run_cli("log", "append", tmp_path / "j.log", "--event-file", bad),
        "verify --bundle": run_cli("verify", model, "--bundle", bad, "--key", _key(tmp_path)),
    }
    for what, result in runs.items():
        assert f"{bad}: {WORDING}" in result.stdout + result.stderr, (what, result.stderr)
    # One place spells it: mbom.load.json_error (validate's finding reuses the reason).
    spelled = [
        str(path.relative_to(REPO))
        for root in ("mbom", "cli")
        for path in (REPO / root).rglob("*.py")
        if re.search(r"(not valid|invalid) JSON", path.read_text())
    ]
    assert sorted(spelled) == ["mbom/bom/validate.py", "mbom/load/_json.py"], spelled


def test_a_file_that_is_not_a_bundle_says_what_to_pass(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "w.bin").write_bytes(b"w")
    bom = tmp_path / "bom.cdx.json"
    assert run_cli("generate", "--model", model, "--no-environment", "-o", bom).returncode == 0
    envelope = tmp_path / "envelope.json"
    envelope.write_text(json.dumps({"payloadType": "x", "payload": "", "signatures": []}))
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"mediaType": None, "verificationMaterial": {}}))
    expected = {
        bom: f"it is a CycloneDX BOM: sign it (mbom sign {bom} --key KEY.pem)",
        envelope: "it is a bare DSSE envelope",
        odd: "no mediaType (application/vnd.dev.sigstore.bundle.v0.3+json expected)",
    }
    for path, hint in expected.items():
        result = run_cli("verify", model, "--bundle", path, "--key", _key(tmp_path))
        assert result.returncode == 1  # the bundle is the attacker's: a "no", reported
        assert f"{path}: not a Sigstore bundle: {hint}" in result.stdout, result.stdout
        assert "mediaType None" not in result.stdout
