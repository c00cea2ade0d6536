"""JUnit XML report, for CI test dashboards (Jenkins, GitLab, Azure, GitHub test reporters).

Usage::

    from mbom.verify.report_junit import render_junit
    xml_text = render_junit(report)

One ``testcase`` per check (classname = the bundle, or ``mbom.verify``); failures carry the
message and the expected / actual digests; skips are ``skipped``; warnings pass with the
warning in ``system-out``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mbom.verify.checks import Report


def render_junit(report: Report) -> str:
    suites = ET.Element("testsuites", name="mbom verify")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"mbom verify {report.subject}",
        tests=str(len(report.checks)),
        failures=str(len(report.failures())),
        errors="0",
        skipped=str(sum(1 for c in report.checks if c.status == "skip")),
    )
    for check in report.checks:
        name = check.id + (f" {check.path}" if check.path else "")
        case = ET.SubElement(suite, "testcase", classname=check.bundle or "mbom.verify", name=name)
        if check.status == "fail":
            body = check.message
            if check.expected or check.actual:
                body += f"\nexpected: {check.expected}\nactual:   {check.actual}"
            failure = ET.SubElement(case, "failure", message=check.message, type=check.id)
            failure.text = body
        elif check.status == "skip":
            ET.SubElement(case, "skipped", message=check.message)
        else:
            ET.SubElement(case, "system-out").text = f"{check.status}: {check.message}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
