"""Reading JSON verify reports in tests."""

from __future__ import annotations


def failures(report: dict) -> list[dict]:
    """The failing checks of a JSON report, in order, without the ``model-coverage`` failure
    that follows from every other one when the only attestation fails (tests/verify/
    test_binding.py asserts that check itself): what a test asserts is the cause.
    """
    failing = [check for check in report["checks"] if check["status"] == "fail"]
    causes = [check for check in failing if check["id"] != "model-coverage"]
    return causes if causes else failing


def failed_ids(report: dict) -> list[str]:
    """The ids of the failing checks of a JSON report (see failures), in order."""
    return [check["id"] for check in failures(report)]
