"""Validity windows of a Sigstore trusted root, checked at the time a signature was logged.

A trusted root gives each Rekor key and each Fulcio CA a ``validFor`` window. sigstore-python
4.5 compares only the *current* time with the window's start when verifying (it allows
"expired" keys and never looks at the end), so a retired log key or CA would still vouch for
entries made after its retirement. mbom checks the entry's integrated time against the
window of the key or CA that was actually used. Windows are closed intervals: a time equal
to ``start`` or to ``end`` is inside; a window without ``end`` is open-ended.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from mbom.errors import VerificationError


def within(start: dt.datetime, end: dt.datetime | None, moment: dt.datetime) -> bool:
    """``start <= moment <= end`` (closed interval; ``end`` None means no end)."""
    return start <= moment and (end is None or moment <= end)


def _moment(integrated_time: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(integrated_time, dt.timezone.utc)


def _shown(start: dt.datetime, end: dt.datetime | None) -> str:
    return f"[{start.isoformat()}, {end.isoformat() if end else 'open'}]"


def _require(windows: list[Any], moment: dt.datetime, what: str, check: str) -> None:
    """Some window holds ``moment`` (or there is none to check), else a failure of ``check``."""
    if not windows or any(within(w.start, w.end, moment) for w in windows):
        return
    raise VerificationError(
        f"{what} was not valid when the entry was integrated ({moment.isoformat()})",
        check=check,
        expected=", ".join(_shown(w.start, w.end) for w in windows),
        actual=moment.isoformat(),
    )


def check_log_key_window(trusted_root: Any, log_id: bytes, integrated_time: int | None) -> None:
    """The Rekor key that signed the entry was valid when the entry was integrated."""
    if integrated_time is None:
        return  # Rekor v2: the time comes from a timestamp authority, checked by sigstore
    moment = _moment(integrated_time)
    windows = [
        tlog.public_key.valid_for
        for tlog in trusted_root._inner.tlogs
        if tlog.log_id.key_id == log_id and tlog.public_key.valid_for is not None
    ]
    # no window: an unknown log id already failed the signature check of the log's proof
    _require(windows, moment, "the transparency log's key", "tlog entry")


def check_ca_window(trusted_root: Any, leaf: Any, integrated_time: int | None) -> None:
    """Some CA of the trusted root that issued ``leaf`` was valid at the integrated time."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    if integrated_time is None:
        return
    moment = _moment(integrated_time)
    windows = []
    for authority in trusted_root._inner.certificate_authorities:
        for raw in authority.cert_chain.certificates:
            issuer = x509.load_der_x509_certificate(raw.raw_bytes)
            try:
                leaf.verify_directly_issued_by(issuer)
            except (ValueError, TypeError, InvalidSignature):  # not this issuer
                continue
            windows.append(authority.valid_for)
            break
    # no window: a leaf that no CA of the root issued already failed the chain check
    _require(windows, moment, "the certificate authority", "certificate")
