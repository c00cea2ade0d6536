"""What verification reports: one :class:`Check` per thing checked, gathered in a :class:`Report`.

Usage::

    from mbom.verify.checks import Check, Report, PASS, FAIL

    report = Report(subject="model/", checks=(Check("signature", PASS, "1 key signature"),))
    report.verified, report.exit_code, report.as_json()

A check that could not be evaluated (no trust material, no bundle) is a failure with
``evaluated=False``: it makes ``verified`` false (fail closed) and, when nothing else failed,
gives exit code 3 instead of 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

PASS, FAIL, SKIP, WARN = "pass", "fail", "skip", "warn"
STATUSES = (PASS, FAIL, SKIP, WARN)

EXIT_VERIFIED, EXIT_FAILED, EXIT_CANNOT_EVALUATE = 0, 1, 3


@dataclass(frozen=True, slots=True)
class Check:
    """One named check and its outcome; ``expected``/``actual`` carry full hex digests."""

    id: str
    status: str
    message: str
    path: str | None = None
    expected: str | None = None
    actual: str | None = None
    bundle: str | None = None
    evaluated: bool = True

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"id": self.id, "status": self.status, "message": self.message}
        for key in ("path", "expected", "actual", "bundle"):
            value = getattr(self, key)
            if value is not None:
                document[key] = value
        if not self.evaluated:
            document["evaluated"] = False
        return document

    def softened(self) -> Check:
        """This check as a warning (policy ``mode: warn``)."""
        return replace(self, status=WARN) if self.status == FAIL else self


def fail(check_id: str, message: str, **details: Any) -> Check:
    return Check(check_id, FAIL, message, **details)


def passed(check_id: str, message: str, **details: Any) -> Check:
    return Check(check_id, PASS, message, **details)


def skipped(check_id: str, message: str, **details: Any) -> Check:
    return Check(check_id, SKIP, message, **details)


def nothing_to_check(check_id: str, setting: Any, reason: str, **details: Any) -> Check:
    """A rule with nothing to judge fails, unless the policy says ``allowMissing: true``."""
    if isinstance(setting, Mapping) and setting.get("allowMissing") is True:
        return skipped(check_id, f"{reason}; the policy allows that (allowMissing)")
    return fail(check_id, reason, **details)


@dataclass(frozen=True, slots=True)
class Report:
    """Every check made about ``subject``, who signed, and what the BOM says it is."""

    subject: str
    checks: tuple[Check, ...]
    signers: tuple[Mapping[str, str], ...] = ()
    bom: Mapping[str, Any] | None = None
    mode: str = "enforce"
    attestations: tuple[Mapping[str, Any], ...] = field(default=())
    files: tuple[str, ...] = ()  # the files of PATH that were hashed and bound

    @property
    def verified(self) -> bool:
        """True only when no check failed (skips and warnings do not fail)."""
        return not any(check.failed for check in self.checks)

    @property
    def exit_code(self) -> int:
        """0 verified; 1 a real "no"; 3 only checks that could not be evaluated failed."""
        failures = [check for check in self.checks if check.failed]
        if not failures:
            return EXIT_VERIFIED
        if any(check.evaluated for check in failures):
            return EXIT_FAILED
        return EXIT_CANNOT_EVALUATE

    def failures(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.failed)

    def as_json(self) -> dict[str, Any]:
        """The document ``--format json`` writes (schemas/verify-report.schema.json)."""
        return {
            "verified": self.verified,
            "subject": self.subject,
            "exitCode": self.exit_code,
            "mode": self.mode,
            "checks": [check.as_json() for check in self.checks],
            "signers": [dict(signer) for signer in self.signers],
            "attestations": [dict(item) for item in self.attestations],
            "bom": dict(self.bom) if self.bom is not None else None,
        }
