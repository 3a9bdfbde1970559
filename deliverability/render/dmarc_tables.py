"""The DMARC aggregate report tables (domains, sources, per day) as rows of plain strings,
shared by the terminal, Markdown, CSV and HTML forms of `dmarc-reports`.

Pure functions of a Report: they read the `dmarc-reports` check's `data` (its shape is
in docs/dmarc-reports.md) and never look anything up.
"""

from __future__ import annotations

from typing import Any

from deliverability.finding import Report

CHECK = "dmarc-reports"
MAX_SOURCE_ROWS = 100  # the terminal and Markdown tables; CSV and JSON hold every source
DOMAIN_HEADER = [
    "domain",
    "period",
    "reporters",
    "reports",
    "messages",
    "pass",
    "none",
    "quarantine",
    "reject",
    "p",
]
SOURCE_HEADER = [
    "ip",
    "ptr",
    "header_from",
    "messages",
    "spf",
    "dkim",
    "aligned",
    "dmarc",
    "category",
]


def report_data(report: Report) -> dict[str, Any]:
    """The `dmarc-reports` check's data, or {} when the report has none."""
    return next((c.data for c in report.checks if c.name == CHECK), {})


def domain_rows(data: dict[str, Any]) -> list[list[str]]:
    """One row per policy domain, in DOMAIN_HEADER order."""
    return [
        [
            d["domain"],
            f"{d['begin']} to {d['end']}",
            str(len(d["reporters"])),
            str(d["reports"]),
            str(d["messages"]),
            _percent(d["dmarc_pass"], d["messages"]),
            *(str(d["disposition"][k]) for k in ("none", "quarantine", "reject")),
            d["policy"]["p"] or "-",
        ]
        for d in data.get("domains", [])
    ]


def source_rows(data: dict[str, Any], limit: int | None = MAX_SOURCE_ROWS) -> list[list[str]]:
    """One row per source, most messages first, in SOURCE_HEADER order."""
    return [_source_row(s) for s in data.get("sources", [])[:limit]]


def _source_row(s: dict[str, Any]) -> list[str]:
    spf = "; ".join(f"{x['domain'] or '-'} {x['result']}" for x in s.get("spf", [])[:2])
    dkim = "; ".join(f"{x['domain']}/{x['selector'] or '-'} {x['result']}" for x in s["dkim"][:3])
    aligned = (
        ",".join(n for n, k in (("spf", "spf_aligned"), ("dkim", "dkim_aligned")) if s[k]) or "no"
    )
    return [
        s["ip"],
        s["ptr"] or "-",
        s["header_from"],
        str(s["messages"]),
        spf or "-",
        dkim or "-",
        aligned,
        f"{s['dmarc_pass']} pass / {s['dmarc_fail']} fail",
        s["category"],
    ]


def daily_rows(data: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(date, messages, DMARC pass) per day."""
    return [(d["date"], d["messages"], d["dmarc_pass"]) for d in data.get("daily", [])]


def totals_line(data: dict[str, Any]) -> str:
    """The totals in one line."""
    t = data.get("totals", {})
    if not t:
        return ""
    return (
        f"{t['reports']} reports, {t['messages']} messages, "
        f"{_percent(t['dmarc_pass'], t['messages'])} pass DMARC; {t['duplicates']} duplicates, "
        f"{t['files_failed']} files skipped"
    )


def _percent(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def percent(part: int, whole: int) -> str:
    """`part` of `whole` as a percentage with one decimal, '-' when `whole` is 0."""
    return _percent(part, whole)
