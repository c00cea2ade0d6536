"""OpenSSF Model Signing: model_signing accepts what mbom signs; mbom verifies what
model_signing signed, and rejects it once a byte of the model changes.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from mbom.attest import sign_model, verify_model, write_bundle
from mbom.attest.keys import load_signing_key
from mbom.errors import InputError, VerificationError
from tests.attest.conftest import FIXTURES, KEY_TYPES, run_mbom, tool, write_model

OMS = FIXTURES / "oms"


@pytest.fixture
def tiny_model(tmp_path):
    """A writable copy of the fixture model (the shared fixtures are read-only)."""
    target = tmp_path / "tiny-model"
    shutil.copytree(OMS / "tiny-model", target)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


@pytest.mark.skipif(not OMS.is_dir(), reason="shared fixtures not present")
def test_model_signing_fixture_verifies(tiny_model):
    result = verify_model(tiny_model, OMS / "tiny-model.oms.sig", keys=[OMS / "oms-key.pub"])
    assert (result.model_name, result.files) == ("tiny-model", 4)
    assert {"signature", "key hint", "statement"} <= set(result.signature.checks)


@pytest.mark.skipif(not OMS.is_dir(), reason="shared fixtures not present")
@pytest.mark.parametrize(
    "name", ["model.safetensors", "config.json", "README.md", "tokenizer/vocab.txt"]
)
def test_model_signing_fixture_rejects_a_changed_byte(tiny_model, name):
    path = tiny_model / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(VerificationError) as caught:
        verify_model(tiny_model, OMS / "tiny-model.oms.sig", keys=[OMS / "oms-key.pub"])
    assert caught.value.check == "model file" and caught.value.path == name
    assert caught.value.expected != caught.value.actual


@pytest.mark.skipif(not OMS.is_dir(), reason="shared fixtures not present")
def test_model_signing_fixture_rejects_an_extra_file_but_not_git(tiny_model):
    (tiny_model / ".git").mkdir()
    (tiny_model / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    verify_model(tiny_model, OMS / "tiny-model.oms.sig", keys=[OMS / "oms-key.pub"])
    (tiny_model / "extra.bin").write_bytes(b"\x00")
    with pytest.raises(VerificationError, match=r"extra\.bin"):
        verify_model(tiny_model, OMS / "tiny-model.oms.sig", keys=[OMS / "oms-key.pub"])


def _model_signing_verify(model, signature, public):
    return subprocess.run(
        [
            tool("model_signing"),
            "verify",
            "key",
            str(model),
            "--signature",
            str(signature),
            "--public_key",
            str(public),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("inside", [False, True], ids=["beside", "inside"])
def test_model_signing_accepts_mbom_sign_model(tmp_path, key_pairs, inside):
    model = write_model(tmp_path / "model")
    signature = (model if inside else tmp_path) / "model.sig"
    private, public = key_pairs["ecdsa-p256"]
    result = run_mbom("sign-model", str(model), "--key", str(private), "-o", str(signature))
    assert result.returncode == 0, result.stderr
    verify = _model_signing_verify(model, signature, public)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "Verification succeeded" in verify.stdout + verify.stderr
    assert "WARNING" not in verify.stdout  # the key hint is model_signing's own spelling
    verify_model(model, signature, keys=[public])


def test_model_signing_api_accepts_p384_and_rejects_a_change(tmp_path, key_pairs):
    from model_signing import verifying

    model = write_model(tmp_path / "model")
    private, public = key_pairs["ecdsa-p384"]
    signature = write_bundle(
        sign_model(model, keys=[load_signing_key(private)]), tmp_path / "model.sig"
    )
    verifying.Config().use_elliptic_key_verifier(public_key=public).verify(model, signature)
    (model / "config.json").write_bytes(b"{}")
    with pytest.raises(ValueError, match="Signature mismatch"):
        verifying.Config().use_elliptic_key_verifier(public_key=public).verify(model, signature)
    with pytest.raises(VerificationError):
        verify_model(model, signature, keys=[public])


def test_default_output_is_beside_the_model(tmp_path, key_pairs):
    model = write_model(tmp_path / "model")
    result = run_mbom("sign-model", f"{model}/", "--key", str(key_pairs["ecdsa-p256"][0]))
    assert result.returncode == 0, result.stderr
    assert verify_model(model, tmp_path / "model.sig", keys=[key_pairs["ecdsa-p256"][1]]).files == 3


def test_symlinks_are_refused(tmp_path, key_pairs):
    model = write_model(tmp_path / "model")
    (model / "link.json").symlink_to("config.json")
    with pytest.raises(InputError, match="symbolic link"):
        sign_model(model, keys=[load_signing_key(key_pairs["ecdsa-p256"][0])])


@pytest.mark.parametrize("kind", KEY_TYPES)
def test_sign_model_refuses_key_types_model_signing_cannot_verify(tmp_path, key_pairs, kind):
    """ECDSA P-256/P-384: written, and model_signing verifies them. Ed25519 / RSA: model_signing
    cannot verify them, so mbom refuses, naming the type, unless --allow-non-oms-key."""
    oms = kind in ("ecdsa-p256", "ecdsa-p384")
    model = write_model(tmp_path / "model")
    signature = tmp_path / "model.sig"
    private, public = key_pairs[kind]
    first = run_mbom("sign-model", str(model), "--key", str(private), "-o", str(signature))
    if not oms:
        assert first.returncode == 2 and not signature.exists()
        assert f"a {kind} key" in first.stderr and "--allow-non-oms-key" in first.stderr
        allowed = ("--allow-non-oms-key",)
        first = run_mbom(
            "sign-model", str(model), "--key", str(private), "-o", str(signature), *allowed
        )
    assert first.returncode == 0, first.stderr
    assert verify_model(model, signature, keys=[public]).files == 3  # mbom verifies it
    checked = _model_signing_verify(model, signature, public)
    assert (checked.returncode == 0) is oms, checked.stdout + checked.stderr
    if oms:
        assert "Verification succeeded" in checked.stdout + checked.stderr


def test_a_bom_bundle_is_not_an_oms_signature(model_and_bom, key_pairs):
    import json

    from mbom.attest import sign_bom

    model, bom_path = model_and_bom
    key = load_signing_key(key_pairs["ed25519"][0])
    bundle = sign_bom(json.loads(bom_path.read_text()), keys=[key])
    with pytest.raises(VerificationError) as caught:
        verify_model(model, bundle, keys=[key_pairs["ed25519"][1]])
    assert caught.value.check == "predicate type"
