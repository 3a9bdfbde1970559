"""Run checks in this process over a Session a test builds itself.

For what the CLI deliberately cannot set: HTTPS settings (a loopback port and a
throwaway CA) and a sender profile object. Same engine, same DNS client, same JSON.
"""

from __future__ import annotations

import asyncio
from typing import Any

from deliverability.context import HttpSettings, Session
from deliverability.net.dns import DnsClient
from deliverability.engine import EngineOptions, run_checks
from deliverability.finding import Target
from deliverability.profile import NO_PROFILE, SenderProfile
from deliverability.registry import load_checks
from deliverability.remedy import verify
from deliverability.render.json import report_to_dict


def run_direct(resolver: str, target: Target, *, only: tuple[str, ...],
               profile: SenderProfile = NO_PROFILE,
               check_options: dict[str, dict[str, Any]] | None = None,
               http: HttpSettings | None = None, secrets: tuple[str, ...] = (),
               verified: bool = False) -> dict[str, Any]:
    """Run the checks named in `only` against `resolver`; the report as JSON data.
    `verified`: the proposed changes verified as `check` does (remedy.verify)."""
    def session(dns: DnsClient) -> Session:
        return Session(target=target, dns=dns, profile=profile,
                       check_options=check_options or {}, http_settings=http or HttpSettings())

    specs = [spec for spec in load_checks() if spec.name in only]
    options = EngineOptions(raise_crashes=True)

    async def run() -> Any:
        dns = DnsClient(nameservers=[resolver], timeout=1, secrets=secrets)
        first = session(dns)
        report = await run_checks(specs, first, options)
        if not verified:
            return report

        async def rerun(patched: DnsClient, names: tuple[str, ...]) -> Any:
            return await run_checks([s for s in specs if s.name in names], first.over(patched),
                                    options)

        return await verify(report, dns, rerun, profile)

    return report_to_dict(asyncio.run(run()))


def codes_of(report: dict[str, Any]) -> set[tuple[str, str]]:
    """(code, severity) of every finding in a report dict."""
    return {(f["code"], f["severity"]) for c in report["checks"].values() for f in c["findings"]}
