"""The verdict block: what a user sees first, in every human format and in JSON."""

from __future__ import annotations

import re

import pytest
from conftest import run_cli
from paths import ROOT

from deliverability.finding import CheckResult, Finding, Report, Severity, Target
from deliverability.verdict import Impact, verdict

EXAMPLE = ["example.com", "--ip", "192.0.2.10", "--helo", "mail.example.com", "--offline",
           "--zone-file", ROOT / "examples" / "example.com.zone",
           "--zone-file", ROOT / "examples" / "2.0.192.in-addr.arpa.zone"]
# (domain, flags): scenarios of the test world with errors
WITH_ERRORS = [
    ("bare.requirements.test", ["--ip", "192.0.2.11"]),
    ("rdns.test", ["--ip", "192.0.2.66"]),
    ("nodmarc.test", ["--ip", "192.0.2.99"]),
]
CODE = re.compile(r"\b[a-z0-9-]+\.[a-z0-9-]+(?:\.[a-z0-9-]+)*\b")


def shown_codes(lines: list[str]) -> list[str]:
    """The codes of the verdict block's problem lines and of its 'causes' lines, in order."""
    codes = []
    for line in lines:
        if match := re.match(r"  [✖⚠] (\S+)", line):
            codes.append(match.group(1))
        elif "↳ causes:" in line:
            codes += CODE.findall(line)
    return codes


def finding(code: str, severity: Severity, subject: str = "s", caused_by: str | None = None,
            step: str = "fix it") -> Finding:
    return Finding(code=code, severity=severity, subject=subject, summary=f"{code} on {subject}",
                   remediation=(step,), caused_by=caused_by)


def report(*checks: tuple[str, tuple[Finding, ...]]) -> Report:
    return Report(tool_version="0", target=Target(domain="d.test"), checks=tuple(
        CheckResult(name=name, findings=found, duration_ms=1) for name, found in checks))


@pytest.fixture
def terminal(world, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")

    def run(domain: str, *flags: str) -> tuple[list[str], dict]:
        args = ["check", domain, *flags, "--resolver", world.address, "--timeout", "4"]
        text = run_cli(*args).stdout
        return text.splitlines(), run_cli(*args, "--format", "json").json()

    return run


@pytest.mark.parametrize(("domain", "flags"), WITH_ERRORS)
def test_the_first_15_lines_name_every_error_code(terminal, domain: str, flags: list[str]) -> None:
    lines, data = terminal(domain, *flags)
    errors = {f["code"] for c in data["checks"].values() for f in c["findings"]
              if f["severity"] == "error"}
    assert errors and errors <= set(CODE.findall("\n".join(lines[:15])))


@pytest.mark.parametrize(("domain", "flags"), WITH_ERRORS)
def test_json_problems_are_in_the_order_the_terminal_shows_them(terminal, domain: str,
                                                                flags: list[str]) -> None:
    lines, data = terminal(domain, *flags)
    problems = data["summary"]["problems"]
    assert list(data["summary"]) == ["status", "problems", "counts"]
    assert {p["severity"] for p in problems} <= {"error", "warning"}
    block = lines[: next(i for i, line in enumerate(lines) if line.startswith("Counts:"))]
    shown = shown_codes(block)
    assert shown == [p["code"] for p in problems]


@pytest.mark.parametrize(("domain", "flags"), WITH_ERRORS)
def test_quiet_prints_the_verdict_block_alone(terminal, domain: str, flags: list[str]) -> None:
    lines, data = terminal(domain, *flags, "-q")
    assert lines[0].startswith("✖ ERROR: ") and lines[-1].startswith("Counts: ")
    assert lines[1] == "Fix first:"
    assert all(re.match(r"  [✖⚠] |      ", line) for line in lines[2:-1])
    codes = shown_codes(lines)
    assert codes == [p["code"] for p in data["summary"]["problems"]]


def test_the_last_line_repeats_status_and_number_of_problems(terminal) -> None:
    lines, data = terminal("bare.requirements.test", "--ip", "192.0.2.11")
    assert lines[-1].startswith(f"✖ ERROR: {len(data['summary']['problems'])} problems")


def test_nine_offline_blocklists_take_at_most_two_lines(monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = run_cli("check", *EXAMPLE)
    lists = ("spamhaus", "barracuda", "spamcop", "psbl", "mailspike", "uceprotect", "surbl",
             "uribl", "dnsbl", "blocklist")
    about = [line for line in result.stdout.splitlines() if any(n in line.lower() for n in lists)]
    assert result.code == 0 and 1 <= len(about) <= 2
    assert "run again" not in result.stdout.lower()


@pytest.mark.parametrize(("checks", "expected"), [
    # an effect comes right after its cause, once
    ((("requirements", (finding("requirements.not-met", Severity.ERROR, "gmail.all.fcrdns",
                                "rdns.missing"),)),
      ("rdns", (finding("rdns.missing", Severity.ERROR),))),
     [("rdns.missing", None), ("requirements.not-met", "rdns.missing")]),
    # rejected before junked before at risk, whatever the check order
    ((("dkim", (finding("dkim.key-weak", Severity.WARNING),)),
      ("alignment", (finding("alignment.none", Severity.ERROR),)),
      ("dnsbl", (finding("dnsbl.listed", Severity.ERROR),))),
     [("dnsbl.listed", None), ("alignment.none", None), ("dkim.key-weak", None)]),
    # one code, one cause, one step: one line; an unknown is not a problem to fix
    ((("dnsbl", (finding("dnsbl.query-failed", Severity.UNKNOWN, "a"),
                 finding("dnsbl.listed", Severity.WARNING, "b"),
                 finding("dnsbl.listed", Severity.WARNING, "c"))),),
     [("dnsbl.listed", None)]),
    # a cause that is not shown leaves its effect on a line of its own
    ((("requirements", (finding("requirements.not-met", Severity.ERROR, "x", "rdns.missing"),)),),
     [("requirements.not-met", "rdns.missing")]),
])
def test_verdict_order_and_folding(checks, expected) -> None:  # type: ignore[no-untyped-def]
    judged = verdict(report(*checks))
    assert [(p.code, p.caused_by) for p in judged.problems] == expected


def test_folded_subjects_and_impacts() -> None:
    judged = verdict(report(("dnsbl", (finding("dnsbl.listed", Severity.ERROR, "a"),
                                       finding("dnsbl.listed", Severity.ERROR, "b"),
                                       finding("dnsbl.query-failed", Severity.UNKNOWN, "c"),
                                       finding("dnsbl.query-failed", Severity.UNKNOWN, "d")))))
    assert [(p.subjects, p.impact) for p in judged.problems] == [(("a", "b"), Impact.REJECTED)]
    assert [p.subjects for p in judged.unchecked] == [("c", "d")]
    assert judged.status is Severity.ERROR


@pytest.mark.parametrize("fmt", ["text", "html", "markdown"])
def test_every_human_format_opens_with_the_verdict(terminal, fmt: str) -> None:
    lines, data = terminal("nodmarc.test", "--ip", "192.0.2.99", "--format", fmt)
    text = "\n".join(lines)
    at = 0
    for problem in data["summary"]["problems"]:  # each found after the one before it
        at = text.find(problem["code"], at)
        assert at != -1, problem["code"]
    if fmt == "text":
        assert "`" not in text and "**" not in text and "&amp;" not in text
    if fmt == "html":
        assert "<script" not in text and "src=" not in text and "href=" not in text


@pytest.mark.parametrize("text", [
    "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown",
    "550 5.7.1 Service unavailable, Client host [192.0.2.10] blocked using zen.spamhaus.org",
])
def test_a_bounce_is_not_told_as_a_verdict_on_the_senders_setup(text: str) -> None:
    # `bounce` reports what a receiver answered: a wrong address is not "mail from X is junked"
    first = run_cli("bounce", "--text", text, "-q").stdout.splitlines()[0]
    assert "mail from" not in first and "receivers answered" in first
