"""Bulk-run output: one line per target as it finishes, and the summary table.

`--format json` writes JSON Lines: each line `{"line", ...}`, the target's line in the
input file followed by its full report (docs/report.schema.json), or, for a target
that could not be checked, `{"line", "domain", "failure"}`. `--format csv` writes a
header and one row per target: `line`, then render/csv.py's columns.
The terminal gets one line per target. The summary table goes to stderr.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from deliverability.bulk_summary import BulkSummary, Outcome
from deliverability.finding import Severity, Target
from deliverability.render import csv as csv_format
from deliverability.render.json import report_to_dict
from deliverability.render.style import COLOURS, ICONS
from deliverability.text import clean, clean_line


def json_line(outcome: Outcome) -> str:
    """The outcome as one line of JSON."""
    if outcome.report is None:
        data = {
            "line": outcome.row.line,
            "domain": clean(outcome.row.domain),
            "failure": clean(outcome.failure or ""),
        }
    else:
        data = {"line": outcome.row.line, **report_to_dict(outcome.report)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def csv_header(checks: Sequence[str]) -> str:
    """The bulk CSV header: `line` (in the input file), then render/csv.py's columns."""
    return csv_format.lines([["line", *csv_format.header(checks)]])


def csv_line(outcome: Outcome, checks: Sequence[str]) -> str:
    """The outcome as one CSV row in `csv_header(checks)` order."""
    line = str(outcome.row.line)
    if outcome.report is None:
        target = outcome.row.target or Target(domain=outcome.row.domain)
        failed = csv_format.failure_row(target, outcome.failure or "", checks)
        return csv_format.lines([[line, *failed]])
    return csv_format.lines([[line, *csv_format.row(outcome.report, checks)]])


def terminal_line(outcome: Outcome) -> Text:
    """One line: status, domain, counts and the problem codes."""
    if outcome.report is None:
        text = Text(f"{ICONS[Severity.UNKNOWN]} failed  ", style="bold magenta")
        text.append(clean_line(outcome.row.domain or f"line {outcome.row.line}"), style="bold")
        text.append(f"  {clean_line(outcome.failure or '')}")
        return text
    report = outcome.report
    status = report.status
    text = Text(f"{ICONS[status]} {status.value:<7} ", style=COLOURS[status])
    text.append(clean_line(report.target.domain), style="bold")
    counts = ", ".join(f"{n} {sev}" for sev, n in report.summary().items() if n and sev != "ok")
    problems = [f.code for f in report.findings if f.severity.rank > Severity.INFO.rank]
    text.append(f"  {counts or 'all ok'}", style="dim")
    if problems:
        text.append("  " + " ".join(dict.fromkeys(problems)))
    return text


def summary_table(summary: BulkSummary) -> Table:
    """Targets per status, the most common problems, queries and time."""
    title = f"{summary.targets} targets checked in {summary.seconds:.1f}s, {summary.queries} DNS queries"
    if summary.interrupted:
        title += " (interrupted)"
    table = Table(title=title, title_justify="left", show_edge=False)
    table.add_column("worst status / problem found")
    table.add_column("targets", justify="right")
    for status in [*(s.value for s in reversed(Severity)), "failed"]:
        if summary.status[status]:
            style = COLOURS[Severity(status)] if status != "failed" else "magenta"
            table.add_row(Text(status, style=style), str(summary.status[status]))
    table.add_section()
    for code, count in summary.codes.most_common(10):
        table.add_row(Text(code, style="dim"), str(count))
    table.add_section()
    for failure in summary.failures:
        table.add_row(Text(clean_line(failure), style="magenta"), "")
    return table
