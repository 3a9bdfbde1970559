"""`dmarc-reports` in the terminal, Markdown and CSV: the findings as for every command, then
the domain and source tables and the per-day chart (terminal: bars; Markdown: a table).

CSV is one row per source (every source, not only the first hundred).
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from deliverability.finding import Report
from deliverability.render import csv as csv_format
from deliverability.render import html as html_format
from deliverability.render import markdown as markdown_format
from deliverability.render import terminal as terminal_format
from deliverability.render.dmarc_tables import (
    DOMAIN_HEADER,
    SOURCE_HEADER,
    daily_rows,
    domain_rows,
    percent,
    report_data,
    source_rows,
    totals_line,
)
from deliverability.text import clean

BAR_WIDTH = 40
CSV_HEADER = [
    "ip",
    "ptr",
    "header_from",
    "envelope_from",
    "messages",
    "dmarc_pass",
    "dmarc_fail",
    "spf_aligned",
    "dkim_aligned",
    "spf",
    "dkim",
    "none",
    "quarantine",
    "reject",
    "category",
]


def terminal(report: Report, *, verbose: bool = False) -> RenderableType:
    """Findings, then the tables and the chart, as a rich renderable."""
    data = report_data(report)
    parts: list[RenderableType] = [terminal_format.render(report, verbose=verbose)]
    if data.get("domains"):
        parts += [
            _table("Policy domains", DOMAIN_HEADER, domain_rows(data)),
            _table("Sources (most messages first)", SOURCE_HEADER, source_rows(data)),
            _chart(data),
        ]
    parts.append(Text(totals_line(data), style="dim"))
    return Group(*parts)


def _table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False)
    for column in header:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(clean(cell)) for cell in row))
    return table


def _chart(data: dict[str, Any]) -> Text:
    days = daily_rows(data)
    peak = max((m for _, m, _ in days), default=0) or 1
    text = Text("\nMessages per day (█ pass, ░ fail) and DMARC pass rate\n", style="bold")
    for day, messages, passed in days:
        good = round(BAR_WIDTH * passed / peak)
        bad = max(round(BAR_WIDTH * messages / peak) - good, 0)
        text.append(f"{day} ")
        text.append("█" * good, style="green")
        text.append("░" * bad, style="red")
        text.append(
            f"{' ' * (BAR_WIDTH - good - bad)} {messages:>8} {percent(passed, messages):>6}\n"
        )
    return text


def markdown(report: Report, *, verbose: bool = False) -> str:
    """The Markdown report with the tables appended."""
    data = report_data(report)
    lines = [markdown_format.render(report, verbose=verbose).rstrip("\n")]
    if data.get("domains"):
        lines += _md_table("Policy domains", DOMAIN_HEADER, domain_rows(data))
        lines += _md_table("Sources", SOURCE_HEADER, source_rows(data))
        lines += _md_table(
            "Per day",
            ["date", "messages", "pass rate"],
            [[d, str(m), percent(p, m)] for d, m, p in daily_rows(data)],
        )
    lines += ["", f"_{markdown_format.escape(totals_line(data))}_", ""]
    return "\n".join(lines)


def _md_table(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    esc = markdown_format.escape
    return [
        "",
        f"## {title}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(esc(cell) for cell in row) + " |" for row in rows),
    ]


def csv(report: Report, *, verbose: bool = False) -> str:
    """One row per source."""
    rows = [CSV_HEADER]
    for s in report_data(report).get("sources", []):
        rows.append(
            [
                s["ip"],
                s["ptr"] or "",
                s["header_from"],
                " ".join(s["envelope_from"]),
                *(
                    str(s[k])
                    for k in ("messages", "dmarc_pass", "dmarc_fail", "spf_aligned", "dkim_aligned")
                ),
                " ".join(f"{x['domain']}:{x['result']}" for x in s.get("spf", [])),
                " ".join(f"{x['domain']}/{x['selector']}:{x['result']}" for x in s["dkim"]),
                *(str(s["disposition"][k]) for k in ("none", "quarantine", "reject")),
                s["category"],
            ]
        )
    return csv_format.lines(rows)


def html(report: Report, *, verbose: bool = False) -> str:
    """The self-contained HTML page (render/html.py adds the tables and the SVG chart)."""
    return html_format.render(report, verbose=verbose)
