"""Dataset inclusion proofs: `mbom prove` / `mbom check-proof` and the library behind them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mbom.errors import VerificationError
from mbom.forensics.proofs import InclusionProof, check_proof, load_proof, make_proof
from tests.forensics.conftest import entry, run_mbom, write_manifest_bom

SYNTHETIC = 100_000
REAL = {"a.txt": b"alpha\n", "sub/b.bin": bytes(range(256)) * 4, "z.csv": b"x,y\n1,2\n"}


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100,003-file dataset: three real files plus 100,000 synthetic manifest entries."""
    folder = tmp_path_factory.mktemp("big")
    data = folder / "data"
    for name, content in REAL.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(content)
    entries = [entry(name, content) for name, content in REAL.items()]
    entries += [entry(f"shards/{i:06d}.bin", str(i).encode()) for i in range(SYNTHETIC)]
    write_manifest_bom(folder, entries)
    return folder


def test_proof_for_one_file_of_100k_verifies_and_is_small(big: Path) -> None:
    result = run_mbom("prove", "data/sub/b.bin", "--bom", "bom.cdx.json", "-o", "p.json", cwd=big)
    assert result.returncode == 0, result.stderr
    raw = (big / "p.json").read_bytes()
    assert len(raw) < 4096
    proof = json.loads(raw)
    assert proof["treeSize"] == SYNTHETIC + len(REAL)
    assert len(proof["auditPath"]) <= math.ceil(math.log2(proof["treeSize"]))
    assert proof["leaf"]["path"] == "sub/b.bin"
    jsonschema = pytest.importorskip("jsonschema")
    schema = Path(__file__).resolve().parents[2] / "schemas" / "inclusion-proof.schema.json"
    jsonschema.validate(proof, json.loads(schema.read_text()))
    checked = run_mbom("check-proof", "p.json", "--bom", "bom.cdx.json", cwd=big)
    assert checked.returncode == 0, checked.stderr
    assert "proof holds" in checked.stdout
    with_file = run_mbom(
        "check-proof", "p.json", "--bom", "bom.cdx.json", "--file", "data/sub/b.bin", cwd=big
    )
    assert with_file.returncode == 0, with_file.stderr


def test_changed_byte_fails(big: Path, tmp_path: Path) -> None:
    proof = make_proof(big / "data" / "a.txt", big / "bom.cdx.json")
    bom = json.loads((big / "bom.cdx.json").read_text())
    check_proof(proof, bom)
    changed = tmp_path / "a.txt"
    changed.write_bytes(b"alphA\n")
    with pytest.raises(VerificationError, match="differs from the proof"):
        check_proof(proof, bom, file=changed)
    # The leaf rewritten to the changed content no longer leads to the root.
    forged = proof.to_json()
    forged["leaf"]["digest"] = __import__("hashlib").sha256(b"alphA\n").hexdigest()
    with pytest.raises(VerificationError, match="does not hold"):
        check_proof(InclusionProof.from_json(forged), bom)
    # And no proof can be made for the changed file in place.
    original = (big / "data" / "a.txt").read_bytes()
    try:
        (big / "data" / "a.txt").write_bytes(b"alphA\n")
        with pytest.raises(VerificationError, match="content differs"):
            make_proof(big / "data" / "a.txt", big / "bom.cdx.json")
    finally:
        (big / "data" / "a.txt").write_bytes(original)


def test_file_not_in_dataset_fails(big: Path) -> None:
    extra = big / "data" / "extra.txt"
    extra.write_bytes(b"not listed\n")
    try:
        result = run_mbom(
            "prove", "data/extra.txt", "--bom", "bom.cdx.json", "-o", "x.json", cwd=big
        )
        assert result.returncode == 1
        assert "not a file of dataset" in result.stderr
        assert not (big / "x.json").exists()
    finally:
        extra.unlink()
    # A proof re-labelled for a path the dataset does not hold fails too.
    proof = make_proof(big / "data" / "z.csv", big / "bom.cdx.json").to_json()
    proof["leaf"]["path"] = "extra.txt"
    (big / "forged.json").write_text(json.dumps(proof))
    checked = run_mbom("check-proof", "forged.json", "--bom", "bom.cdx.json", cwd=big)
    assert checked.returncode == 1
    assert "does not hold" in checked.stderr


@pytest.mark.parametrize(
    ("field", "value"),
    [("index", 1), ("treeSize", 99), ("auditPath", []), ("dataset", "other")],
)
def test_tampered_proof_fields_fail(big: Path, field: str, value: object) -> None:
    proof = make_proof(big / "data" / "z.csv", big / "bom.cdx.json").to_json()
    proof[field] = value
    bom = json.loads((big / "bom.cdx.json").read_text())
    with pytest.raises(VerificationError):
        check_proof(InclusionProof.from_json(proof), bom)


def test_proof_bound_to_its_bom(big: Path, tmp_path: Path) -> None:
    proof = make_proof(big / "data" / "z.csv", big / "bom.cdx.json")
    bom = json.loads((big / "bom.cdx.json").read_text())
    bom["serialNumber"] = "urn:uuid:00000000-0000-5000-8000-000000000002"
    with pytest.raises(VerificationError, match="another BOM"):
        check_proof(proof, bom)


def test_tampered_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "one.txt").write_bytes(b"1")
    write_manifest_bom(tmp_path, [entry("one.txt", b"1"), entry("two.txt", b"2")])
    manifest = tmp_path / "bom.corpus.cdx.manifest.jsonl"
    manifest.write_text(manifest.read_text().replace('"size":1', '"size":2', 1))
    result = run_mbom("prove", "data/one.txt", "--bom", "bom.cdx.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "manifest does not match" in result.stderr


def test_nested_components_from_generate(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"\x00" * 64)
    data = tmp_path / "data"
    (data / "nested").mkdir(parents=True)
    for index in range(5):
        (data / "nested" / f"part-{index}.csv").write_text(f"x,y\n{index},{index * 2}\n")
    made = run_mbom(
        "generate",
        "--model",
        "model",
        "--dataset",
        "train=data",
        "--no-environment",
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    result = run_mbom(
        "prove",
        "data/nested/part-3.csv",
        "--bom",
        "bom.cdx.json",
        "--dataset",
        "train",
        "--format",
        "json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["treeSize"] == 5
    proof = load_proof(tmp_path / "proof.json")
    assert proof.leaf.path == "nested/part-3.csv"
    checked = run_mbom(
        "check-proof", "proof.json", "--bom", "bom.cdx.json", "--format", "json", cwd=tmp_path
    )
    assert checked.returncode == 0
    assert json.loads(checked.stdout)["verified"] is True


def test_input_errors_exit_2(big: Path) -> None:
    missing = run_mbom("prove", "data/nope.txt", "--bom", "bom.cdx.json", "-o", "n.json", cwd=big)
    assert missing.returncode == 2
    assert missing.stderr.startswith("mbom: error:") and "Traceback" not in missing.stderr
    assert not (big / "n.json").exists()
    (big / "bad.json").write_text('{"proofType": "something else"}')
    bad = run_mbom("check-proof", "bad.json", "--bom", "bom.cdx.json", cwd=big)
    assert bad.returncode == 2
    assert "not a valid inclusion proof" in bad.stderr


def test_a_listed_name_prints_as_one_line(tmp_path: Path) -> None:
    """The file and dataset names in a proof are the BOM producer's: a newline in either
    must not add a forged line to what ``prove`` and ``check-proof`` print."""
    name = "one\nproof holds: forged.txt"
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / name).write_bytes(b"1")
    write_manifest_bom(tmp_path, [entry(name, b"1"), entry("two.txt", b"2")], name="c\x1b[2K")
    made = run_mbom("prove", f"data/{name}", "--bom", "bom.cdx.json", "-o", "p.json", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    checked = run_mbom("check-proof", "p.json", "--bom", "bom.cdx.json", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    for result in (made, checked):
        assert result.stdout.count("\n") == 1 and "\x1b" not in result.stdout
        assert "one\\x0aproof holds: forged.txt" in result.stdout
