"""SARIF 2.1.0 report, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

Usage::

    from mbom.verify.report_sarif import render_sarif
    document = render_sarif(report)          # dict; json.dumps it

One rule per check id; one result per check: failures are ``error``, warnings ``warning``,
passes ``kind: pass`` and skips ``kind: notApplicable``. A check about a file points at it,
relative to PATH.
"""

from __future__ import annotations

import posixpath
from typing import Any

from mbom.verify.checks import Report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/mbom/mbom/blob/main/docs/verify.md"
_KIND = {
    "pass": ("pass", "none"),
    "fail": ("fail", "error"),
    "warn": ("fail", "warning"),
    "skip": ("notApplicable", "none"),
}


def render_sarif(report: Report) -> dict[str, Any]:
    from mbom import __version__

    rule_ids = sorted({check.id for check in report.checks})
    results = []
    for check in report.checks:
        kind, level = _KIND[check.status]
        result: dict[str, Any] = {
            "ruleId": check.id,
            "ruleIndex": rule_ids.index(check.id),
            "kind": kind,
            "level": level,
            "message": {"text": check.message},
        }
        location = check.path if check.path and check.id not in ("lineage",) else None
        uri = posixpath.join(report.subject.rstrip("/"), location) if location else report.subject
        result["locations"] = [{"physicalLocation": {"artifactLocation": {"uri": uri}}}]
        extra = {
            k: getattr(check, k) for k in ("expected", "actual", "bundle") if getattr(check, k)
        }
        if extra:
            result["properties"] = extra
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mbom verify",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [
                            {"id": rule, "shortDescription": {"text": f"mbom check {rule}"}}
                            for rule in rule_ids
                        ],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": report.exit_code in (0, 1),
                        "exitCode": report.exit_code,
                    }
                ],
                "results": results,
                "properties": {"verified": report.verified, "subject": report.subject},
            }
        ],
    }
