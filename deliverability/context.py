"""What a check may touch: the target, its own options, the shared DNS and HTTP seams.

One `Session` per run holds the shared parts (DNS client, HTTP client, sender
profile, the other checks' results); each check gets its own `Context` view of it
with its options and a `data` dict it fills for the JSON report.
"""

from __future__ import annotations

import asyncio
from dataclasses import field
from typing import Any

from deliverability.finding import CheckResult, Target
from deliverability.lean import dataclass
from deliverability.net.dns import DnsClient
from deliverability.net.https import HttpSettings, HttpsFetcher
from deliverability.profile import NO_PROFILE, SenderProfile

__all__ = ["Context", "HttpSettings", "Session"]


@dataclass(kw_only=True)
class Session:
    """The shared state of one run."""

    target: Target
    dns: DnsClient
    profile: SenderProfile = NO_PROFILE
    http_settings: HttpSettings = field(default_factory=HttpSettings)
    check_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    message: Any = None  # deliverability.checks.message.parse.ParsedMessage for `message`
    results: dict[str, asyncio.Future[CheckResult]] = field(default_factory=dict)
    _https: HttpsFetcher | None = None

    @property
    def https(self) -> HttpsFetcher:
        """The run's HTTPS fetcher, made on first use."""
        if self._https is None:
            self._https = HttpsFetcher(self.dns, self.http_settings)
        return self._https

    async def close(self) -> None:
        """Release the HTTP client, if one was made."""
        if self._https is not None:
            await self._https.close()

    def over(self, dns: DnsClient) -> Session:
        """This run's session over `dns` (edited records, for a re-check): same target,
        profile and options; HTTPS answered from the fetches this run made, none made anew."""
        return Session(
            target=self.target,
            dns=dns,
            profile=self.profile,
            http_settings=self.http_settings,
            check_options=self.check_options,
            message=self.message,
            _https=self.https.replaying(dns),
        )


@dataclass(kw_only=True)
class Context:
    """A check's view of the run. `data` is what the check reports as structured facts."""

    name: str
    session: Session
    options: dict[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> Target:
        """The domain, IPs and identities this run is about."""
        return self.session.target

    @property
    def dns(self) -> DnsClient:
        """The shared, caching DNS client."""
        return self.session.dns

    @property
    def https(self) -> HttpsFetcher:
        """The shared HTTPS fetch (public addresses, no redirects, capped, timed)."""
        return self.session.https

    @property
    def profile(self) -> SenderProfile:
        """The sender profile; NO_PROFILE (all values empty, `loaded` False) when none was given."""
        return self.session.profile

    async def result_of(self, check: str) -> CheckResult | None:
        """The result of another check this one declared in NEEDS; None if not run."""
        if check not in self.needs:
            raise RuntimeError(f"check {self.name!r} must list {check!r} in NEEDS to read it")
        future = self.session.results.get(check)
        return await asyncio.shield(future) if future is not None else None
