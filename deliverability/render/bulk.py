"""Bulk-run output: one document for every target, written as each one finishes.

`document(format)` gives a Document: `head()`, then `add(outcome)` per target in input
order, then `tail()`; together they are one valid file in that format, so a bulk run
writes any format and memory stays flat:
- `json`: JSON Lines, each line a full report (docs/report.schema.json) with the input
  `line`, or, for a target that could not be checked, `{"line", "domain", "failure"}`;
- `csv`: a header and one row per target (render/csv.py columns, `line` first);
- `terminal`: one line per target; the summary table goes to stderr;
- `sarif`: one log, a run per target; `junit`: one `<testsuites>`, suites per target;
- `markdown`, `github`, `concise`: each target's report one after the other;
- `gitlab`: one Code Quality list.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from rich.table import Table
from rich.text import Text

from deliverability.bulk_summary import BulkSummary, Outcome
from deliverability.finding import Severity, Target
from deliverability.lean import dataclass
from deliverability.render import csv as csv_format
from deliverability.render.github import escape_data, escape_property
from deliverability.render.json import report_to_dict
from deliverability.render.markup import escape
from deliverability.render.style import COLOURS, ICONS
from deliverability.text import clean, clean_line

BULK_FORMATS = (
    "terminal",
    "json",
    "csv",
    "sarif",
    "junit",
    "markdown",
    "github",
    "gitlab",
    "concise",
)


class Document(Protocol):
    """One output file of a bulk run, written a target at a time."""

    def head(self) -> str:
        """What comes before the first target."""
        ...

    def add(self, outcome: Outcome) -> str | Text:
        """One target's part of the document."""
        ...

    def tail(self) -> str:
        """What comes after the last target."""
        ...


def document(name: str, checks: Sequence[str], source: str, inputs: dict[str, Any]) -> Document:
    """The Document of the format `name`; `source` names the input file for failed lines."""
    from deliverability.render import renderer

    if name == "json":
        return _Lines(json_line)
    if name == "csv":
        return _Lines(lambda o: csv_line(o, checks), csv_header(checks))
    if name == "terminal":
        return _Lines(terminal_line)
    if name in ("sarif", "junit", "gitlab"):
        module = importlib.import_module(f"deliverability.render.{name}")
        return _Parts(module.Document(**inputs))
    return _Concatenated(functools.partial(renderer(name), **inputs), name, source)


@dataclass(frozen=True)
class _Lines:
    """A line per target (and a header line)."""

    line_of: Callable[[Outcome], str | Text]
    header: str = ""

    def head(self) -> str:
        return self.header

    def add(self, outcome: Outcome) -> str | Text:
        return self.line_of(outcome)

    def tail(self) -> str:
        return ""


@dataclass(frozen=True)
class _Parts:
    """A format whose document wraps its parts (SARIF runs, JUnit suites, a JSON list)."""

    parts: Any

    def head(self) -> str:
        return str(self.parts.head())

    def add(self, outcome: Outcome) -> str:
        if outcome.report is None:
            return str(
                self.parts.failure(outcome.row.line, outcome.row.domain, outcome.failure or "")
            )
        return str(self.parts.part(outcome.report))

    def tail(self) -> str:
        return str(self.parts.tail())


@dataclass(frozen=True)
class _Concatenated:
    """A format whose documents can simply follow each other (Markdown, lines)."""

    render: Callable[..., str]
    name: str
    source: str

    def head(self) -> str:
        return "# Deliverability reports\n\n" if self.name == "markdown" else ""

    def add(self, outcome: Outcome) -> str:
        if outcome.report is not None:
            return self.render(outcome.report) + ("\n" if self.name == "markdown" else "")
        where, reason = f"{self.source}:{outcome.row.line}", clean_line(outcome.failure or "")
        if self.name == "github":
            return f"::error file={escape_property(self.source)},line={outcome.row.line},title=unreadable target::{escape_data(reason)}\n"
        if self.name == "markdown":
            return f"- **{escape(where)}**: {escape(reason)}\n\n"
        return f"{where}: error {reason}\n"

    def tail(self) -> str:
        return ""


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
