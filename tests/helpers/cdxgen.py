"""cdxgen's ``cdx-validate`` (npm ``@cyclonedx/cdxgen``): a CycloneDX validator no one here wrote.

It runs the official JSON schema plus its own "deep" checks (purls, refs, dependency entries,
metadata), the checks that crashed on leaf dependency entries without ``dependsOn``. Found on
``PATH``, else installed once with npm (pinned, without install scripts) into a cache
directory, ``$MBOM_CDXGEN_DIR`` or ``~/.cache/mbom-tests/cdxgen``. Without npm the calling
test skips with the reason; CI installs npm (.ci/run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

VERSION = "12.8.4"
PACKAGE = f"@cyclonedx/cdxgen@{VERSION}"


def cdx_validate_path() -> Path:
    found = shutil.which("cdx-validate")
    if found:
        return Path(found)
    cache = Path(os.environ.get("MBOM_CDXGEN_DIR") or Path.home() / ".cache/mbom-tests/cdxgen")
    binary = cache / VERSION / "node_modules" / ".bin" / "cdx-validate"
    if binary.exists():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is absent: cannot install {PACKAGE} for cdx-validate (apt install npm)")
    (cache / VERSION).mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--prefix", str(cache / VERSION), "--no-audit", "--no-fund",
         "--omit=optional", "--ignore-scripts", PACKAGE],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if done.returncode != 0 or not binary.exists():
        pytest.skip(f"npm could not install {PACKAGE}: {done.stderr.strip()[-300:]}")
    return binary


def cdx_validate(bom: Path, report: Path) -> dict[str, Any]:
    """cdx-validate's JSON report for ``bom`` (schema and deep checks, strict)."""
    done = subprocess.run(
        [str(cdx_validate_path()), "-i", str(bom), "--strict", "--no-include-manual",
         "--fail-severity", "critical", "-r", "json", "-o", str(report)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    if not report.exists():
        raise AssertionError(
            f"cdx-validate wrote no report (exit {done.returncode}): {done.stderr}"
        )
    result = json.loads(report.read_text())
    result["exit"] = done.returncode
    return result
