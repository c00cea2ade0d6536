"""generate captures the environment, datasets, configs and parents while the model hashes.

The overlap must not change a byte of the BOM, must really happen while workers hash, and
must keep the errors in the order the serial steps gave them (the model's first).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import mbom.generate
from mbom.errors import InputError, ObjectChangedError
from mbom.generate import GenerateRequest, generate
from mbom.hashing import _engine, _mapped
from tests.hashing.test_mapped import _cut_while_hashing

MIB = 1024 * 1024


@pytest.fixture
def large_model(model_dir: Path) -> Path:
    """The tiny model plus two shards the workers hash (over SMALL_FILE)."""
    for index in range(2):
        (model_dir / f"extra-{index}.bin").write_bytes(bytes([index]) * (2 * MIB + index))
    return model_dir


def _request(tmp_path: Path, model: Path, dataset: Path) -> GenerateRequest:
    (tmp_path / "train.yaml").write_text("lr: 0.1\n")
    return GenerateRequest(
        model=str(model),
        datasets=(f"train={dataset}",),
        configs=(str(tmp_path / "train.yaml"),),
        name="tiny",
        version="1.0",
        git_dir=str(tmp_path),
    )


def _timeline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What happened, in order: the workers' collection and the digest-free capture."""
    events: list[str] = []
    collect, context = _mapped._collect, mbom.generate.capture_context

    def collecting(*args, **kwargs):  # type: ignore[no-untyped-def]
        events.append("collect")
        return collect(*args, **kwargs)

    def capturing(*args, **kwargs):  # type: ignore[no-untyped-def]
        events.append("context")
        return context(*args, **kwargs)

    monkeypatch.setattr(_mapped, "_collect", collecting)
    monkeypatch.setattr("mbom.generate.capture_context", capturing)
    return events


def test_the_bom_is_the_same_bytes_overlapped_or_not(
    tmp_path: Path, large_model: Path, dataset_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    request = _request(tmp_path, large_model, dataset_dir)
    events = _timeline(monkeypatch)
    monkeypatch.setattr(_engine, "can_fork", lambda: False)  # threads: context after
    serial = generate(request, cache=False)
    assert events == ["context"]
    events.clear()
    monkeypatch.setattr(_engine, "can_fork", lambda: True)  # workers: context meanwhile
    overlapped = generate(request, cache=False)
    assert events == ["context", "collect"]  # captured before the workers were waited for
    assert overlapped.text == serial.text
    assert overlapped.manifests == serial.manifests


def test_the_models_error_comes_first(
    tmp_path: Path, large_model: Path, dataset_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing config (found meanwhile) waits; the model file cut while hashed wins."""
    monkeypatch.setattr(_engine, "can_fork", lambda: True)
    request = _request(tmp_path, large_model, dataset_dir)
    request = GenerateRequest(**{**_fields(request), "configs": (str(tmp_path / "gone.yaml"),)})
    with pytest.raises(InputError, match=r"gone\.yaml: no such file"):
        generate(request, cache=False)  # the model alone is fine: the config's error
    _cut_while_hashing(monkeypatch, large_model / "extra-1.bin")
    with pytest.raises(ObjectChangedError, match=r"extra-1\.bin: changed while being hashed"):
        generate(request, cache=False)


def _fields(request: GenerateRequest) -> dict:
    return {name: getattr(request, name) for name in request.__dataclass_fields__}


_WHAT_LOADED = """
import sys
from mbom.cli._entry import main
sys.argv = ["mbom", "generate", "--model", sys.argv[1], "--no-environment", "--no-cache",
            "-o", sys.argv[2]]
try:
    main()
except SystemExit as done:
    assert done.code in (0, None), done.code
print("LOADED:", *(name for name in ("yaml", "cyclonedx.spdx") if name in sys.modules))
"""


def _loaded_by_generate(model: Path, out: Path) -> set[str]:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _WHAT_LOADED, str(model), str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,  # a safety net against a hang, not a timing assertion
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.rpartition("LOADED:")[2].split())


def test_yaml_and_the_spdx_list_load_only_for_a_card(tmp_path: Path) -> None:
    import json

    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(b"w" * 100)
    (model / "config.json").write_text('{"model_type": "bert"}')
    assert _loaded_by_generate(model, tmp_path / "plain.cdx.json") == set()
    (model / "README.md").write_text("---\nlicense: apache-2.0\n---\n# A card\n")
    assert _loaded_by_generate(model, tmp_path / "card.cdx.json") == {"yaml", "cyclonedx.spdx"}
    bom = json.loads((tmp_path / "card.cdx.json").read_text())
    licences = bom["metadata"]["component"]["licenses"]
    assert licences == [{"license": {"id": "Apache-2.0"}}]
