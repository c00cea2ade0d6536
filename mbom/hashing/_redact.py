"""Keep credentials out of everything mbom records or prints about a remote location.

A URL may carry secrets in its user info (``https://user:token@host/...``), its query string
(a presigned URL's ``X-Amz-Signature``, an Azure SAS token) or its fragment. What may be
recorded is ``scheme://host/path`` only. Error messages from client libraries often quote
the URL they fetched, so their text is scrubbed too before it reaches an mbom error.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# scheme://[userinfo@]host...  -- userinfo is everything up to the last "@" before the path.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"]*@")
# A URL's query string or fragment, up to whitespace or a closing quote.
_QUERY = re.compile(r"(?P<url>[A-Za-z][A-Za-z0-9+.-]*://[^?#\s'\"]*)[?#][^\s'\"]*")
# Parameter names that carry a secret wherever they appear (query strings quoted in messages).
_SECRET_PARAMS = re.compile(
    r"(?i)((?:x-amz-(?:signature|credential|security-token)|sig|signature|token|"
    r"access_token|se|sp|sv|skoid|sktid|code)=)[^&\s'\"]+"
)


def display_url(url: str) -> str:
    """``url`` as it may be recorded: ``scheme://host[:port]/path``, nothing else."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


def scrub(text: str, url: str | None = None) -> str:
    """Remove user info, query strings, fragments and secret parameters from ``text``.

    ``url``: the location's full URL; its query string and password are removed wherever
    they occur, even when not quoted as part of a URL.
    """
    if url:
        parts = urlsplit(url)
        for secret in (parts.query, parts.fragment, parts.password, parts.username):
            if secret and len(secret) > 2:
                text = text.replace(secret, "<redacted>")
    text = _USERINFO.sub(r"\g<scheme>", text)
    text = _QUERY.sub(r"\g<url>", text)
    return _SECRET_PARAMS.sub(r"\1<redacted>", text)
