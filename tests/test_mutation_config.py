"""The mutation-testing configuration stays true to the tree (cheap; `make mutation` is not).

modules.toml must name files and tests that exist, and each documented equivalent mutant must
still describe a line of the function it names: otherwise a renamed test path would silently
test nothing, and a stale equivalent would hide nothing but mislead the reader.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_runner():
    spec = importlib.util.spec_from_file_location("mutation_run", ROOT / "tools/mutation/run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


RUNNER = load_runner()
MODULES = RUNNER.load_config()["modules"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_and_its_tests_exist(name: str) -> None:
    module = MODULES[name]
    assert (ROOT / module["path"]).is_file(), module["path"]
    assert module["tests"], f"{name} has no tests"
    for selection in module["tests"]:
        assert (ROOT / selection.split("::")[0]).exists(), selection


def function_lines(source: str, qualified: str) -> list[str]:
    span = RUNNER.function_span(source, qualified)
    assert span is not None, f"no function {qualified}"
    first, end = span
    return [line.strip() for line in source.splitlines()[first - 1 : end]]


def test_every_equivalent_names_a_current_line_of_its_function() -> None:
    paths = {module["path"] for module in MODULES.values()}
    for (path, function, removed, _added), reason in RUNNER.load_equivalents().items():
        assert path in paths, f"{path} is not a module in modules.toml"
        assert reason.strip()
        lines = function_lines((ROOT / path).read_text(encoding="utf-8"), function)
        for part in removed.split(" / "):
            assert part in lines, f"{path} {function}: no line {part!r} any more"
