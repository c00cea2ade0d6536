"""The one canonical-JSON writer of the project: RFC 8785 (JSON Canonicalization Scheme).

Signed payloads must be byte-for-byte reproducible: the same statement signed twice, on two
machines, by two Python versions, gives the same bytes and so the same digest. RFC 8785 fixes
key order (UTF-16 code units), number formatting and string escaping; ``json.dumps`` does not.
"""

from __future__ import annotations

from typing import Any

from mbom.errors import MalformedFileError


def canonical_json(value: Any) -> bytes:
    """``value`` as RFC 8785 canonical JSON bytes (UTF-8, no whitespace, sorted keys).

    Raises :class:`MalformedFileError` for values JSON cannot carry exactly (integers beyond
    2**53, NaN, non-string keys).
    """
    import rfc8785

    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise MalformedFileError(f"cannot write canonical JSON: {exc}") from None
