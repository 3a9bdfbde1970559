"""HTML: one self-contained page (inline CSS, the chart as inline SVG), no scripts and no
external requests, safe to open from a ticket or mail it.

Every string passes clean() then html.escape(); a Content-Security-Policy meta tag
forbids scripts and remote loads even if a browser met something we missed. For
`dmarc-reports` the domain and source tables and the per-day chart follow the findings.
"""

from __future__ import annotations

from html import escape as html_escape

from deliverability.finding import Finding, Report
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
from deliverability.render.document import Block, Kind, document, verdict_blocks
from deliverability.render.style import ICONS, check_order
from deliverability.text import clean
from deliverability.verdict import verdict

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_STYLE = """body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#f3f3f3}.error{color:#b00}.warning{color:#a60}.unknown{color:#808}.ok{color:#070}
.info{color:#05a}.code{color:#666;font-size:90%}"""
CHART_WIDTH, CHART_HEIGHT = 720, 200


def esc(text: object) -> str:
    """`text` cleaned of control characters and escaped for HTML text and attributes."""
    return html_escape(clean(text), quote=True)


def render(report: Report, *, verbose: bool = False, quiet: bool = False) -> str:
    """The whole page: the letter of a guide run, or the verdict and then the findings."""
    if report.kind == "letter" and not quiet:
        doc = document(report, verbose=verbose)
        return _page(esc(doc.title), [f"<h1>{esc(doc.title)}</h1>", *map(_block, doc.blocks)])
    title = f"Deliverability report: {esc(report.target.title)}"
    body = [f"<h1>{title}</h1>", *map(_block, verdict_blocks(verdict(report)))]
    for check in [] if quiet else check_order(report.checks):
        body.append(
            f'<h2 class="{check.status.value}">{ICONS[check.status]} {esc(check.name)}: '
            f"{check.status.value}</h2>"
        )
        body += [_finding(f) for f in check.findings] or ["<p>nothing to report</p>"]
    body += [] if quiet else _dmarc(report)
    counts = ", ".join(f"{n} {sev}" for sev, n in report.summary().items() if n)
    body.append(
        f"<p><small>{esc(counts or 'no findings')}; {report.queries} DNS queries; "
        f"deliverability {esc(report.tool_version)}</small></p>"
    )
    return _page(title, body)


def _page(title: str, body: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _block(block: Block) -> str:
    """One document block as HTML; every string escaped."""
    if block.kind is Kind.HEADING:
        return f"<h2>{esc(block.text)}</h2>"
    if block.kind is Kind.NOTE:
        notes = "<br>".join(esc(t) for t in block.items or (block.text,))
        return f"<p><small>{notes}</small></p>"
    if block.kind in (Kind.BULLETS, Kind.NUMBERED):
        tag = "ol" if block.kind is Kind.NUMBERED else "ul"
        return f"<{tag}>" + "".join(f"<li>{esc(i)}</li>" for i in block.items) + f"</{tag}>"
    if block.kind is Kind.TABLE:
        header, *rows = block.rows
        return _table(list(header), [list(row) for row in rows])
    return f"<p>{esc(block.text)}</p>"


def _finding(finding: Finding) -> str:
    sev = finding.severity.value
    parts = [
        f'<div class="finding"><p><b class="{sev}">{ICONS[finding.severity]} {sev}</b> '
        f'{esc(finding.summary)}<br><span class="code">{esc(finding.code)} · '
        f"{esc(finding.subject)}</span></p>"
    ]
    if finding.evidence:
        parts.append("<ul>" + "".join(f"<li>{esc(e)}</li>" for e in finding.evidence) + "</ul>")
    if finding.remediation:
        parts.append("<ol>" + "".join(f"<li>{esc(r)}</li>" for r in finding.remediation) + "</ol>")
    return "".join(parts) + "</div>"


def _dmarc(report: Report) -> list[str]:
    data = report_data(report)
    if not data.get("domains"):
        return []
    return [
        "<h2>Policy domains</h2>",
        _table(DOMAIN_HEADER, domain_rows(data)),
        "<h2>Messages per day</h2>",
        chart_svg(daily_rows(data)),
        "<h2>Sources (most messages first)</h2>",
        _table(SOURCE_HEADER, source_rows(data)),
        f"<p>{esc(totals_line(data))}</p>",
    ]


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def chart_svg(days: list[tuple[str, int, int]]) -> str:
    """Stacked bars (pass green, fail red) per day, with the pass rate in each bar's title."""
    if not days:
        return "<p>no days</p>"
    peak = max(m for _, m, _ in days) or 1
    step = CHART_WIDTH / len(days)
    bars = []
    for index, (day, messages, passed) in enumerate(days):
        x, width = index * step, max(step - 2, 1)
        h_all, h_pass = CHART_HEIGHT * messages / peak, CHART_HEIGHT * passed / peak
        label = esc(f"{day}: {messages} messages, {percent(passed, messages)} pass")
        bars.append(
            f"<g><title>{label}</title>"
            f'<rect x="{x:.1f}" y="{CHART_HEIGHT - h_all:.1f}" width="{width:.1f}" '
            f'height="{h_all - h_pass:.1f}" fill="#d55"/>'
            f'<rect x="{x:.1f}" y="{CHART_HEIGHT - h_pass:.1f}" width="{width:.1f}" '
            f'height="{h_pass:.1f}" fill="#5a5"/></g>'
        )
    axis = (
        f'<text x="0" y="{CHART_HEIGHT + 14}" font-size="11">{esc(days[0][0])}</text>'
        f'<text x="{CHART_WIDTH}" y="{CHART_HEIGHT + 14}" font-size="11" text-anchor="end">'
        f"{esc(days[-1][0])}</text>"
    )
    return (
        f'<svg width="{CHART_WIDTH}" '
        f'height="{CHART_HEIGHT + 20}" role="img" aria-label="messages per day">'
        + "".join(bars)
        + axis
        + "</svg>"
    )
