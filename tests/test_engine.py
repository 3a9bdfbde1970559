"""The engine: checks run side by side; a crash or escaped lookup failure is `unknown`."""

from __future__ import annotations

import asyncio
import types

from deliverability.context import Session
from deliverability.net.dns import DnsClient
from deliverability.engine import EngineOptions, run_checks
from deliverability.finding import Finding, Severity, Target
from deliverability.registry import validate_check


def make_check(name: str, body):  # type: ignore[no-untyped-def]
    module = types.ModuleType(name)
    module.NAME = name
    module.CODES = {f"{name}.ok": "fine"}
    module.run = body
    return validate_check(name, module)


async def fine(ctx):  # type: ignore[no-untyped-def]
    await asyncio.sleep(0.2)
    return [Finding(code=f"{ctx.name}.ok", severity=Severity.OK, subject="d.test", summary="ok")]


async def crash(ctx):  # type: ignore[no-untyped-def]
    raise ZeroDivisionError("boom")


async def lookup(ctx):  # type: ignore[no-untyped-def]
    await ctx.dns.query("not-in-any-zone.test", "TXT")
    return []


def run(*specs, check_timeout: float = 5.0):  # type: ignore[no-untyped-def]
    session = Session(target=Target(domain="d.test"), dns=DnsClient(offline=True))
    options = EngineOptions(check_timeout=check_timeout)
    return asyncio.run(run_checks(list(specs), session, options))


def test_a_crashing_check_is_unknown_and_the_others_still_report() -> None:
    report = run(make_check("good", fine), make_check("bad", crash))
    by_name = {c.name: c for c in report.checks}
    assert [f.code for f in by_name["good"].findings] == ["good.ok"]
    [crashed] = by_name["bad"].findings
    assert (crashed.code, crashed.severity) == ("bad.crashed", Severity.UNKNOWN)
    assert "ZeroDivisionError" in crashed.summary


def test_an_escaped_lookup_failure_is_unknown_with_the_reason() -> None:
    [failed] = run(make_check("dnsy", lookup)).checks[0].findings
    assert (failed.code, failed.severity) == ("dnsy.lookup-failed", Severity.UNKNOWN)
    assert "offline" in failed.summary


def test_checks_run_concurrently() -> None:
    running, most = 0, 0

    async def counted(ctx):  # type: ignore[no-untyped-def]
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.05)
        running -= 1
        return []

    run(*(make_check(f"c{i}", counted) for i in range(5)))
    assert most == 5


def test_a_check_over_its_time_limit_is_unknown() -> None:
    [late] = run(make_check("slow", fine), check_timeout=0.05).checks[0].findings
    assert (late.code, late.severity) == ("slow.timed-out", Severity.UNKNOWN)
