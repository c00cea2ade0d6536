"""Fuzz regressions: ``bundle_signers`` (inspect, audit) on bundles of hostile shapes.

Found by tests/fuzz when the audit began naming every signer: a ``publicKey`` that is ``true``,
a certificate that is a list, a chain of non-objects. Each must give "no signer named", never
a crash that reaches the CLI's last-resort handler.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mbom.bom.parents import bundle_signers
from tests.helpers.cli import run_cli

SHAPES = [
    {"publicKey": True},
    {"publicKey": {"hint": ["k"]}},
    {"certificate": [1, 2]},
    {"certificate": {"rawBytes": {"a": 1}}},
    {"x509CertificateChain": {"certificates": [True]}},
    {"x509CertificateChain": []},
    {"certificate": {"rawBytes": "not base64 !"}},
    [],
]


@pytest.mark.parametrize("material", SHAPES, ids=[json.dumps(m) for m in SHAPES])
def test_hostile_verification_material_names_no_signer(tmp_path: Path, material: object) -> None:
    bundle = tmp_path / "b.sigstore.json"
    document = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": material,
        "dsseEnvelope": {"payload": "", "payloadType": "x", "signatures": [{"keyid": {"x": 1}}]},
    }
    bundle.write_text(json.dumps(document))
    signers = bundle_signers(str(bundle))
    assert all(isinstance(v, str) for signer in signers for v in signer.values())
    assert signers in ([], [{"certificate": "unparsable"}])
    result = run_cli("inspect", bundle)
    assert "last-resort" not in result.stderr and "Traceback" not in result.stderr
    assert result.returncode in (0, 1, 2), result.stderr
