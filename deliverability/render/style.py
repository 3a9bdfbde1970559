"""What every human-readable format shares: severity icons, colours, check order."""

from __future__ import annotations

import re

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


# A run of base64 this long is a key or a certificate: nobody reads it in a report.
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{64,}")
# "NAME. TXT "..."" or "NAME. MX 10 host." inside a step: the record a user copies.
_RECORD = re.compile(
    r'\S+\.\s+(?:IN\s+)?(?:TXT\s+"[^"]*"(?:\s*"[^"]*")*'
    r"|(?:MX|CNAME|A|AAAA|PTR)\s+(?:\d+\s+)?(?:<[^>]*>|[^\s,;]+))"
)


def shorten(text: str) -> str:
    """`text` with each key-length token cut to its start and its length."""
    return _LONG_TOKEN.sub(lambda m: f"{m.group()[:16]}…({len(m.group())} chars)", text)


def split_record(step: str) -> tuple[str, str, str]:
    """A step as (text before, the record to copy, text after); ('', '', '') parts absent."""
    match = _RECORD.search(step)
    if match is None:
        return step, "", ""
    before, after = step[: match.start()].rstrip(), step[match.end() :].strip()
    after = "" if after in (".", ",", ";") else after
    return before, match.group(), after
