"""forbidPickle / forbidFlaggedCheckpoints read mbom.capture.checkpoints.safety, and fail
whenever what they check is absent, contradictory or flagged by either half."""

from __future__ import annotations

import pytest

from mbom.capture.checkpoints.safety import CONTENT_SCAN, FORMATS, SCAN_PROPERTY, executes_code
from mbom.verify.rules import RULES, Evidence


def _bom(*files: dict, scanned: bool = True) -> dict:
    model_props = [{"name": SCAN_PROPERTY, "value": CONTENT_SCAN}] if scanned else []
    components = [
        {
            "type": "file",
            "name": name,
            "properties": [{"name": k, "value": v} for k, v in props],
        }
        for spec in files
        for name, props in spec.items()
    ]
    return {
        "metadata": {
            "component": {
                "type": "machine-learning-model",
                "name": "m",
                "properties": model_props,
                "components": components,
            }
        }
    }


def _status(rule: str, bom: dict) -> tuple[str, str | None]:
    check = RULES[rule](True, Evidence(bom=bom))
    return check.status, check.path


SAFE_TORCH = [
    ("mbom:checkpoint:format", "pytorch"),
    ("mbom:checkpoint:executes-code", "true"),
    ("mbom:checkpoint:safe-to-load", "true"),
]
SAFETENSORS = [
    ("mbom:checkpoint:format", "safetensors"),
    ("mbom:checkpoint:executes-code", "false"),
    ("mbom:checkpoint:safe-to-load", "true"),
]

CASES = {
    # name: (file properties, scanned, forbidPickle, forbidFlaggedCheckpoints)
    "safetensors": (SAFETENSORS, True, "pass", "pass"),
    "not a checkpoint, scanned": ([("mbom:role", "config")], True, "pass", "pass"),
    "not a checkpoint, never scanned": ([("mbom:role", "config")], False, "fail", "fail"),
    "clean torch zip": (SAFE_TORCH, True, "fail", "pass"),
    "pickle without safe-to-load": ([("mbom:checkpoint:format", "pickle")], True, "fail", "fail"),
    "safe-to-load false only": (
        [*SAFETENSORS[:2], ("mbom:checkpoint:safe-to-load", "false")], True, "pass", "fail"
    ),
    "safe-to-load true but dangerous globals": (
        [*SAFE_TORCH, ("mbom:checkpoint:dangerous-globals", '["posix.system"]')], True,
        "fail", "fail",
    ),
    "safe-to-load true but unsafe globals": (
        [*SAFE_TORCH, ("mbom:checkpoint:unsafe-globals", '["evil.Thing"]')], True, "fail", "fail"
    ),
    "unreadable globals list": (
        [*SAFETENSORS, ("mbom:checkpoint:unsafe-globals", "not json")], True, "pass", "fail"
    ),
    "numeric numpy": (
        [("mbom:checkpoint:format", "numpy"), ("mbom:checkpoint:executes-code", "false"),
         ("mbom:checkpoint:safe-to-load", "true")], True, "pass", "pass",
    ),
    "numpy without executes-code": (
        [("mbom:checkpoint:format", "numpy"), ("mbom:checkpoint:safe-to-load", "true")], True,
        "fail", "pass",
    ),
    "format no reader emits": (
        [("mbom:checkpoint:format", "pytorch-zip"), ("mbom:checkpoint:safe-to-load", "true")],
        True, "fail", "pass",
    ),
    "contradictory safe-to-load": (
        [*SAFETENSORS, ("mbom:checkpoint:safe-to-load", "false")], True, "fail", "fail"
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_pickle_rules(case: str) -> None:
    props, scanned, pickle_status, flagged_status = CASES[case]
    bom = _bom({"model.safetensors": SAFETENSORS}, {"weights/x.bin": props}, scanned=scanned)
    if not scanned:  # the safetensors file itself is fine in either BOM
        bom = _bom({"weights/x.bin": props}, scanned=False)
    expected_path = None
    assert _status("forbidPickle", bom)[0] == pickle_status
    assert _status("forbidFlaggedCheckpoints", bom)[0] == flagged_status
    for rule, status in (
        ("forbidPickle", pickle_status),
        ("forbidFlaggedCheckpoints", flagged_status),
    ):
        expected_path = "weights/x.bin" if status == "fail" else None
        assert _status(rule, bom)[1] == expected_path


def test_rules_fail_without_files() -> None:
    assert _status("forbidPickle", _bom())[0] == "fail"
    assert _status("forbidFlaggedCheckpoints", _bom())[0] == "fail"


def test_symlinks_are_judged_by_their_target() -> None:
    bom = _bom(
        {"link.bin": [("mbom:symlink", "model.safetensors")]}, {"model.safetensors": SAFETENSORS}
    )
    assert _status("forbidPickle", bom) == ("pass", None)


def test_every_reader_format_is_classified() -> None:
    # The formats the capture layer emits are exactly those safety.py classifies.
    from mbom.capture.checkpoints import content

    emitted = {"safetensors", "gguf", "onnx", "pytorch", "pytorch-legacy", "pickle", "joblib",
               "numpy", "numpy-npz", "zip", "compressed", "tflite", "keras",
               "keras-hdf5"}  # fmt: skip
    assert emitted == set(FORMATS)
    assert content.zip_format(["a/data.pkl"], [], True) in FORMATS
    assert executes_code("pickle") and executes_code("pytorch") and executes_code("unknown")
    assert not executes_code("safetensors") and not executes_code("numpy", pickled=False)
    assert executes_code("numpy") and executes_code("numpy-npz", pickled=True)
    assert executes_code("keras") and executes_code("keras-hdf5") and not executes_code("tflite")


def test_rules_fail_without_a_model_component() -> None:
    assert _status("forbidPickle", {"metadata": {}})[0] == "fail"
    assert _status("forbidFlaggedCheckpoints", {"components": []})[0] == "fail"
