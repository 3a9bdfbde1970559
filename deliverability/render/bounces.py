"""Output of `deliverability bounce` over many bounces: one line per bounce as it is read,
and the summary by recipient domain and reason.

`--format json` writes JSON Lines (each line a full report, docs/report.schema.json);
`--format csv` a header and one row per recipient; the terminal one line per recipient.
The summary (plain rows, see checks/bounce/summary.py) is a table for stderr.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from deliverability.finding import Report
from deliverability.render import csv as csv_format
from deliverability.render.json import report_to_dict
from deliverability.render.style import COLOURS, ICONS
from deliverability.text import clean_line

CSV_COLUMNS = [
    "source",
    "format",
    "address",
    "action",
    "status",
    "reply_code",
    "remote_mta",
    "reason",
    "hard",
    "provider",
    "diagnostic",
]


def json_line(report: Report) -> str:
    """The report as one line of JSON."""
    return json.dumps(report_to_dict(report), ensure_ascii=False, separators=(",", ":")) + "\n"


def csv_header() -> str:
    """The header line of the CSV output."""
    return csv_format.lines([CSV_COLUMNS])


def csv_rows(report: Report) -> str:
    """One CSV row per recipient of the report's bounce."""
    data = _data(report)
    rows = [
        [
            _cell(value)
            for value in (
                data.get("source"),
                data.get("format"),
                *(r.get(k) for k in CSV_COLUMNS[2:]),
            )
        ]
        for r in data.get("recipients", [])
    ]
    return csv_format.lines(
        rows
        or [[_cell(data.get("source")), _cell(data.get("format"))] + [""] * (len(CSV_COLUMNS) - 2)]
    )


def terminal_line(report: Report) -> Text:
    """One line per recipient: status, address, reason, codes, provider, where it came from."""
    data = _data(report)
    text = Text()
    severity = {f.subject: f.severity for c in report.checks for f in c.findings}
    for recipient in data.get("recipients", []) or [{}]:
        address = recipient.get("address") or "-"
        status = severity.get(address if recipient else data.get("source", ""), report.status)
        text.append(
            f"{ICONS[status]} {recipient.get('reason') or data.get('kind', '-'):<15} ",
            style=COLOURS[status],
        )
        text.append(clean_line(address), style="bold")
        codes = " ".join(filter(None, (recipient.get("reply_code"), recipient.get("status"))))
        text.append(f"  {codes or '-'}  {recipient.get('provider') or ''}  ", style="dim")
        text.append(clean_line(data.get("source", "")) + "\n", style="dim")
    text.rstrip()
    return text


def summary_table(
    rows: list[dict[str, Any]], *, messages: int, unreadable: int, kinds: dict[str, int]
) -> Text:
    """Bounces by recipient domain and reason, most first, each with the command to run.
    Plain aligned lines, not a table: the commands stay whole for copying at any width."""
    others = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()) if kind != "bounce" and n)
    title = f"{messages} messages read" + (f" ({others})" if others else "")
    if unreadable:
        title += f", {unreadable} unreadable"
    text = Text(title + "\n", style="bold")
    width = max((len(clean_line(r["domain"])) for r in rows), default=0)
    for row in rows:
        text.append(f"{row['count']:>7} ", style="bold")
        text.append(f"{clean_line(row['domain']):<{width}}  {row['reason']:<15} ")
        text.append(f"{row['hard']} hard  {clean_line(row['provider'] or '-'):<10} ", style="dim")
        text.append(clean_line(row["command"] or "-") + "\n")
    text.rstrip()
    return text


def _data(report: Report) -> dict[str, Any]:
    return next((c.data for c in report.checks if c.name == "bounce"), {})


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
