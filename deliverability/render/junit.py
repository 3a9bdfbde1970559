"""JUnit XML: one test suite per check, one test case per check and subject.

CI systems (GitLab, Jenkins, Azure) show JUnit reports as test results. A test
case fails (`<failure>`) when its worst finding is an error or a warning, errs
(`<error>`) when the result is unknown (could not tell), and passes otherwise;
every finding of the case, with evidence and numbered remediation, is in its body.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import groupby

from deliverability.finding import CheckResult, Finding, Report, Severity
from deliverability.text import clean, clean_line

# XML 1.0 forbids these even as character references (after clean(), few remain).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_OUTCOME = {Severity.ERROR: "failure", Severity.WARNING: "failure", Severity.UNKNOWN: "error"}


def render(report: Report, *, verbose: bool = False) -> str:
    """The report as a JUnit XML document."""
    suites = ET.Element("testsuites", name=_text(f"deliverability {report.target.domain}"))
    for check in report.checks:
        suites.append(_suite(check))
    _count(suites)
    ET.indent(suites)
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _suite(check: CheckResult) -> ET.Element:
    suite = ET.Element("testsuite", name=check.name, time=f"{check.duration_ms / 1000:.3f}")
    ordered = sorted(check.findings, key=lambda f: f.subject)
    for subject, group in groupby(ordered, key=lambda f: f.subject):
        suite.append(_case(check.name, subject, list(group)))
    _count(suite)
    return suite


def _case(check: str, subject: str, findings: list[Finding]) -> ET.Element:
    case = ET.Element("testcase", classname=f"deliverability.{check}", name=_text(subject))
    worst = max(findings, key=lambda f: f.severity.rank)
    body = "\n\n".join(_describe(f) for f in sorted(findings, key=lambda f: -f.severity.rank))
    outcome = _OUTCOME.get(worst.severity)
    if outcome is None:
        ET.SubElement(case, "system-out").text = _text(body, one_line=False)
        return case
    element = ET.SubElement(case, outcome, type=worst.code, message=_text(worst.summary))
    element.text = _text(body, one_line=False)
    return case


def _describe(finding: Finding) -> str:
    lines = [f"{finding.severity.value}: {finding.summary} [{finding.code}]"]
    if finding.location is not None:
        lines.append(f"at {finding.location.file}:{finding.location.line}")
    lines += [f"  | {line}" for line in finding.evidence]
    lines += [f"  {n}. {step}" for n, step in enumerate(finding.remediation, 1)]
    return "\n".join(lines)


def _count(parent: ET.Element) -> None:
    cases = list(parent.iter("testcase"))
    parent.set("tests", str(len(cases)))
    parent.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    parent.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    parent.set("skipped", "0")


def _text(value: str, *, one_line: bool = True) -> str:
    cleaned = clean_line(value) if one_line else clean(value)
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", cleaned)
