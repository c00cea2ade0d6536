from __future__ import annotations

import math
from pathlib import Path

import pytest

from mbom.capture.configs import parse_config
from mbom.errors import InputError, MalformedFileError

NESTED = {
    "optimizer.lr": 0.001,
    "optimizer.betas.0": 0.9,
    "optimizer.betas.1": 0.999,
    "optimizer.name": "adamw",
    "model.layers": 6,
    "model.dropout": None,
    "model.tied": True,
    "seed": 42,
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_flattens_nested_mapping(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "train.yaml",
        "seed: 42\n"
        "optimizer:\n  name: adamw\n  lr: 0.001\n  betas: [0.9, 0.999]\n"
        "model:\n  layers: 6\n  dropout: null\n  tied: true\n",
    )
    record = parse_config(path)
    assert record.format == "yaml"
    assert record.path == str(path)
    assert record.data["optimizer"]["betas"] == [0.9, 0.999]
    assert record.hyperparameters == NESTED
    assert list(record.hyperparameters) == sorted(NESTED)


def test_json_and_toml_give_the_same_view(tmp_path: Path) -> None:
    json_path = write(
        tmp_path,
        "train.json",
        '{"seed": 42, "optimizer": {"name": "adamw", "lr": 0.001, "betas": [0.9, 0.999]},'
        ' "model": {"layers": 6, "dropout": null, "tied": true}}',
    )
    toml_path = write(
        tmp_path,
        "train.TOML",
        'seed = 42\n[optimizer]\nname = "adamw"\nlr = 0.001\nbetas = [0.9, 0.999]\n'
        "[model]\nlayers = 6\ntied = true\n",
    )
    assert parse_config(json_path).format == "json"
    assert parse_config(json_path).hyperparameters == NESTED
    toml = parse_config(toml_path)
    assert toml.format == "toml"
    assert toml.hyperparameters == {k: v for k, v in NESTED.items() if k != "model.dropout"}


def test_lists_of_mappings_empty_containers_and_non_json_scalars(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yml",
        "layers:\n  - {size: 128}\n  - {size: 64}\n"
        "empty_list: []\nempty_map: {}\nwhen: 2024-05-01\nweird: .nan\n1: one\n",
    )
    flat = parse_config(path).hyperparameters
    assert flat == {
        "1": "one",
        "empty_list": "[]",
        "empty_map": "{}",
        "layers.0.size": 128,
        "layers.1.size": 64,
        "weird": "NaN",
        "when": "2024-05-01",
    }
    assert not any(isinstance(v, float) and math.isnan(v) for v in flat.values())


def test_non_mapping_top_level_is_recorded_without_hyperparameters(tmp_path: Path) -> None:
    record = parse_config(write(tmp_path, "list.yaml", "- a\n- b\n"))
    assert record.data == ["a", "b"]
    assert record.hyperparameters is None
    assert parse_config(write(tmp_path, "empty.yaml", "")).hyperparameters is None


def test_colliding_keys_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", '{"a.b": 1, "a": {"b": 2}}')
    with pytest.raises(InputError, match=r"c\.json: hyperparameter 'a\.b' is defined twice"):
        parse_config(path)


@pytest.mark.parametrize(
    ("name", "text", "pattern"),
    [
        ("bad.yaml", "a: 1\nb: [1, 2\nc: 3\n", r"bad\.yaml: invalid YAML at line 3 column 2: "),
        ("bad.yml", "a: 1\n  b: 2\n", r"bad\.yml: invalid YAML at line 2 column \d+: "),
        (
            "bad.json",
            '{\n  "a": 1,\n  "b": \n}\n',
            r"bad\.json: not valid JSON: .* at line 4 column 1",
        ),
        ("bad.toml", "a = 1\nb = \n", r"bad\.toml: invalid TOML at line 2 column 5: Invalid value"),
    ],
)
def test_invalid_files_name_file_and_line(
    tmp_path: Path, name: str, text: str, pattern: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(MalformedFileError, match=pattern) as caught:
        parse_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    assert caught.value.exit_code == 2


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 9):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    expected = r"bomb\.yaml: invalid YAML at line 5 column \d+: aliases expand to more than"
    with pytest.raises(MalformedFileError, match=expected):
        parse_config(path)


def test_recursive_yaml_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "loop.yaml", "a: &x [*x]\n")
    expected = r"loop\.yaml: invalid YAML at line 1 column \d+: nested deeper than 128 levels"
    with pytest.raises(MalformedFileError, match=expected):
        parse_config(path)


def test_unsafe_yaml_tags_are_not_executed(tmp_path: Path) -> None:
    path = write(tmp_path, "evil.yaml", "a: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(MalformedFileError, match=r"evil\.yaml: invalid YAML at line 1"):
        parse_config(path)


def test_unknown_extension_missing_file_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unsupported config format '\.ini'"):
        parse_config(write(tmp_path, "c.ini", "[a]\n"))
    with pytest.raises(InputError, match="no such file"):
        parse_config(tmp_path / "missing.yaml")
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"a": "\xe9"}')
    with pytest.raises(MalformedFileError, match=r"latin\.json: not UTF-8"):
        parse_config(latin)
