"""Renderers as pure functions of hand-built reports; hostile DNS text must come out inert."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from deliverability.finding import CheckResult, Finding, Location, Report, Severity, Target
from deliverability.render import FORMATS, renderer

HOSTILE = "[red]x[/red] \x1b[2J \u202eevil | *bold* <b>html</b> [link](http://x.test) `code`"


def report_with(*findings: Finding, data: dict | None = None) -> Report:
    return Report(
        tool_version="0.0.test",
        target=Target(domain="hostile.test", ips=("192.0.2.66",), mail_from="a@hostile.test"),
        checks=(CheckResult(name="rdns", findings=findings, duration_ms=3, data=data or {}),),
    )


HOSTILE_REPORT = report_with(
    Finding(
        code="rdns.generic", severity=Severity.WARNING, subject=f"192.0.2.66 PTR {HOSTILE}",
        summary=f"PTR {HOSTILE}", evidence=(f"TXT {HOSTILE}",), remediation=(HOSTILE,),
        location=Location(file="zones/hostile.zone", line=7),
    ),
    data={"192.0.2.66": {"ptr": [HOSTILE]}},
)


def as_text(name: str, report: Report) -> str:
    rendered = renderer(name)(report, verbose=True)
    if isinstance(rendered, str):
        return rendered
    out = io.StringIO()
    Console(file=out, force_terminal=True, color_system="truecolor", width=200).print(rendered)
    return out.getvalue()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_hostile_text_is_inert(fmt: str) -> None:
    text = as_text(fmt, HOSTILE_REPORT)
    assert "\x1b[2J" not in text and "\u202e" not in text
    if fmt == "terminal":
        assert "[red]x[/red]" in text  # shown literally, not interpreted as markup
    if fmt == "markdown":
        assert "\\[link\\](http" in text and "<b>" not in text  # no link, no HTML


def test_markdown_tables_cannot_be_broken_by_pipes() -> None:
    text = as_text("markdown", report_with(Finding(
        code="rdns.ok", severity=Severity.OK, subject="s", summary="a|b")))
    assert "a\\|b" in text


def test_json_round_trips_and_is_clean() -> None:
    data = json.loads(as_text("json", HOSTILE_REPORT))
    finding = data["checks"]["rdns"]["findings"][0]
    assert finding["location"] == {"file": "zones/hostile.zone", "line": 7}
    assert "\x1b" not in json.dumps(data, ensure_ascii=False)
    assert data["checks"]["rdns"]["status"] == "warning"
    assert data["summary"]["counts"] == {"ok": 0, "info": 0, "warning": 1, "unknown": 0, "error": 0}


def test_terminal_groups_worst_check_first_with_numbered_steps() -> None:
    report = Report(
        tool_version="0", target=Target(domain="d.test", mail_from="postmaster@d.test"),
        checks=(
            CheckResult(name="aaa", duration_ms=1, findings=(
                Finding(code="aaa.ok", severity=Severity.OK, subject="d.test", summary="fine"),)),
            CheckResult(name="zzz", duration_ms=1, findings=(
                Finding(code="zzz.bad", severity=Severity.ERROR, subject="d.test",
                        summary="broken", remediation=("first", "second")),)),
        ),
    )
    text = as_text("terminal", report)
    assert text.index("zzz") < text.index("aaa")
    assert "1. " in text and "2. " in text


def test_severity_order() -> None:
    order = sorted(Severity, key=lambda s: s.rank)
    assert [s.value for s in order] == ["ok", "info", "warning", "unknown", "error"]
    assert Severity.worst([Severity.UNKNOWN, Severity.WARNING]) is Severity.UNKNOWN
