"""``generate --python PATH`` records a training virtual environment's packages, not mbom's
(issue 14: generate silently recorded whatever Python ran mbom), without importing or running
anything of that environment; the summary line says which environment was recorded."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli

HOOK = "import pathlib; pathlib.Path({marker!r}).write_text('ran')\n"


@pytest.fixture(scope="module")
def training_venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real venv holding one distribution whose import, and a .pth file, leave a marker."""
    root = tmp_path_factory.mktemp("train") / ".venv-train"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    site = next(root.glob("lib*/python*/site-packages"))
    marker = root.parent / "executed"
    dist = site / "trainlib-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: TrainLib\nVersion: 1.2.3\n")
    (site / "trainlib").mkdir()
    (site / "trainlib" / "__init__.py").write_text(HOOK.format(marker=str(marker)))
    (site / "zz-hook.pth").write_text(f"import trainlib; {HOOK.format(marker=str(marker))}")
    return root, marker


def _packages(bom: Path) -> dict[str, str]:
    document = json.loads(bom.read_text())
    found = {}
    for formula in document.get("formulation", []):
        found.update({c["name"]: c.get("version") for c in formula.get("components", [])})
    found.update(
        {
            c["name"]: c.get("version")
            for c in document.get("components", [])
            if c["type"] == "library"
        }
    )
    return found


def _model(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    model.mkdir(exist_ok=True)
    (model / "w.bin").write_bytes(b"weights")
    return model


@pytest.mark.parametrize("given", ["bin/python", "."])
def test_training_venv_is_recorded_without_running_it(
    tmp_path: Path, training_venv: tuple[Path, Path], given: str
) -> None:
    root, marker = training_venv
    bom = tmp_path / "bom.cdx.json"
    result = run_cli("generate", "--model", _model(tmp_path), "--python", root / given, "-o", bom)
    assert result.returncode == 0, result.stderr
    packages = _packages(bom)
    assert packages == {"TrainLib": "1.2.3"}  # the venv's, not mbom's (no click, no cyclonedx)
    assert not marker.exists()  # neither the .pth file nor the package ran
    line = next(x for x in result.stdout.splitlines() if x.startswith("environment: "))
    assert f"CPython {platform.python_version()}, 1 packages" in line
    assert f"the virtual environment {root}" in line and "nothing run" in line
    props = {
        p["name"]: p["value"]
        for f in json.loads(bom.read_text())["formulation"]
        for p in f.get("properties", [])
    }
    assert "nothing run" in props["mbom:env:recorded-from"]


def test_without_python_the_summary_names_mbom_s_own_python(tmp_path: Path) -> None:
    bom = tmp_path / "bom.cdx.json"
    result = run_cli("generate", "--model", _model(tmp_path), "-o", bom)
    assert result.returncode == 0, result.stderr
    assert "from the Python running mbom" in result.stdout
    assert "click" in _packages(bom)
    quiet = run_cli("generate", "--model", _model(tmp_path), "--no-environment", "-o", bom)
    assert "environment: not recorded" in quiet.stdout


def test_a_plain_interpreter_is_asked_in_isolation(tmp_path: Path) -> None:
    base = Path(sys.base_prefix) / "bin" / "python3"
    if not base.exists() or (base.parent.parent / "pyvenv.cfg").exists():
        pytest.skip("no base interpreter outside a venv")
    bom = tmp_path / "bom.cdx.json"
    result = run_cli("generate", "--model", _model(tmp_path), "--python", base, "-o", bom)
    assert result.returncode == 0, result.stderr
    assert "run isolated with -I -S" in result.stdout


def test_bad_python_paths_are_input_errors(tmp_path: Path) -> None:
    (tmp_path / "not-a-venv").mkdir()
    script = tmp_path / "fake-python"
    script.write_text("not an interpreter\n")
    for path, words in (
        (tmp_path / "absent", "no such file or directory"),
        (tmp_path / "not-a-venv", "not a virtual environment"),
        (script, "not a Python interpreter"),
    ):
        result = run_cli("generate", "--model", _model(tmp_path), "--python", path)
        assert result.returncode == 2 and words in result.stderr, result.stderr
        assert result.stderr.startswith(f"mbom: error: --python {path}")
