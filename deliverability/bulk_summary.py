"""The values a bulk run produces: each target's outcome and the running totals.

Kept apart from bulk.py (which reads targets and runs DNS) so renderers can know
them without importing the code that does I/O.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import field

from deliverability.finding import Report, Severity, Target
from deliverability.lean import dataclass


@dataclass(frozen=True, kw_only=True)
class Row:
    """One target line of the file: the Target, or why the line is not one."""

    line: int
    domain: str  # as written in the file (untrusted: renderers clean it)
    target: Target | None = None
    problem: str | None = None


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One target's result: its report, or why it could not be checked."""

    row: Row
    report: Report | None = None
    failure: str | None = None


@dataclass(kw_only=True)
class BulkSummary:
    """Running totals of a bulk run; small whatever the number of targets."""

    started: float = field(default_factory=time.perf_counter)
    targets: int = 0
    status: Counter[str] = field(default_factory=Counter)  # worst severity, or "failed"
    codes: Counter[str] = field(default_factory=Counter)  # targets per problem code
    queries: int = 0
    failed_queries: int = 0  # of `queries`, those no resolver answered
    answered_queries: int = 0
    resolvers: tuple[str, ...] = ()
    failures: list[str] = field(default_factory=list)  # the first few, for the summary
    failing: int = 0  # targets at or above --fail-on, or not checked (the caller counts)
    interrupted: bool = False

    def add(self, outcome: Outcome) -> None:
        """Count one finished target."""
        report = outcome.report
        if report is None:
            self.add_failure(outcome.row.line, outcome.failure or "")
            return
        self.failed_queries += report.failed_queries
        self.answered_queries += report.answered_queries
        self.resolvers = self.resolvers or report.resolvers
        problems = {f.code for f in report.findings if f.severity.rank > Severity.INFO.rank}
        self.add_result(report.status.value, report.queries, problems)

    def add_result(self, status: str, queries: int, problems: Iterable[str]) -> None:
        """Count one checked target: its worst status, queries and problem codes."""
        self.targets += 1
        self.status[status] += 1
        self.queries += queries
        self.codes.update(set(problems))

    def add_failure(self, line: int, failure: str) -> None:
        """Count one target that could not be checked (the first few are kept, to show)."""
        self.targets += 1
        self.status["failed"] += 1
        if len(self.failures) < 10:
            self.failures.append(f"line {line}: {failure}")

    @property
    def seconds(self) -> float:
        """Wall time since the run started."""
        return time.perf_counter() - self.started
