"""JUnit XML output: one test case per check and subject; failures for what fails the gate."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

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


def parse(**inputs: object) -> ET.Element:
    return ET.fromstring(renderer("junit")(REPORT, **inputs).encode())


def outcomes(**inputs: object) -> dict[tuple[str, str], str]:
    return {
        (case.get("classname"), case.get("name")):
            next((c.tag for c in case if c.tag in ("failure", "error")), "passed")
        for case in parse(**inputs).iter("testcase")
    }


ALL = {Severity.ERROR, Severity.WARNING, Severity.UNKNOWN}


@pytest.mark.parametrize(("failing", "expected"), [
    ({Severity.ERROR}, ["passed", "passed", "failure", "passed"]),  # the default: --fail-on error
    ({Severity.ERROR, Severity.WARNING}, ["passed", "failure", "failure", "passed"]),
    (ALL, ["passed", "failure", "failure", "failure"]),  # --fail-on warning --strict
    (set(), ["passed", "passed", "passed", "passed"]),  # --fail-on never
])
def test_only_what_fails_the_gate_is_a_failure(failing, expected) -> None:  # type: ignore[no-untyped-def]
    cases = [("deliverability.mx", "junit.test"), ("deliverability.mx", "junit.test MX ghost.junit.test"),
             ("deliverability.rdns", "192.0.2.1"), ("deliverability.rdns", "192.0.2.2")]
    found = outcomes(failing=failing)
    assert [found[case] for case in cases] == expected


def test_counts_add_up_per_suite_and_overall() -> None:
    root = parse(failing=ALL)
    assert [root.get(k) for k in ("tests", "failures", "errors")] == ["4", "3", "0"]
    assert root.get("skipped") is None  # the Jenkins/Ant schema has no skipped on testsuites
    rdns = root.find("testsuite[@name='rdns']")
    assert [rdns.get(k) for k in ("tests", "failures", "errors")] == ["2", "2", "0"]


def test_failure_names_the_worst_code_and_lower_findings_go_to_system_out() -> None:
    case = parse().find(".//testcase[@name='192.0.2.1']")
    failure = case.find("failure")
    assert failure.get("type") == "rdns.missing"
    assert "rdns.generic" in case.find("system-out").text and "\x1b" not in failure.text


def test_check_writes_junit(world) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", "null.mx.test", "--resolver", world.address, "--select", "mx",
                     "--format", "junit")
    assert result.code == 1
    assert ET.fromstring(result.stdout.encode()).get("failures") == "1"
