"""Run spdx3-validate (JSON schema + SHACL) without a network.

spdx3-validate fetches the SPDX 3.0.1 JSON-LD context, JSON schema and SHACL model from
spdx.org. Tests have no internet, so a urllib handler installed for the duration serves the
copies kept in ``tests/export/spdx-3.0.1/`` (see its README) for exactly those three URLs and
refuses every other URL: a validation can never silently reach the network.
"""

from __future__ import annotations

import contextlib
import io
import urllib.error
import urllib.request
import urllib.response
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "export" / "spdx-3.0.1"
SERVED = {
    "https://spdx.org/rdf/3.0.1/spdx-context.jsonld": (
        "spdx-context.jsonld",
        "application/ld+json",
    ),
    "https://spdx.org/rdf/3.0.1/spdx-model.ttl": ("spdx-model.ttl", "text/turtle"),
    "https://spdx.org/schema/3.0.1/spdx-json-schema.json": ("schema.json", "application/json"),
}


class _Local(urllib.request.BaseHandler):
    handler_order = 100  # before the real HTTPS handler

    def _serve(self, request: urllib.request.Request) -> urllib.response.addinfourl:
        url = request.full_url
        if url not in SERVED:
            raise urllib.error.URLError(f"offline: refusing {url}")
        name, kind = SERVED[url]
        headers = Message()
        headers["Content-Type"] = kind
        response = urllib.response.addinfourl(
            io.BytesIO((DATA / name).read_bytes()), headers, url, 200
        )
        response.msg = "OK"  # type: ignore[attr-defined]
        return response

    https_open = _serve
    http_open = _serve


@contextlib.contextmanager
def offline_spdx() -> Iterator[None]:
    """Serve the vendored SPDX 3.0.1 files to urllib while the block runs."""
    previous = urllib.request._opener  # type: ignore[attr-defined]
    urllib.request.install_opener(urllib.request.build_opener(_Local()))
    try:
        yield
    finally:
        urllib.request.install_opener(previous)  # type: ignore[arg-type]


def spdx3_errors(path: Path) -> list[str]:
    """spdx3-validate's findings for the document at ``path`` ("schema"/"shacl": message)."""
    core = pytest.importorskip("spdx3_validate.core", reason="pip install spdx3-validate")
    with offline_spdx():
        result = core.validate(str(path))
    return [f"{error.kind}: {error.message}" for error in result.errors]
