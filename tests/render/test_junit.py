"""JUnit XML output: one test case per check and subject; failures for problems, errors for unknown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conftest import run_cli
from deliverability.finding import CheckResult, Finding, Report, Severity, Target
from deliverability.render import renderer


def finding(code: str, severity: Severity, subject: str) -> Finding:
    return Finding(code=code, severity=severity, subject=subject, summary=f"{code} <&> \x1b[2J")


REPORT = Report(
    tool_version="0.0.test", target=Target(domain="junit.test", mail_from="a@junit.test"),
    checks=(
        CheckResult(name="mx", duration_ms=12, findings=(
            finding("mx.ok", Severity.OK, "junit.test"),
            finding("mx.host-no-address", Severity.WARNING, "junit.test MX ghost.junit.test"),
        )),
        CheckResult(name="rdns", duration_ms=3, findings=(
            finding("rdns.missing", Severity.ERROR, "192.0.2.1"),
            finding("rdns.generic", Severity.WARNING, "192.0.2.1"),
            finding("rdns.lookup-failed", Severity.UNKNOWN, "192.0.2.2"),
        )),
    ),
)


def parse() -> ET.Element:
    return ET.fromstring(renderer("junit")(REPORT).encode())


def outcomes() -> dict[tuple[str, str], str]:
    return {
        (case.get("classname"), case.get("name")):
            next((c.tag for c in case if c.tag in ("failure", "error")), "passed")
        for case in parse().iter("testcase")
    }


def test_one_case_per_check_and_subject_with_its_outcome() -> None:
    assert outcomes() == {
        ("deliverability.mx", "junit.test"): "passed",
        ("deliverability.mx", "junit.test MX ghost.junit.test"): "failure",
        ("deliverability.rdns", "192.0.2.1"): "failure",
        ("deliverability.rdns", "192.0.2.2"): "error",
    }


def test_counts_add_up_per_suite_and_overall() -> None:
    root = parse()
    assert [root.get(k) for k in ("tests", "failures", "errors")] == ["4", "2", "1"]
    rdns = root.find("testsuite[@name='rdns']")
    assert [rdns.get(k) for k in ("tests", "failures", "errors")] == ["2", "1", "1"]


def test_failure_names_the_worst_code_and_lists_every_finding() -> None:
    case = parse().find(".//testcase[@name='192.0.2.1']")
    failure = case.find("failure")
    assert failure.get("type") == "rdns.missing"
    assert "rdns.generic" in failure.text and "\x1b" not in failure.text


def test_check_writes_junit(world) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", "null.mx.test", "--resolver", world.address, "--select", "mx",
                     "--format", "junit")
    assert result.code == 1
    assert ET.fromstring(result.stdout.encode()).get("failures") == "1"
