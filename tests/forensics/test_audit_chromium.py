"""The audit page as a browser shows it: render in headless Chromium and read the text back.

Skipped, with the reason, when Chromium is not installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.forensics.conftest import run_mbom
from tests.forensics.lineage_helpers import three_generations

CHROMIUM = next(
    (
        p
        for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
        if p and Path(p).exists()
    ),
    None,
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


class _VisibleText(HTMLParser):
    """Text a reader sees: everything outside head, style, script and title."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._hidden += tag in ("head", "style", "script", "title")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("head", "style", "script", "title")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_audit_page_shows_the_key_facts_in_chromium(tmp_path: Path) -> None:
    (tmp_path / "release").mkdir()
    lineage = three_generations(tmp_path / "release")
    page = tmp_path / "audit.html"
    result = run_mbom(
        "audit",
        str(lineage.model),
        "--bundle",
        str(lineage.quantized),
        "--key",
        str(lineage.pub),
        "-o",
        str(page),
    )
    assert result.returncode == 0, result.stderr
    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0 and "<svg" in dom.stdout, dom.stderr[-2000:]
    reader = _VisibleText()
    reader.feed(dom.stdout)
    text = " ".join(" ".join(reader.parts).split())
    report = page.read_text()
    serial = report.split("urn:uuid:", 1)[1][:36]
    assert "VERIFIED" in text and f"urn:uuid:{serial}" in text
    assert hashlib.sha256(b"quantized weights").hexdigest() in text  # a file digest
    assert lineage.pub.name in text and "key" in text  # the trust root and signer
    assert "fine-tuned 2.0" in text and "base 1.0" in text  # lineage nodes
    pdf = tmp_path / "audit.pdf"
    printed = _chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert printed.returncode == 0 and pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "VERIFIED" in text and "fine-tuned 2.0" in text
