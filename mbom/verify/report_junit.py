"""JUnit XML report, for CI test dashboards (Jenkins, GitLab, Azure, GitHub test reporters).

Usage::

    from mbom.verify.report_junit import render_junit
    xml_text = render_junit(report)

One ``testcase`` per check (classname = the bundle, or ``mbom.verify``); failures carry the
message and the expected / actual digests; skips are ``skipped``; warnings pass with the
warning in ``system-out``. Control characters in values (a file named with ``\x01``) are
escaped (:func:`mbom._one_line.one_line`): XML 1.0 cannot carry them at all, and a report a
CI parser rejects would hide its failures.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mbom._one_line import one_line
from mbom.verify.checks import Report


def render_junit(report: Report) -> str:
    suites = ET.Element("testsuites", name="mbom verify")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=one_line(f"mbom verify {report.subject}"),
        tests=str(len(report.checks)),
        failures=str(len(report.failures())),
        errors="0",
        skipped=str(sum(1 for c in report.checks if c.status == "skip")),
    )
    for check in report.checks:
        name = one_line(check.id + (f" {check.path}" if check.path else ""))
        bundle = one_line(check.bundle) if check.bundle else "mbom.verify"
        case = ET.SubElement(suite, "testcase", classname=bundle, name=name)
        message = one_line(check.message)
        if check.status == "fail":
            body = message
            if check.expected or check.actual:
                expected, actual = one_line(str(check.expected)), one_line(str(check.actual))
                body += f"\nexpected: {expected}\nactual:   {actual}"
            failure = ET.SubElement(case, "failure", message=message, type=check.id)
            failure.text = body
        elif check.status == "skip":
            ET.SubElement(case, "skipped", message=message)
        else:
            ET.SubElement(case, "system-out").text = f"{check.status}: {message}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
