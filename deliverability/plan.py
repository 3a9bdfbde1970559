"""A run plan: validated settings (checks, selection, DNS, profile), ready to check targets.

`cli.running.prepare_run()` validates the user's settings once and returns a plan; the plan
then checks one target (`check DOMAIN`) or many over one shared DNS cache
(`check --from-file`, see bulk.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import field, replace
from typing import Any

from deliverability.context import Session
from deliverability.engine import EngineOptions, run_checks
from deliverability.finding import Report, ReportKind, Target
from deliverability.lean import dataclass
from deliverability.net.dns import DEFAULT_MAX_IN_FLIGHT, DnsClient
from deliverability.net.zones import ZoneSet
from deliverability.profile import NO_PROFILE, SenderProfile
from deliverability.registry import CheckSpec
from deliverability.remedy import verify


@dataclass(frozen=True, kw_only=True)
class RunPlan:
    """Everything a run needs except the target."""

    specs: list[CheckSpec]
    options: EngineOptions
    nameservers: list[str] = field(default_factory=list)
    timeout: float = 5.0
    zones: ZoneSet = field(default_factory=ZoneSet)
    offline: bool = False
    secrets: list[str] = field(default_factory=list)
    profile: SenderProfile = NO_PROFILE
    check_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    qps: float | None = None  # queries per second to each resolver; None: no cap

    @property
    def check_names(self) -> list[str]:
        """The checks this plan runs, in report order."""
        return [spec.name for spec in self.specs if self.options.selection.runs(spec)]

    def new_dns(self, max_cached: int | None = None) -> DnsClient:
        """A DNS client with this plan's resolver, timeout, zones and secrets."""
        return DnsClient(
            nameservers=self.nameservers,
            timeout=self.timeout,
            zones=self.zones,
            offline=self.offline,
            secrets=self.secrets,
            max_cached=max_cached,
            qps=self.qps,
        )

    def throttled(self, qps: float | None, *, targets_at_once: int) -> RunPlan:
        """This plan capped at `qps` (None: no cap). A check's time limit grows by the
        longest a full set of in-flight lookups can wait for their turn."""
        if qps is None:
            return replace(self, qps=None)
        waiting = targets_at_once * DEFAULT_MAX_IN_FLIGHT / qps
        limit = self.options.check_timeout + waiting
        return replace(self, qps=qps, options=replace(self.options, check_timeout=limit))

    async def run(
        self,
        target: Target,
        dns: DnsClient | None = None,
        message: Any = None,
        kind: ReportKind = ReportKind.REPORT,
    ) -> Report:
        """Check `target`, over `dns` when given (a view of a shared client) or a new client;
        `message` is the evidence a command's own check reads, `kind` what the report is.
        The DNS changes the checks propose are verified (remedy.py) before it is returned."""
        dns = dns or self.new_dns()
        session = self._session(target, dns, message)
        report = await run_checks(self.specs, session, self.options)

        async def rerun(patched: DnsClient, names: tuple[str, ...]) -> Report:
            specs = [spec for spec in self.specs if spec.name in names]
            return await run_checks(specs, session.over(patched), self.options)

        return dataclasses.replace(await verify(report, dns, rerun, self.profile), kind=kind)

    def _session(self, target: Target, dns: DnsClient, message: Any) -> Session:
        return Session(
            target=target,
            dns=dns,
            profile=self.profile,
            check_options=self.check_options,
            message=message,
        )
