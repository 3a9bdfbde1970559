"""The summary of many bounces: counts by recipient domain and reason, with the provider
and the command to run per domain, so a thousand bounces become a short list to act on.

Only counters are kept (one entry per domain and reason), never the bounces themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import field
from typing import Any

from deliverability.finding import Report
from deliverability.lean import dataclass

MAX_GROUPS = 10_000  # distinct (domain, reason) pairs counted; the rest fold into "other"
_COMMAND = re.compile(r"`(deliverability [^`]+)`")


@dataclass(kw_only=True)
class BounceSummary:
    """Running totals of a bounce run; small whatever the number of bounces."""

    messages: int = 0
    unreadable: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    groups: Counter[tuple[str, str]] = field(default_factory=Counter)
    hard: Counter[tuple[str, str]] = field(default_factory=Counter)
    provider: dict[tuple[str, str], str] = field(default_factory=dict)
    command: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, report: Report) -> None:
        """Count one bounce's report."""
        self.messages += 1
        result = next((c for c in report.checks if c.name == "bounce"), None)
        if result is None:
            return
        self.kinds[str(result.data.get("kind"))] += 1
        commands = {f.subject: _command(f.remediation) for f in result.findings}
        for recipient in result.data.get("recipients", []):
            self._add_recipient(recipient, commands.get(recipient.get("address") or "recipient"))

    def _add_recipient(self, recipient: dict[str, Any], command: str | None) -> None:
        address = recipient.get("address") or ""
        key = (address.rpartition("@")[2].lower() or "-", str(recipient.get("reason")))
        if key not in self.groups and len(self.groups) >= MAX_GROUPS:
            key = ("(other)", key[1])
        self.groups[key] += 1
        self.hard[key] += bool(recipient.get("hard"))
        if recipient.get("provider"):
            self.provider.setdefault(key, recipient["provider"])
        if command:
            self.command.setdefault(key, command)

    def rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Groups, most bounces first: domain, reason, count, hard, provider, command."""
        return [
            {
                "domain": domain,
                "reason": reason,
                "count": count,
                "hard": self.hard[(domain, reason)],
                "provider": self.provider.get((domain, reason)),
                "command": self.command.get((domain, reason)),
            }
            for (domain, reason), count in self.groups.most_common(limit)
        ]


def _command(remediation: tuple[str, ...]) -> str | None:
    """The first command of the next steps, else the first step's first sentence."""
    for line in remediation:
        match = _COMMAND.search(line)
        if match:
            return match.group(1)
    return remediation[0].split(". ", 1)[0].rstrip(".") if remediation else None
