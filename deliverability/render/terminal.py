"""Terminal: findings grouped by check, worst first, with evidence and numbered steps.

Built from `rich.text.Text` pieces, never from markup strings, so text from DNS
cannot inject markup; clean() removes escapes and bidi controls first.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from deliverability.finding import Finding, Report
from deliverability.render.style import COLOURS, ICONS, check_order
from deliverability.text import clean


def render(report: Report, *, verbose: bool = False) -> RenderableType:
    """The report as a rich renderable for a Console."""
    parts: list[RenderableType] = [_header(report)]
    for check in check_order(report.checks):
        title = Text("\n")
        title.append(f"{ICONS[check.status]} {check.name}", style=COLOURS[check.status])
        title.append(f"  {check.status}  ({check.duration_ms} ms)", style="dim")
        parts.append(title)
        parts += [_finding(f) for f in check.findings] or [Text("  nothing to report", style="dim")]
    if verbose:
        parts.append(_trace(report))
    if report.baseline is not None:
        from deliverability.render.comparison import terminal

        parts.append(terminal(report.baseline))
    parts.append(_footer(report))
    return Group(*parts)


def _header(report: Report) -> Text:
    t = report.target
    text = Text("Deliverability report for ", style="bold")
    text.append(clean(t.domain), style="bold cyan")
    details = [f"envelope sender {t.mail_from}"] if t.mail_from else []
    details += [f"IPs {', '.join(t.ips)}"] if t.ips else []
    details += [f"HELO {t.helo}"] if t.helo else []
    details += [f"recipient {t.recipient}"] if t.recipient else []
    text.append("\n" + clean("; ".join(details)), style="dim")
    return text


def _finding(finding: Finding) -> Text:
    colour = COLOURS[finding.severity]
    text = Text("  ")
    text.append(f"{ICONS[finding.severity]} {finding.severity.value:<7}", style=colour)
    text.append(" ")
    text.append(clean(finding.summary))
    text.append(f"\n      {finding.code} · ", style="dim")
    text.append(clean(finding.subject), style="dim")
    if finding.location:
        text.append(f" · {clean(finding.location.file)}:{finding.location.line}", style="dim")
    for line in finding.evidence:
        text.append("\n      │ ", style="dim")
        text.append(clean(line), style="italic")
    for number, step in enumerate(finding.remediation, 1):
        text.append(f"\n      {number}. ", style="bold")
        text.append(clean(step))
    return text


def _trace(report: Report) -> Table:
    table = Table(title="DNS queries", title_justify="left", show_edge=False)
    for column in ("name", "type", "outcome", "ms"):
        table.add_column(column, justify="right" if column == "ms" else "left")
    for t in report.trace:
        table.add_row(Text(clean(t.name)), t.type, Text(clean(t.outcome)), str(t.ms))
    return table


def _footer(report: Report) -> Text:
    counts = ", ".join(f"{n} {sev}" for sev, n in report.summary().items() if n)
    text = Text(f"\n{counts or 'no findings'} · {report.queries} DNS queries", style="dim")
    return text
