"""Parsed facts reach the BOM (issue 14): GGUF architecture, quantization and context length;
ONNX producer, opset and IR version; TFLite and Keras (zip and HDF5) recognised with their
safety. Each file is real: GGUF and ONNX bytes as the format specifies them, TFLite built with
the flatbuffers library, HDF5 written by h5py, ``.keras`` zips as Keras lays them out."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from mbom.capture.checkpoints import inspect_checkpoint
from mbom.errors import MalformedFileError
from tests.capture.test_checkpoints_gguf import gguf_bytes
from tests.capture.test_checkpoints_onnx import model_bytes
from tests.helpers.cli import run_cli


def _file_properties(folder: Path, name: str) -> dict[str, str]:
    out = folder.parent / f"{folder.name}.cdx.json"
    made = run_cli("generate", "--model", folder, "--no-environment", "-o", out)
    assert made.returncode == 0, made.stderr
    bom = json.loads(out.read_text())
    files = bom["metadata"]["component"].get("components") or [
        c for c in bom.get("components", []) if c.get("type") == "file"
    ]
    component = next(c for c in files if c["name"] == name)
    return {p["name"]: p["value"] for p in component["properties"]}


def _tflite(version: int = 3, description: str = "MLIR Converted.") -> bytes:
    flatbuffers = pytest.importorskip("flatbuffers")
    builder = flatbuffers.Builder(0)
    text = builder.CreateString(description)
    builder.StartVector(4, 0, 4)  # an empty subgraphs vector
    subgraphs = builder.EndVector()
    builder.StartObject(8)  # tflite.Model has 8 fields
    builder.PrependUint32Slot(0, version, 0)
    builder.PrependUOffsetTRelativeSlot(2, subgraphs, 0)
    builder.PrependUOffsetTRelativeSlot(3, text, 0)
    builder.Finish(builder.EndObject(), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_gguf_and_onnx_facts_are_properties_of_the_file(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "tiny.gguf").write_bytes(gguf_bytes())
    (model / "tiny.onnx").write_bytes(model_bytes())
    gguf = _file_properties(model, "tiny.gguf")
    assert gguf["mbom:checkpoint:architecture"] == "llama"
    assert gguf["mbom:checkpoint:quantization"] == "Q4_K_M"  # general.file_type 15
    assert gguf["mbom:checkpoint:file-type"] == "15"
    assert gguf["mbom:checkpoint:context-length"] == "4096"
    onnx = _file_properties(model, "tiny.onnx")
    assert onnx["mbom:checkpoint:producer"] == "unit-test-exporter 1.2.3"
    assert onnx["mbom:checkpoint:ir-version"] == "9"
    assert onnx["mbom:checkpoint:opset"] == "ai.onnx:17,ai.onnx.ml:3"
    shown = run_cli("inspect", tmp_path / "model.cdx.json").stdout
    assert "architecture llama, quantization Q4_K_M" in shown
    assert "producer unit-test-exporter 1.2.3, IR version 9, opset ai.onnx:17,ai.onnx.ml:3" in shown


def test_tflite_is_recognised_as_a_format_that_runs_no_code(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.tflite").write_bytes(_tflite())
    info = inspect_checkpoint(model / "model.tflite")
    assert info is not None and info.format == "tflite" and not info.executes_code
    assert (info.details.schema_version, info.details.subgraphs) == (3, 0)
    props = _file_properties(model, "model.tflite")
    assert props["mbom:checkpoint:format"] == "tflite"
    assert props["mbom:checkpoint:executes-code"] == "false"
    assert props["mbom:checkpoint:safe-to-load"] == "true"
    assert props["mbom:checkpoint:schema-version"] == "3"
    assert props["mbom:checkpoint:description"] == "MLIR Converted."


def _corrupt(data: bytes, where: str) -> bytes:
    raw = bytearray(data)
    table = int.from_bytes(raw[0:4], "little")
    if where == "root":
        raw[0:4] = (len(raw) + 100).to_bytes(4, "little")
    elif where == "vtable":
        raw[table : table + 4] = (-(1 << 30)).to_bytes(4, "little", signed=True)
    else:  # the description's length: far more bytes than the file holds
        at = raw.index(b"MLIR") - 4
        raw[at : at + 4] = (1 << 31).to_bytes(4, "little")
    return bytes(raw)


@pytest.mark.parametrize("where", ["root", "vtable", "description"])
def test_tflite_with_forged_offsets_is_malformed(tmp_path: Path, where: str) -> None:
    path = tmp_path / "bad.tflite"
    path.write_bytes(_corrupt(_tflite(), where))
    with pytest.raises(MalformedFileError, match=r"bad\.tflite: .*TFLite"):
        inspect_checkpoint(path)


def test_text_that_happens_to_hold_tfl3_is_not_a_checkpoint(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"See TFL3 docs for the converter.\n")  # bytes 4 to 8 read "TFL3"
    assert inspect_checkpoint(notes) is None


def test_keras_hdf5_weights_are_safe_a_model_config_is_not(tmp_path: Path) -> None:
    h5py = pytest.importorskip("h5py")
    numpy = pytest.importorskip("numpy")
    weights, full = tmp_path / "model.weights.h5", tmp_path / "model.h5"
    with h5py.File(weights, "w") as f:
        f.create_dataset("dense/kernel", data=numpy.zeros((3, 4), dtype="float32"))
    with h5py.File(full, "w") as f:
        f.attrs["keras_version"] = "2.15.0"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {}})
        f.create_dataset("model_weights/dense/kernel", data=numpy.zeros((3, 4)))
    plain = inspect_checkpoint(weights)
    assert plain is not None and plain.format == "keras-hdf5"
    assert plain.executes_code and plain.safe_to_load  # like a torch.save state dict
    flagged = inspect_checkpoint(full)
    assert flagged is not None and not flagged.safe_to_load
    assert "model_config is not parsed" in flagged.issues[0]


def _keras_zip(path: Path, config: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        archive.writestr("config.json", config)
        archive.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(64))
    return path


def test_keras_zip_config_is_read_for_code(tmp_path: Path) -> None:
    layer = {"module": "keras.layers", "class_name": "Dense", "config": {"units": 4}}
    clean = _keras_zip(tmp_path / "clean.keras", json.dumps({"layers": [layer]}))
    info = inspect_checkpoint(clean)
    assert info is not None and info.format == "keras" and info.safe_to_load
    assert info.details.keras_version == "3.6.0"
    # The attack: a Lambda layer spelled with a JSON escape, and a custom object's module.
    hostile = (
        '{"layers": [{"module": "keras.layers", "class_name": "\\u004cambda", '
        '"config": {"function": {"code": "4wEAAA=="}}}, '
        '{"module": "evil.payload", "class_name": "Boom"}]}'
    )
    flagged = inspect_checkpoint(_keras_zip(tmp_path / "hostile.keras", hostile))
    assert flagged is not None and not flagged.safe_to_load
    assert flagged.dangerous_globals == ("keras.layers.Lambda",)
    assert "evil.payload (custom object)" in flagged.unsafe_globals
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.keras").write_bytes((tmp_path / "hostile.keras").read_bytes())
    props = _file_properties(model, "model.keras")
    assert props["mbom:checkpoint:format"] == "keras"
    assert props["mbom:checkpoint:executes-code"] == "true"
    assert props["mbom:checkpoint:safe-to-load"] == "false"
    assert props["mbom:checkpoint:keras-version"] == "3.6.0"
    broken = _keras_zip(tmp_path / "broken.keras", "{not json")
    with pytest.raises(MalformedFileError, match=r"broken\.keras \(config\.json\): not valid JSON"):
        inspect_checkpoint(broken)
