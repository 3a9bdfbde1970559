"""What every human-readable format shares: severity icons, colours, check order."""

from __future__ import annotations

from deliverability.finding import CheckResult, Severity

ICONS = {
    Severity.OK: "✔",
    Severity.INFO: "ℹ",
    Severity.WARNING: "⚠",
    Severity.UNKNOWN: "?",
    Severity.ERROR: "✖",
}

COLOURS = {
    Severity.OK: "green",
    Severity.INFO: "blue",
    Severity.WARNING: "yellow",
    Severity.UNKNOWN: "magenta",
    Severity.ERROR: "bold red",
}


def check_order(checks: tuple[CheckResult, ...]) -> list[CheckResult]:
    """Worst status first, then by name."""
    return sorted(checks, key=lambda c: (-c.status.rank, c.name))
