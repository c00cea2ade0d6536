"""The keygen / sign command lines: outputs, modes, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import stat

import pytest

from mbom.attest import verify_bundle
from tests.attest.conftest import load_pub, run_mbom


def _one_error_line(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mbom: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_keygen_without_terminal_or_passphrase_warns(tmp_path):
    result = run_mbom("keygen", str(tmp_path / "k"))
    assert result.returncode == 0, result.stderr
    assert "NOT encrypted" in result.stderr
    private = tmp_path / "k.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in private.read_bytes()
    assert (tmp_path / "k.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize("kind", ["ecdsa-p384", "ed25519"])
def test_keygen_encrypts_with_the_environment_passphrase(tmp_path, kind):
    result = run_mbom(
        "keygen", str(tmp_path / "k"), "--type", kind, env={"MBOM_KEY_PASSPHRASE": "pw"}
    )
    assert result.returncode == 0 and "NOT encrypted" not in result.stderr
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "k.pem").read_bytes()


def test_sign_writes_the_default_bundle_and_verifies(tmp_path, model_and_bom):
    _, bom_path = model_and_bom
    assert (
        run_mbom("keygen", str(tmp_path / "k"), env={"MBOM_KEY_PASSPHRASE": "pw"}).returncode == 0
    )
    result = run_mbom(
        "sign", str(bom_path), "--key", str(tmp_path / "k.pem"), env={"MBOM_KEY_PASSPHRASE": "pw"}
    )
    assert result.returncode == 0, result.stderr
    bundle = tmp_path / "bom.cdx.json.sigstore.json"
    assert f"-> {bundle}" in result.stdout
    assert json.loads(bundle.read_text())["verificationMaterial"]["tlogEntries"] == []
    assert verify_bundle(bundle, keys=[tmp_path / "k.pub"]).statement.is_bom


def _two_keys(key_pairs):
    return ["--key", str(key_pairs["rsa"][0]), "--key", str(key_pairs["ecdsa-p384"][0])]


def _sigstore_model_bundle(path):
    """Parse with sigstore-python's own protobuf-JSON models (sigstore_models)."""
    from sigstore_models.bundle.v1 import Bundle

    return Bundle.from_json(path.read_bytes())


@pytest.mark.parametrize(
    ("output", "names"),
    [
        (None, ["bom.cdx.json.1.sigstore.json", "bom.cdx.json.2.sigstore.json"]),
        ("out/{n}-{bom}.bundle", ["out/1-bom.cdx.json.bundle", "out/2-bom.cdx.json.bundle"]),
        ("out/", ["out/bom.cdx.json.{rsa}.sigstore.json", "out/bom.cdx.json.{p384}.sigstore.json"]),
    ],
    ids=["default", "pattern", "directory"],
)
def test_two_keys_write_one_bundle_each(tmp_path, model_and_bom, key_pairs, output, names):
    from mbom.attest.keys import key_hint

    _, bom_path = model_and_bom
    (tmp_path / "out").mkdir()
    hints = {
        "{rsa}": key_hint(load_pub(key_pairs["rsa"][1])),
        "{p384}": key_hint(load_pub(key_pairs["ecdsa-p384"][1])),
    }
    args = ["-o", str(tmp_path / output)] if output else []
    result = run_mbom("sign", str(bom_path), *_two_keys(key_pairs), *args)
    assert result.returncode == 0, result.stderr
    paths = []
    for name in names:
        for mark, hint in hints.items():
            name = name.replace(mark, hint)
        paths.append(tmp_path / name)
    for path, kind in zip(paths, ("rsa", "ecdsa-p384")):
        assert f"-> {path}" in result.stdout
        document = json.loads(path.read_text())
        assert len(document["dsseEnvelope"]["signatures"]) == 1
        parsed = _sigstore_model_bundle(path)
        assert parsed.media_type == "application/vnd.dev.sigstore.bundle.v0.3+json"
        assert (
            parsed.verification_material.public_key.hint
            == hints["{rsa}" if kind == "rsa" else "{p384}"]
        )
        assert len(parsed.dsse_envelope.signatures) == 1
        (signer,) = verify_bundle(path, keys=[key_pairs[kind][1]]).signers
        assert signer.key_hint == document["verificationMaterial"]["publicKey"]["hint"]


def test_two_keys_and_a_plain_output_file_is_a_usage_error(tmp_path, model_and_bom, key_pairs):
    _, bom_path = model_and_bom
    out = tmp_path / "out.sigstore.json"
    result = run_mbom("sign", str(bom_path), *_two_keys(key_pairs), "-o", str(out))
    assert result.returncode == 2
    assert "{n} or {keyid}" in _one_error_line(result)
    assert not out.exists() and list(tmp_path.glob("*.sigstore.json")) == []


def test_the_set_is_written_all_or_nothing(tmp_path, model_and_bom, key_pairs):
    """The second bundle cannot be staged (its folder is missing): the first is not written."""
    _, bom_path = model_and_bom
    (tmp_path / "1").mkdir()
    previous = tmp_path / "1" / "x.json"
    previous.write_text("previous\n")
    pattern = str(tmp_path / "{n}" / "x.json")
    result = run_mbom("sign", str(bom_path), *_two_keys(key_pairs), "-o", pattern)
    assert "cannot write" in _one_error_line(result)
    assert previous.read_text() == "previous\n"
    assert [p.name for p in (tmp_path / "1").iterdir()] == ["x.json"]  # no temporary left


def test_wrong_passphrase(tmp_path, model_and_bom):
    _, bom_path = model_and_bom
    run_mbom("keygen", str(tmp_path / "k"), env={"MBOM_KEY_PASSPHRASE": "right"})
    result = run_mbom(
        "sign",
        str(bom_path),
        "--key",
        str(tmp_path / "k.pem"),
        env={"MBOM_KEY_PASSPHRASE": "wrong"},
    )
    assert "wrong passphrase" in _one_error_line(result)


def test_encrypted_key_without_passphrase_or_terminal(tmp_path, model_and_bom):
    _, bom_path = model_and_bom
    run_mbom("keygen", str(tmp_path / "k"), env={"MBOM_KEY_PASSPHRASE": "right"})
    result = run_mbom("sign", str(bom_path), "--key", str(tmp_path / "k.pem"))
    assert "MBOM_KEY_PASSPHRASE" in _one_error_line(result)


def test_wrong_key_type(tmp_path, model_and_bom, key_pairs):
    _, bom_path = model_and_bom
    result = run_mbom("sign", str(bom_path), "--key", str(key_pairs["ed25519"][1]))
    assert "a public key" in _one_error_line(result)


def test_small_rsa_key(tmp_path, model_and_bom):
    from cryptography.hazmat.primitives.asymmetric import rsa

    from mbom.attest.keys import private_key_pem

    _, bom_path = model_and_bom
    weak = tmp_path / "weak.pem"
    weak.write_bytes(
        private_key_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    )
    assert "3072" in _one_error_line(run_mbom("sign", str(bom_path), "--key", str(weak)))


@pytest.mark.parametrize("missing", ["key", "bom"])
def test_missing_files(tmp_path, model_and_bom, key_pairs, missing):
    _, bom_path = model_and_bom
    key = tmp_path / "absent.pem" if missing == "key" else key_pairs["ed25519"][0]
    bom = tmp_path / "absent.cdx.json" if missing == "bom" else bom_path
    assert "no such file" in _one_error_line(run_mbom("sign", str(bom), "--key", str(key)))


@pytest.mark.parametrize(
    "args",
    [[], ["--key", "a.pem", "--sigstore"], ["--key", "a.pem", "--staging"]],
    ids=["none", "both", "staging-without-sigstore"],
)
def test_usage_errors(model_and_bom, args):
    _, bom_path = model_and_bom
    result = run_mbom("sign", str(bom_path), *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_start_up_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, mbom.attest, mbom.cli.sign_cmd, mbom.cli.keygen_cmd;"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('sigstore', 'cryptography', 'securesystemslib', 'click_', 'rich')];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
