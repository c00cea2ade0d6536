"""``mbom publish --hf``: one commit with the BOM and its bundle, to a fake Hub on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

from tests.generate.conftest import model_dir, run_mbom  # noqa: F401  (fixture)
from tests.integrations.fakehub import FakeHub


def signed_bom(tmp_path: Path, model: Path) -> tuple[Path, Path]:
    bom = tmp_path / "bom.cdx.json"
    assert (
        run_mbom("generate", "--model", str(model), "--no-environment", "-o", str(bom)).returncode
        == 0
    )
    assert run_mbom("keygen", str(tmp_path / "k")).returncode == 0
    assert run_mbom("sign", str(bom), "--key", str(tmp_path / "k.pem")).returncode == 0
    return bom, Path(f"{bom}.sigstore.json")


def test_publish_uploads_bom_and_bundle_in_one_commit(tmp_path: Path, model_dir: Path) -> None:  # noqa: F811
    bom, bundle = signed_bom(tmp_path, model_dir)
    with FakeHub() as hub:
        env = {"HF_ENDPOINT": hub.url, "HF_HUB_OFFLINE": "0", "HF_TOKEN": "hf_test"}
        result = run_mbom(
            "publish",
            str(bom),
            "--hf",
            "org/model",
            "--path-in-repo",
            "mbom",
            "--format",
            "json",
            env=env,
        )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["commit"] == "a" * 40
    assert hub.files == {
        "mbom/bom.cdx.json": bom.read_bytes(),
        "mbom/bom.cdx.json.sigstore.json": bundle.read_bytes(),
    }
    assert [p.split("?")[0] for p in hub.requests] == [
        "/api/models/org/model/preupload/main",
        "/api/models/org/model/commit/main",
    ]


def test_publish_refuses_when_offline(tmp_path: Path, model_dir: Path) -> None:  # noqa: F811
    bom, _ = signed_bom(tmp_path, model_dir)
    result = run_mbom("publish", str(bom), "--hf", "org/model")
    assert result.returncode == 3
    assert "HF_HUB_OFFLINE" in result.stderr
