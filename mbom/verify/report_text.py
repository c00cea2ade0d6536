"""Text report: one line per check, then the verdict.

Usage::

    from mbom.verify.report_text import render_text
    print(render_text(report))

Lines read ``STATUS  check-id  [bundle]  message``; a digest mismatch names the file and
both full hex digests, so the line alone says what to investigate. Values the bundle or the
model chose (file names, subjects) cannot add lines or drive the terminal: control characters
are escaped (:func:`mbom._one_line.one_line`).
"""

from __future__ import annotations

from mbom._one_line import one_line
from mbom.verify.checks import Report

_LABELS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP", "warn": "WARN"}


def render_text(report: Report) -> str:
    lines = []
    for check in report.checks:
        where = f"  [{check.bundle}]" if check.bundle else ""
        lines.append(f"{_LABELS[check.status]:<4}  {check.id:<16}{where}  {check.message}")
    failures = report.failures()
    if report.verified:
        verdict = f"VERIFIED  {report.subject}"
        warnings = sum(1 for c in report.checks if c.status == "warn")
        if warnings:
            verdict += f" ({warnings} warning{'s' if warnings > 1 else ''})"
    elif report.exit_code == 3:
        verdict = f"NOT VERIFIED  {report.subject}: could not evaluate ({failures[0].message})"
    else:
        verdict = f"NOT VERIFIED  {report.subject}: {len(failures)} check(s) failed"
    lines.append(verdict)
    return "\n".join(one_line(line) for line in lines)
