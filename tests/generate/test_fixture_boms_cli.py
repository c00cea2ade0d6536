"""`mbom validate` and `mbom inspect` on every third-party BOM in ../shared/fixtures/cyclonedx."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bom.test_validate_fixtures import ACCEPT, FIXTURES, REJECT, VERDICTS, WARN
from tests.generate.conftest import run_mbom

NOT_JSON = {name for name, (_, codes) in VERDICTS.items() if "not-json" in codes}


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_validate_cli_verdict(name: str) -> None:
    verdict, reasons = VERDICTS[name]
    result = run_mbom("validate", str(FIXTURES / name))
    assert "Traceback" not in result.stderr
    if name in NOT_JSON:
        assert result.returncode == 2
        assert "trailing comma" in result.stderr and len(result.stderr.splitlines()) == 1
    elif verdict == REJECT:
        assert result.returncode == 1 and "INVALID" in result.stdout
        for text in reasons.values():
            assert text in result.stdout
    else:
        assert result.returncode == 0 and ": valid" in result.stdout
        assert ("warning:" in result.stdout) == (verdict == WARN)
        assert verdict in (ACCEPT, WARN)


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_inspect_cli_shows_every_fixture(name: str) -> None:
    for output_format in ("text", "json"):
        result = run_mbom("inspect", str(FIXTURES / name), "--format", output_format)
        assert "Traceback" not in result.stderr
        if name in NOT_JSON:
            assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
        else:
            assert result.returncode == 0, result.stderr
            assert result.stdout.strip()


def test_every_fixture_file_has_a_verdict() -> None:
    on_disk = {str(p.relative_to(FIXTURES)) for p in Path(FIXTURES).rglob("*.json")}
    assert on_disk == set(VERDICTS)
