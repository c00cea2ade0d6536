"""Shared helpers for the attestation tests: a small model on disk, its BOM, keys, and an
independent DSSE check written with plain ``cryptography`` (no mbom code).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("MBOM_SHARED_FIXTURES", REPO.parent / "shared" / "fixtures"))
KEY_TYPES = ("ecdsa-p256", "ecdsa-p384", "ed25519", "rsa")
MODEL_FILES = {
    "model.safetensors": b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " + bytes(range(64)),
    "config.json": b'{"hidden_size": 8}\n',
    "tokenizer/vocab.txt": b"[PAD]\n[UNK]\nhello\n",
}


def write_model(directory: Path) -> Path:
    """A three-file model under ``directory``."""
    for name, data in MODEL_FILES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return directory


def make_bom(model: Path) -> dict[str, Any]:
    """A minimal CycloneDX 1.6 ML-BOM for the files under ``model`` (the layout of subjects.py)."""
    files = []
    for path in sorted(p for p in model.rglob("*") if p.is_file()):
        name = path.relative_to(model).as_posix()
        data = path.read_bytes()
        files.append(
            {
                "type": "file",
                "bom-ref": f"file:{name}",
                "name": name,
                "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(data).hexdigest()}],
                "properties": [{"name": "mbom:size", "value": str(len(data))}],
            }
        )
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {
            "component": {
                "type": "machine-learning-model",
                "bom-ref": "model",
                "name": model.name,
                "components": files,
            }
        },
    }


@pytest.fixture
def model_and_bom(tmp_path: Path) -> tuple[Path, Path]:
    """(model directory, bom.cdx.json path) written to tmp_path."""
    model = write_model(tmp_path / "model")
    bom_path = tmp_path / "bom.cdx.json"
    bom_path.write_text(json.dumps(make_bom(model), indent=2), encoding="utf-8")
    return model, bom_path


@pytest.fixture(scope="session")
def key_pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """One unencrypted (private, public) PEM pair per key type, made once per session."""
    from mbom.attest.keys import write_key_pair

    directory = tmp_path_factory.mktemp("keys")
    return {kind: write_key_pair(directory / kind, kind) for kind in KEY_TYPES}


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding, written from the spec (not mbom's code)."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def independent_verify(public_key: Any, signature: bytes, data: bytes) -> None:
    """Check a signature with plain cryptography; raises InvalidSignature on failure."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        digest = hashes.SHA384() if public_key.curve.key_size == 384 else hashes.SHA256()
        public_key.verify(signature, data, ec.ECDSA(digest))
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        public_key.verify(signature, data)
    elif isinstance(public_key, rsa.RSAPublicKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
        public_key.verify(signature, data, pss, hashes.SHA256())
    else:
        raise AssertionError(f"unexpected key {public_key!r}")


def load_pub(path: Path) -> Any:
    return serialization.load_pem_public_key(path.read_bytes())


def run_mbom(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """``python -m mbom.cli ARGS`` in a subprocess without a terminal."""
    full_env = {k: v for k, v in os.environ.items() if k != "MBOM_KEY_PASSPHRASE"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "mbom.cli", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=full_env,
        cwd=cwd or REPO,
        timeout=120,
        check=False,
    )


def tool(name: str) -> str:
    """A console script installed beside this interpreter (sigstore, model_signing)."""
    return str(Path(sys.executable).with_name(name))
