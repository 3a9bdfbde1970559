"""CSV: one row per target with its key figures, for spreadsheets and bulk runs.

Columns: the target, its overall status, the count of findings per severity, the
DNS queries made, one status column per check, the codes of the problems found,
and `failure` (why a bulk target could not be checked at all). A cell that a
spreadsheet would read as a formula (`=`, `+`, `-`, `@` first) gets a leading `'`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from deliverability.finding import Report, Severity, Target
from deliverability.text import clean_line

FIXED = [
    "domain",
    "ips",
    "mail_from",
    "status",
    "error",
    "warning",
    "unknown",
    "info",
    "ok",
    "dns_queries",
]
TAIL = ["problem_codes", "failure"]


def render(report: Report, *, verbose: bool = False) -> str:
    """A header line and the report's row."""
    checks = [check.name for check in report.checks]
    return lines([header(checks), row(report, checks)])


def header(checks: Sequence[str]) -> list[str]:
    """The column names for a run of `checks`."""
    return FIXED + list(checks) + TAIL


def row(report: Report, checks: Sequence[str]) -> list[str]:
    """One report's key figures, in `header(checks)` order."""
    counts = report.summary()
    status = {check.name: check.status.value for check in report.checks}
    problems = [f.code for f in report.findings if f.severity.rank > Severity.INFO.rank]
    return [
        *_target_cells(report.target),
        report.status.value,
        *(str(counts[s]) for s in ("error", "warning", "unknown", "info", "ok")),
        str(report.queries),
        *(status.get(name, "") for name in checks),
        " ".join(dict.fromkeys(problems)),
        "",
    ]


def failure_row(target: Target, reason: str, checks: Sequence[str]) -> list[str]:
    """The row of a target that could not be checked, saying why."""
    blank = [""] * (len(FIXED) - 4 + len(checks) + 1)
    return [*_target_cells(target), "failed", *blank, reason]


def lines(rows: Iterable[Sequence[str]]) -> str:
    """`rows` as CSV text (RFC 4180 quoting, `\\n` line ends), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for cells in rows:
        writer.writerow([_safe(cell) for cell in cells])
    return out.getvalue()


def _target_cells(target: Target) -> list[str]:
    return [target.domain, " ".join(target.ips), target.mail_from]


def _safe(cell: str) -> str:
    cell = clean_line(cell)
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell
