"""The strict loader refuses, for every format, what a permissive parser would let through.

Each case is an input an attacker can hand mbom (a policy, a BOM, a bundle, a config): a key
given twice, nesting 100,000 deep, a "billion laughs", a 5,000-digit integer, a lone surrogate,
NaN. Each must be one MalformedFileError/JsonSyntaxError naming the problem (and the file).
"""

from __future__ import annotations

import json

import pytest

from mbom.errors import MalformedFileError
from mbom.load import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    JsonSyntaxError,
    load_json,
    load_toml,
    load_yaml,
    nesting_depth_exceeds,
    parse_json,
)

BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{b}: &{b} [" + ",".join([f"*{a}"] * 9) + "]"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)


def nested(depth: int, opener: str = "[", closer: str = "]", inner: str = "") -> str:
    return opener * depth + inner + closer * depth


# --- JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"mode": "enforce", "x": 1, "mode": "warn"}', "duplicate key 'mode'"),
        ('{"a": {"b": 1, "b": 1}}', "duplicate key 'b'"),
        ('[{"k": 1}, {"k": 1, "k": 2}]', "duplicate key 'k'"),
        (nested(100_000), f"nested deeper than {MAX_DEPTH} levels"),
        (nested(100_000, '{"a":', "}", "1"), f"nested deeper than {MAX_DEPTH} levels"),
        ("[" * 100_000, f"nested deeper than {MAX_DEPTH} levels"),
        (nested(MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels"),
        ("1" * 5000, "an integer has more than 4300 digits"),
        ('{"n": -' + "9" * 5000 + "}", "an integer has more than 4300 digits"),
        ("[NaN]", "NaN is not allowed in JSON"),
        ('{"x": Infinity}', "Infinity is not allowed in JSON"),
        ("[-Infinity]", "-Infinity is not allowed in JSON"),
        ("[1e999]", "number 1e999 is out of range"),
        ('["\\ud800"]', "holds a lone UTF-16 surrogate"),
        ('{"\\udc00": 1}', "holds a lone UTF-16 surrogate"),
        ('["a\\ud800b", "\\ud83d\\ude00"]', "holds a lone UTF-16 surrogate"),
        ("", "the file is empty"),
        ('{"a": 1,}', "trailing comma at line 1 column 8"),
    ],
)
def test_json_refusals(text: str, reason: str) -> None:
    with pytest.raises(JsonSyntaxError) as caught:
        parse_json(text)
    assert reason in caught.value.reason
    with pytest.raises(JsonSyntaxError):  # bytes take the same path
        parse_json(text.encode("utf-8"))
    with pytest.raises(MalformedFileError) as named:
        load_json(text, "in.json")
    assert str(named.value).startswith("in.json: not valid JSON: ") and reason.split(" at ")[0] in (
        str(named.value)
    )
    assert "\n" not in str(named.value)


@pytest.mark.parametrize(
    "text",
    [
        nested(MAX_DEPTH),
        nested(MAX_DEPTH // 2, '{"a": [', "]}", "1"),
        '["\\ud83d\\ude00", "\\\\ud800"]',  # a pair, and an escaped backslash before "ud800"
        '["[[[[' + "[" * 500 + '", "\\"' + "{" * 500 + '"]',  # brackets inside strings
        '{"a": "\\\\", "b": [' + "[" * 10 + "]" * 10 + "]}",
        '{"big": ' + "9" * 4300 + "}",
    ],
)
def test_json_accepted_at_the_bounds(text: str) -> None:
    assert parse_json(text) == json.loads(text)


def test_raw_surrogate_in_text_is_refused() -> None:
    with pytest.raises(JsonSyntaxError, match="lone UTF-16 surrogate at character 2"):
        parse_json('["\udcff"]')  # what a non-UTF-8 byte in argv decodes to


def test_nan_is_allowed_only_when_asked() -> None:
    assert parse_json("[NaN, 1e999]", allow_nan=True)[1] == float("inf")
    with pytest.raises(JsonSyntaxError):
        parse_json("[NaN]")


def test_depth_prescan_agrees_with_real_depth() -> None:
    for depth in (1, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 5000):
        for text in (nested(depth), nested(depth, '{"k":', "}", '"v"'), nested(depth, "[{", "}]")):
            levels = depth * (2 if text.startswith("[{") else 1)
            assert nesting_depth_exceeds(text.encode()) == (levels > MAX_DEPTH), (depth, text[:9])


# --- YAML ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("mode: enforce\nrules: {}\nmode: warn\n", "at line 3 column 1: duplicate key 'mode'"),
        ("a:\n  b: 1\n  c: 2\n  b: 3\n", "at line 4 column 3: duplicate key 'b'"),
        ('{"mode": "enforce", "mode": "warn"}', "duplicate key 'mode'"),  # JSON is YAML
        ("yes: 1\ntrue: 2\n", "duplicate key 'true'"),  # both are the boolean true
        ("1: a\n0x1: b\n", "duplicate key '0x1'"),
        ("<<: {a: 1}\n<<: {b: 2}\n", "duplicate key '<<'"),
        (BILLION_LAUGHS, f"aliases expand to more than {MAX_ALIAS_NODES} values"),
        ("a: &x [*x]\n", "alias *x refers to a node that contains it"),
        ("a: &x {b: *x}\n", "alias *x refers to a node that contains it"),
        (nested(100_000), f"nested deeper than {MAX_DEPTH} levels"),
        ("- " * 5000 + "x\n", f"nested deeper than {MAX_DEPTH} levels"),
        ("a: &a " + nested(100) + "\nb: " + nested(30, inner="*a") + "\n", "once aliases expand"),
        ("n: " + "1" * 5000 + "\n", "an integer has more than 4300 digits"),
        ('s: "\\ud800"\n', "a string holds a lone UTF-16 surrogate"),
        ("d: 2024-13-45\n", "month must be in 1..12"),
        ("a: !!python/object/apply:os.system ['true']\n", "could not determine a constructor"),
        ("a: !!bool maybe\n", "a value does not fit its tag"),
        ("? [a]\n!!float : 1\n", "a value does not fit its tag"),
        ("x: !!timestamp 2001-12#-14t21:59:4\n", "a value does not fit its tag"),
    ],
)
def test_yaml_refusals(text: str, reason: str) -> None:
    with pytest.raises(MalformedFileError) as caught:
        load_yaml(text, "policy.yaml")
    message = str(caught.value)
    assert message.startswith("policy.yaml: invalid YAML") and reason in message, message
    assert "\n" not in message


def test_yaml_merge_keys_still_merge_and_override() -> None:
    text = "base: &b {k: 1, j: 2}\nmodel:\n  <<: *b\n  k: 3\n"
    assert load_yaml(text, "c.yaml") == {"base": {"k": 1, "j": 2}, "model": {"k": 3, "j": 2}}


def test_yaml_aliases_within_the_budget_are_fine() -> None:
    text = "defaults: &d {lr: 0.1, epochs: 3}\n" + "".join(f"run{i}: *d\n" for i in range(100))
    assert load_yaml(text, "c.yaml")["run99"] == {"lr": 0.1, "epochs": 3}


def test_yaml_line_offset_applies_to_duplicates() -> None:
    with pytest.raises(MalformedFileError, match=r"README\.md: invalid YAML at line 4 column 1"):
        load_yaml("license: mit\nlicense: apache-2.0\n", "README.md", line_offset=2)


# --- TOML ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a = 1\na = 2\n", "Cannot overwrite a value"),
        ("[t]\nx = 1\n[t]\ny = 2\n", "Cannot declare"),
        ("a = " + "[" * 100_000 + "\n", f"nested deeper than {MAX_DEPTH} levels"),
        ("a" + ".a" * (MAX_DEPTH + 1) + " = 1\n", f"nested deeper than {MAX_DEPTH} levels"),
        ("n = " + "1" * 5000 + "\n", "an integer has more than 4300 digits"),
        ('s = "\\ud800"\n', "not a Unicode scalar value"),
    ],
)
def test_toml_refusals(text: str, reason: str) -> None:
    with pytest.raises(MalformedFileError) as caught:
        load_toml(text, "c.toml")
    message = str(caught.value)
    assert message.startswith("c.toml: invalid TOML") and reason in message, message


def test_toml_at_the_depth_bound() -> None:
    text = "a" + ".a" * (MAX_DEPTH - 1) + " = 1\n"
    value = load_toml(text, "c.toml")
    for _ in range(MAX_DEPTH):
        value = value["a"]
    assert value == 1
