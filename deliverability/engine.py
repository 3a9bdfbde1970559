"""Run the selected checks concurrently over one session and build the Report.

A check's escaped LookupFailed, timeout or crash becomes one `unknown` finding
(`<check>.lookup-failed`, `.timed-out`, `.crashed`) naming the reason, so one broken
check never sinks the report. Set `raise_crashes` (tests do) to see the traceback.
"""

from __future__ import annotations

import asyncio
import logging
import time

from deliverability import __version__
from deliverability.context import Context, Session
from deliverability.finding import CheckResult, Finding, Report, Severity, sort_findings
from deliverability.lean import dataclass
from deliverability.net.dns import LookupFailed
from deliverability.registry import CheckSpec, Selection

log = logging.getLogger(__name__)

DEFAULT_CHECK_TIMEOUT = 60.0


@dataclass(frozen=True, kw_only=True)
class EngineOptions:
    """How checks are run."""

    selection: Selection = Selection()
    check_timeout: float = DEFAULT_CHECK_TIMEOUT
    raise_crashes: bool = False


async def run_checks(
    specs: list[CheckSpec], session: Session, options: EngineOptions = EngineOptions()
) -> Report:
    """Run every selected check side by side and return the report."""
    chosen = [spec for spec in specs if options.selection.runs(spec)]
    loop = asyncio.get_running_loop()
    for spec in chosen:
        session.results[spec.name] = loop.create_future()
    try:
        results = await asyncio.gather(*(_run_one(spec, session, options) for spec in chosen))
    finally:
        await session.close()
    return Report(
        tool_version=__version__,
        target=session.target,
        checks=tuple(results),
        trace=tuple(session.dns.trace),
        queries=session.dns.queries,
        failed_queries=session.dns.failed,
        answered_queries=session.dns.answered,
        resolvers=session.dns.resolver_names,
    )


async def _run_one(spec: CheckSpec, session: Session, options: EngineOptions) -> CheckResult:
    ctx = Context(
        name=spec.name,
        session=session,
        options={**spec.defaults, **session.check_options.get(spec.name, {})},
        needs=spec.needs,
    )
    started = time.perf_counter()
    findings = await _findings_of(spec, ctx, options)
    wanted = [f for f in findings if options.selection.wants(f.code)]
    result = CheckResult(
        name=spec.name,
        findings=sort_findings(wanted),
        duration_ms=round((time.perf_counter() - started) * 1000),
        data=ctx.data,
    )
    session.results[spec.name].set_result(result)
    return result


async def _findings_of(spec: CheckSpec, ctx: Context, options: EngineOptions) -> list[Finding]:
    subject = ctx.target.domain
    try:
        # in this task, not wait_for's own: one task fewer for every check of every target
        async with asyncio.timeout(options.check_timeout):
            findings = await spec.run(ctx)
    except LookupFailed as exc:
        summary = f"A DNS lookup failed: {exc}"
        if ctx.dns.offline:
            return [_unknown(spec, "lookup-failed", subject, summary, _OFFLINE_FIX)]
        return [_unknown(spec, "lookup-failed", subject, summary)]
    except TimeoutError:
        limit = f"{options.check_timeout:g}s"
        return [_unknown(spec, "timed-out", subject, f"The check did not finish within {limit}")]
    except Exception as exc:
        if options.raise_crashes:
            raise
        log.debug("check %s crashed", spec.name, exc_info=True)
        reason = f"The check crashed: {type(exc).__name__}: {exc}"
        return [_unknown(spec, "crashed", subject, reason)]
    unknown_codes = [f.code for f in findings if f.code not in spec.all_codes]
    if unknown_codes and options.raise_crashes:
        raise AssertionError(f"check {spec.name} reported undeclared codes {unknown_codes}")
    return list(findings)


_RETRY_FIX = "Run the check again; if it persists, check the resolver (--resolver) and --timeout."
_OFFLINE_FIX = "Add the --zone-file that holds the name, or run without --offline."


def _unknown(
    spec: CheckSpec, suffix: str, subject: str, summary: str, fix: str = _RETRY_FIX
) -> Finding:
    return Finding(
        code=f"{spec.name}.{suffix}",
        severity=Severity.UNKNOWN,
        subject=subject,
        summary=summary,
        remediation=(fix,),
    )
