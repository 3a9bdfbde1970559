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
from deliverability.render.json import report_to_dict


def run_direct(resolver: str, target: Target, *, only: tuple[str, ...],
               profile: SenderProfile = NO_PROFILE,
               check_options: dict[str, dict[str, Any]] | None = None,
               http: HttpSettings | None = None, secrets: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run the checks named in `only` against `resolver`; the report as JSON data."""
    session = Session(
        target=target, dns=DnsClient(nameservers=[resolver], timeout=1, secrets=secrets),
        profile=profile, check_options=check_options or {},
        http_settings=http or HttpSettings(),
    )
    specs = [spec for spec in load_checks() if spec.name in only]
    report = asyncio.run(run_checks(specs, session, EngineOptions(raise_crashes=True)))
    return report_to_dict(report)


def codes_of(report: dict[str, Any]) -> set[tuple[str, str]]:
    """(code, severity) of every finding in a report dict."""
    return {(f["code"], f["severity"]) for c in report["checks"].values() for f in c["findings"]}
