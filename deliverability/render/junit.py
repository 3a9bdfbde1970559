"""JUnit XML: one test suite per check, one test case per check and subject.

CI systems (GitLab, Jenkins, Azure) show JUnit reports as test results. A test case
fails (`<failure>`) when one of its findings is at or above --fail-on (`failing`), so
the test view agrees with the exit status; every other finding of the case, with
evidence and numbered remediation, is in its `<system-out>`. The document follows the
Jenkins/Ant JUnit schema: `<testsuites>` holds only `<testsuite>` elements and takes
no `skipped` attribute. A bulk run writes one document: a suite per target and check
(`Document`), with no timings, so the same input gives the same file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection
from itertools import groupby

from deliverability.finding import CheckResult, Finding, Report, Severity
from deliverability.text import clean, clean_line

# XML 1.0 forbids these even as character references (after clean(), few remain).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
DEFAULT_FAILING = frozenset({Severity.ERROR})
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'


def render(
    report: Report, *, verbose: bool = False, failing: Collection[Severity] = DEFAULT_FAILING
) -> str:
    """The report as a JUnit XML document with counts on every element."""
    suites = ET.Element("testsuites", name=_text(f"deliverability {report.target.domain}"))
    suites.extend(suites_of(report, failing, timings=True))
    _count(suites)
    ET.indent(suites)
    return HEAD + ET.tostring(suites, encoding="unicode") + "\n"


class Document:
    """A bulk run's JUnit document, written a target at a time: head, part..., tail."""

    def __init__(self, failing: Collection[Severity] = DEFAULT_FAILING) -> None:
        self.failing = failing

    def head(self) -> str:
        """The XML declaration and the opening `<testsuites>`."""
        return HEAD + '<testsuites name="deliverability">\n'

    def part(self, report: Report) -> str:
        """One target's suites, named `DOMAIN CHECK`."""
        out = []
        for suite in suites_of(report, self.failing, timings=False, prefix=report.target.domain):
            ET.indent(suite, level=1)
            out.append("  " + ET.tostring(suite, encoding="unicode").rstrip() + "\n")
        return "".join(out)

    def failure(self, line: int, domain: str, reason: str) -> str:
        """A target that could not be checked: a suite with one erring case."""
        suite = ET.Element("testsuite", name=_text(domain or f"line {line}"), tests="1", errors="1")
        case = ET.SubElement(suite, "testcase", classname="deliverability", name=f"line {line}")
        ET.SubElement(case, "error", message=_text(reason), type="failed")
        ET.indent(suite, level=1)
        return "  " + ET.tostring(suite, encoding="unicode").rstrip() + "\n"

    def tail(self) -> str:
        """The closing `</testsuites>`."""
        return "</testsuites>\n"


def suites_of(
    report: Report, failing: Collection[Severity], *, timings: bool, prefix: str = ""
) -> list[ET.Element]:
    """One `<testsuite>` per check of the report, counted."""
    return [_suite(check, failing, timings, prefix) for check in report.checks]


def _suite(
    check: CheckResult, failing: Collection[Severity], timings: bool, prefix: str
) -> ET.Element:
    name = _text(f"{prefix} {check.name}" if prefix else check.name)
    suite = ET.Element("testsuite", name=name)
    if timings:
        suite.set("time", f"{check.duration_ms / 1000:.3f}")
    ordered = sorted(check.findings, key=lambda f: f.subject)
    for subject, group in groupby(ordered, key=lambda f: f.subject):
        suite.append(_case(check.name, subject, list(group), failing))
    _count(suite)
    return suite


def _case(
    check: str, subject: str, findings: list[Finding], failing: Collection[Severity]
) -> ET.Element:
    case = ET.Element("testcase", classname=f"deliverability.{check}", name=_text(subject))
    ordered = sorted(findings, key=lambda f: -f.severity.rank)
    failed = [f for f in ordered if f.severity in failing]
    if failed:
        body = "\n\n".join(_describe(f) for f in failed)
        element = ET.SubElement(
            case, "failure", type=failed[0].code, message=_text(failed[0].summary)
        )
        element.text = _text(body, one_line=False)
    rest = [f for f in ordered if f.severity not in failing]
    if rest:
        ET.SubElement(case, "system-out").text = _text(
            "\n\n".join(map(_describe, rest)), one_line=False
        )
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


def _text(value: str, *, one_line: bool = True) -> str:
    cleaned = clean_line(value) if one_line else clean(value)
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", cleaned)
