"""What tools no one here wrote see in mbom's BOMs: lib4sbom / sbom2doc, cyclonedx-python-lib.

Issue 14: they read top-level ``components`` (and what is nested there), not what sits under
``metadata.component`` or inside ``formulation``; so the current layout puts the model's files
and the environment's packages at the top level. Old-layout BOMs must still verify.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mbom.bom.environment_components import environment_components
from mbom.bom.purls import huggingface_purl, oci_purl, pypi_purl
from mbom.capture.environment import ContainerImage, Package
from tests.export.conftest import load
from tests.generate.conftest import run_mbom
from tests.helpers.old_layout import to_old_layout


def _model_files(bom: dict) -> set[str]:
    return {c["name"] for c in bom["components"] if c["bom-ref"].startswith("model-file:")}


def _libraries(bom: dict) -> list[dict]:
    return [c for c in bom["components"] if c["type"] == "library"]


def _lib4sbom_packages(path: Path) -> list[dict]:
    parser_module = pytest.importorskip("lib4sbom.parser", reason="pip install lib4sbom")
    parser = parser_module.SBOMParser()
    parser.parse_file(str(path))
    return parser.get_packages()


def test_lib4sbom_sees_every_model_file_and_package(demo_bom_with_environment: Path) -> None:
    bom = load(demo_bom_with_environment)
    packages = _lib4sbom_packages(demo_bom_with_environment)
    seen = {(p["type"], p["name"]) for p in packages}
    assert {("FILE", name) for name in _model_files(bom)} <= seen
    libraries = _libraries(bom)
    assert len(libraries) > 10
    assert {("LIBRARY", c["name"]) for c in libraries} <= seen
    dataset = next(c for c in bom["components"] if c["bom-ref"].startswith("dataset:"))
    assert {("FILE", c["name"]) for c in dataset["components"]} <= seen


def test_lib4sbom_missed_them_in_the_old_layout(demo_bom_with_environment: Path, tmp_path):
    """The issue's finding, replayed: before, the model's files and packages were invisible."""
    bom = load(demo_bom_with_environment)
    old = tmp_path / "old.cdx.json"
    old.write_text(json.dumps(to_old_layout(bom)))
    seen = {(p["type"], p["name"]) for p in _lib4sbom_packages(old)}
    assert not {("FILE", "model.safetensors"), ("FILE", "config.json")} & seen
    assert not any(kind == "LIBRARY" for kind, _ in seen)


def test_sbom2doc_counts_the_packages_lib4sbom_reads(demo_bom_with_environment: Path) -> None:
    pytest.importorskip("sbom2doc", reason="pip install sbom2doc")
    command = "import sys; from sbom2doc.cli import main; sys.exit(main())"
    done = subprocess.run(
        [sys.executable, "-c", command, "-i", str(demo_bom_with_environment)],
        capture_output=True,
        text=True,
        check=True,
    )
    count = int(re.search(r"Packages\D+(\d+)", done.stdout).group(1))
    bom = load(demo_bom_with_environment)
    # lib4sbom keys packages by (name, version): same-named files of model and dataset
    # (README.md) collapse into one; every other component is counted.
    assert count == len(_lib4sbom_packages(demo_bom_with_environment))
    assert count >= len(_model_files(bom)) + len(_libraries(bom))


def test_cyclonedx_python_lib_loads_everything(demo_bom_with_environment: Path) -> None:
    from cyclonedx.model.bom import Bom

    bom = load(demo_bom_with_environment)
    loaded = Bom.from_json(bom)  # type: ignore[attr-defined]
    refs = {str(c.bom_ref.value) for c in loaded.components}
    assert {c["bom-ref"] for c in bom["components"]} == refs
    assert str(loaded.metadata.component.bom_ref.value) == "model"
    assert {str(d.ref.value) for d in loaded.dependencies} >= refs


def test_dependencies_have_depends_on_and_refs_resolve(demo_bom_with_environment: Path) -> None:
    bom = load(demo_bom_with_environment)
    declared = {c["bom-ref"] for c in bom["components"]} | {"model"}
    for entry in bom["dependencies"]:
        assert isinstance(entry["dependsOn"], list)
        assert entry["ref"] in declared and set(entry["dependsOn"]) <= declared
    used = bom["formulation"][0]["workflows"][0]["resourceReferences"]
    assert {r["ref"] for r in used} == {c["bom-ref"] for c in _libraries(bom)}


def test_old_layout_bom_still_verifies_and_diffs_clean(demo_bom: Path, tmp_path: Path) -> None:
    """A BOM signed before the layout changed verifies against its model, and `diff` finds
    nothing between it and the same BOM in the current layout."""
    old = tmp_path / "old.cdx.json"
    old.write_text(json.dumps(to_old_layout(load(demo_bom)), indent=2))
    env = {"MBOM_KEY_PASSPHRASE": "test-passphrase"}
    assert run_mbom("keygen", str(tmp_path / "k"), env=env).returncode == 0
    signed = run_mbom("sign", str(old), "--key", str(tmp_path / "k.pem"), env=env)
    assert signed.returncode == 0, signed.stderr
    bundle = f"{old}.sigstore.json"
    model = demo_bom.parent / "demo" / "model"
    done = run_mbom("verify", str(model), "--bundle", bundle, "--key", str(tmp_path / "k.pub"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 model files match" in done.stdout
    diff = run_mbom("diff", str(old), str(demo_bom), "--format", "json")
    changes = json.loads(diff.stdout)["changes"]
    assert not [c for c in changes if c["category"] in ("file", "package", "component")], changes


def test_purls_equal_packageurl_python() -> None:
    from packageurl import PackageURL

    cases = [("boolean.py", "5.0"), ("torch", "2.13.0+cpu"), ("Foo_Bar", "1.0rc1"), ("a b", "1")]
    for name, version in cases:
        assert pypi_purl(name, version) == PackageURL("pypi", None, name, version).to_string()
    assert pypi_purl("boolean.py", "5.0") == "pkg:pypi/boolean.py@5.0"
    assert pypi_purl("torch", "2.13.0+cpu") == "pkg:pypi/torch@2.13.0%2Bcpu"
    assert (
        huggingface_purl("org/name", "abc")
        == PackageURL("huggingface", "org", "name", "abc").to_string()
    )
    digest = "sha256:" + "a" * 64
    assert (
        oci_purl("ghcr.io/org/train:1.2", digest)
        == PackageURL(
            "oci", None, "train", digest, {"repository_url": "ghcr.io/org/train", "tag": "1.2"}
        ).to_string()
    )


def test_environment_components_keep_the_distribution_name() -> None:
    """``boolean.py`` was written ``pkg:pypi/boolean-py@5.0`` by hand before: wrong."""
    from types import SimpleNamespace

    record = SimpleNamespace(
        packages=(Package("boolean-py", "5.0", "boolean.py"), Package("torch", "2.13.0+cpu")),
        container_image=ContainerImage("docker.io/pytorch/pytorch", "sha256:" + "b" * 64),
    )
    components = environment_components(record)
    assert [str(c.purl) for c in components] == [
        "pkg:pypi/boolean.py@5.0",
        "pkg:pypi/torch@2.13.0%2Bcpu",
        "pkg:oci/pytorch@sha256:" + "b" * 64 + "?repository_url=docker.io/pytorch/pytorch",
    ]
    assert [c.name for c in components][:2] == ["boolean.py", "torch"]


def test_a_file_listed_in_both_layouts_fails_verification(demo_bom: Path, tmp_path: Path) -> None:
    """Attack: a signed BOM names a model file twice (nested with one digest, top-level with
    another) hoping two readers take different ones. mbom refuses the BOM: exit 1, reported."""
    bom = load(demo_bom)
    (weights,) = [c for c in bom["components"] if c["bom-ref"] == "model-file:model.safetensors"]
    twin = json.loads(json.dumps(weights))
    twin["bom-ref"] = "nested:model.safetensors"
    twin["hashes"] = [{"alg": "SHA-256", "content": "0" * 64}]
    bom["metadata"]["component"]["components"] = [twin]
    mixed = tmp_path / "mixed.cdx.json"
    mixed.write_text(json.dumps(bom))
    from mbom.bom.subjects import model_files
    from mbom.errors import MalformedFileError

    with pytest.raises(MalformedFileError, match="listed twice"):
        model_files(bom)
    env = {"MBOM_KEY_PASSPHRASE": "test-passphrase"}
    assert run_mbom("keygen", str(tmp_path / "k"), env=env).returncode == 0
    from mbom.attest import load_signing_key, write_bundle
    from mbom.attest.signing import sign_statement
    from mbom.attest.statement import BOM_PREDICATE_TYPE, Statement, Subject

    bundle = tmp_path / "mixed.sigstore.json"
    key = load_signing_key(tmp_path / "k.pem", passphrase="test-passphrase")
    digest = weights["hashes"][0]["content"]
    statement = Statement(
        subjects=(Subject("model.safetensors", {"sha256": digest}),),
        predicate_type=BOM_PREDICATE_TYPE,
        predicate=bom,
    )
    write_bundle(sign_statement(statement, keys=[key]), bundle)
    model = demo_bom.parent / "demo" / "model"
    done = run_mbom(
        "verify", str(model), "--bundle", str(bundle), "--key", str(tmp_path / "k.pub"),
        "--format", "json",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [c for c in json.loads(done.stdout)["checks"] if c["status"] == "fail"]
    assert any("listed twice" in c["message"] for c in failed), failed


def test_remote_dataset_gets_a_generic_purl_without_secrets() -> None:
    from packageurl import PackageURL

    from mbom.bom.dataset_components import dataset_purl
    from mbom.capture.datasets import DatasetRecord

    remote = DatasetRecord(
        "corpus v2", "https://user:pw@data.example/c/v2/?X-Amz-Signature=s", None
    )
    expected = PackageURL(
        "generic", None, "corpus v2", None, {"download_url": "https://data.example/c/v2/"}
    ).to_string()
    assert str(dataset_purl(remote)) == expected
    assert "pw" not in expected and "Signature" not in expected
    assert dataset_purl(DatasetRecord("local", "data/train", None)) is None
