"""Retry transient remote errors with exponential backoff and full jitter; explain the rest.

Object stores fail transiently all the time at scale (connection resets, 5xx, throttling,
timeouts): one such error must not fail a ten-million-object run, so each request is retried
a bounded number of times (``MBOM_REMOTE_RETRIES``, default 5 retries) with a jittered,
capped exponential delay (``MBOM_REMOTE_BACKOFF`` seconds, default 0.25, doubling up to 8 s).
Anything else (denied, not found, no credentials) fails at once. :func:`reason` turns any
client-library exception into one line without credentials (:mod:`mbom.hashing._redact`).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

from mbom.errors import InputError
from mbom.hashing._redact import scrub

T = TypeVar("T")

DEFAULT_RETRIES = 5
DEFAULT_BACKOFF = 0.25
MAX_DELAY = 8.0

#: S3 / GCS / Azure error codes that mean "try again later".
TRANSIENT_CODES = frozenset(
    {
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "TooManyRequests",
        "RequestLimitExceeded",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "ServiceUnavailable",
        "ServerBusy",
        "OperationTimedOut",
    }
)
#: Exception class names (anywhere in the MRO) of transport failures in botocore / aiohttp.
TRANSIENT_CLASSES = frozenset(
    {
        "HTTPClientError",  # botocore: connection closed, read/connect timeout, proxy errors
        "ConnectionError",
        "ResponseStreamingError",
        "IncompleteReadError",
        "ClientConnectionError",  # aiohttp
        "ClientPayloadError",
        "ServerDisconnectedError",
        "ServerTimeoutError",
    }
)
_DENIED = frozenset(
    {
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "AllAccessDisabled",
        "AuthorizationFailure",
    }
)


def _env_number(name: str, default: float, kind: type) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise InputError(f"{name}={raw!r}: expected a number") from None
    if value < 0:
        raise InputError(f"{name}={raw!r}: must not be negative")
    return value


def retries() -> int:
    """How many times a transient failure is retried (``MBOM_REMOTE_RETRIES``)."""
    return int(_env_number("MBOM_REMOTE_RETRIES", DEFAULT_RETRIES, int))


def _status(exc: BaseException) -> tuple[str, int]:
    """(error code, HTTP status) of a client-library error, where it has them."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # botocore ClientError
        code = str(response.get("Error", {}).get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code, int(status or (int(code) if code.isdigit() else 0))
    for attribute in ("status", "status_code", "code"):
        value = getattr(exc, attribute, None)
        if value is None and response is not None:
            value = getattr(response, attribute, None)
        if isinstance(value, int):
            return "", value
    return "", 0


def is_transient(exc: BaseException) -> bool:
    """Connection reset, timeout, 5xx, throttling: worth another try."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    if any(cls.__name__ in TRANSIENT_CLASSES for cls in type(exc).__mro__):
        return True
    code, status = _status(exc)
    return code in TRANSIENT_CODES or status == 429 or status >= 500


def with_retries(
    call: Callable[[], T], *, sleep: Callable[[float], None] = time.sleep
) -> tuple[T, int]:
    """``call()`` retried on transient errors; returns (result, attempts made).

    The final error is re-raised with ``mbom_attempts`` set, for :func:`reason`.
    """
    budget = retries()
    base = _env_number("MBOM_REMOTE_BACKOFF", DEFAULT_BACKOFF, float)
    attempt = 0
    while True:
        attempt += 1
        try:
            return call(), attempt
        except Exception as exc:
            if attempt > budget or not is_transient(exc):
                exc.mbom_attempts = attempt  # type: ignore[attr-defined]
                raise
            sleep(random.uniform(0, min(MAX_DELAY, base * 2 ** (attempt - 1))))


def is_denied(exc: BaseException) -> bool:
    """Credentials missing or refused, or permission denied."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & {"NoCredentialsError", "PartialCredentialsError", "PermissionError"}:
        return True
    code, status = _status(exc)
    return code in _DENIED or status in (401, 403)


def is_missing(exc: BaseException) -> bool:
    """The bucket, container, repository or object does not exist."""
    if isinstance(exc, FileNotFoundError):
        return True
    code, status = _status(exc)
    return code in ("NoSuchBucket", "NoSuchKey", "NotFound", "404") or status == 404


def reason(exc: BaseException, url: str | None = None) -> str:
    """One line saying why a remote call failed, with no credentials in it."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    code, status = _status(exc)
    if names & {"NoCredentialsError", "PartialCredentialsError"}:
        text = "no credentials found (environment, profile or instance metadata)"
    elif is_denied(exc):
        text = f"access denied ({code or status or type(exc).__name__})"
    elif code == "NoSuchBucket":
        text = "no such bucket"
    elif is_missing(exc):
        text = "not found"
    else:
        detail = str(exc).strip() or type(exc).__name__
        text = f"{type(exc).__name__}: {detail}" if type(exc).__name__ not in detail else detail
    attempts = getattr(exc, "mbom_attempts", 1)
    if attempts > 1:
        text += f" (after {attempts} attempts)"
    return " ".join(scrub(text, url).split())
