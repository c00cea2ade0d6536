"""The GitHub Action's verify step and the Kubernetes initContainer's command, on oci://."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers.cli import REPO
from tests.oci.conftest import DEMO
from tests.oci.test_verify import release

ACTION = REPO / "integrations" / "github-action" / "action.yml"
POD = REPO / "integrations" / "kubernetes" / "initcontainer-oci.yaml"


def _policy(tmp: Path, keys) -> Path:
    shutil.copy(keys[1], tmp / "release.pub")
    policy = tmp / "policy.yaml"
    policy.write_text("version: 1\nmode: enforce\ntrust:\n  publicKeys: [release.pub]\n")
    return policy


def _run_action(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The action's verify step, as the runner would run it (the mbom on PATH is ours)."""
    step = yaml.safe_load(ACTION.read_text())["runs"]["steps"][1]["run"]
    bindir = Path(sys.executable).parent
    full = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "PARENTS": "", "SARIF_FILE": ""}
    full.update(env)
    return subprocess.run(
        ["bash", "-c", step], capture_output=True, text=True, env=full, cwd=REPO, check=False
    )


def test_action_verifies_an_oci_reference(registry, keys, tmp_path: Path):
    registry.push_model("int/action", "v1", DEMO)
    release(registry, "int/action", "v1", keys, tmp_path, pull=False)
    env = {
        "MODEL_PATH": f"oci://{registry.host}/int/action:v1",
        "BUNDLES": "",
        "POLICY": str(_policy(tmp_path, keys)),
        "OCI_REF": "",
        "FORMAT": "text",
    }
    result = _run_action(env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout and "@sha256:" in result.stdout
    registry.push_model("int/action-unsigned", "v1", DEMO)
    env["MODEL_PATH"] = f"oci://{registry.host}/int/action-unsigned:v1"
    assert _run_action(env).returncode == 3  # nothing attached: the job fails


def test_initcontainer_command_verifies_the_pulled_model(registry, keys, tmp_path: Path):
    digest = registry.push_model("int/pod", "v1", DEMO)
    release(registry, "int/pod", "v1", keys, tmp_path, pull=True)
    pod = yaml.safe_load(POD.read_text())
    [verify] = [c for c in pod["spec"]["initContainers"] if c["name"] == "mbom-verify"]
    pulled = tmp_path / "models" / "sentiment"
    shutil.copytree(DEMO, pulled)  # what `oras pull` writes: one file per raw layer
    _policy(tmp_path, keys)
    command = [
        part.replace("registry.example.com/models/sentiment", f"{registry.host}/int/pod")
        .replace("sha256:REPLACE_WITH_DIGEST", digest)
        .replace("/models/", f"{tmp_path}/models/")
        .replace("/etc/mbom/", f"{tmp_path}/")
        for part in verify["command"]
    ]
    assert command[:2] == ["mbom", "verify"]
    run = subprocess.run(
        [sys.executable, "-m", "mbom.cli", *command[1:]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (pulled / "config.json").write_text('{"tampered": true}')
    run = subprocess.run(
        [sys.executable, "-m", "mbom.cli", *command[1:]],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "config.json" in run.stdout
