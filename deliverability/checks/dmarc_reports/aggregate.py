"""Reports -> sources per (ip, header_from), totals, per-domain and per-day figures.

A `Corpus` is fed one report at a time (`add`), keeping only counts, so memory grows
with the number of distinct sources and reports, never with the rows read. The same
report received twice (same org and report id) is counted once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import field
from datetime import date, timedelta

from deliverability.checks.dmarc_reports.classify import majority, row_category
from deliverability.checks.dmarc_reports.model import (
    DISPOSITIONS,
    AggregateReport,
    Category,
    FileOutcome,
    Policy,
    Row,
)
from deliverability.lean import dataclass

MAX_DAYS_SPREAD = 31  # a longer span is counted on its first day


@dataclass(kw_only=True)
class Source:
    """What the reports say about mail from one IP with one From domain."""

    ip: str
    header_from: str
    messages: int = 0
    dmarc_pass: int = 0
    spf_aligned: int = 0
    dkim_aligned: int = 0
    envelope_from: Counter[str] = field(default_factory=Counter)
    spf: Counter[tuple[str, str]] = field(default_factory=Counter)  # (domain, result)
    dkim: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (d, s, result)
    disposition: Counter[str] = field(default_factory=Counter)
    categories: Counter[Category] = field(default_factory=Counter)  # messages per row category

    @property
    def dmarc_fail(self) -> int:
        """Messages that failed DMARC."""
        return self.messages - self.dmarc_pass

    @property
    def category(self) -> Category:
        """The category most of its messages fall in."""
        return majority(dict(self.categories)) or Category.ALIGNED

    @property
    def failing_category(self) -> Category | None:
        """The category most of its failing messages fall in; None when none fail."""
        return majority({c: n for c, n in self.categories.items() if c is not Category.ALIGNED})

    def add(self, row: Row) -> None:
        """Count one report row."""
        self.messages += row.count
        self.dmarc_pass += row.count if row.dmarc_pass else 0
        self.spf_aligned += row.count if row.spf_evaluated == "pass" else 0
        self.dkim_aligned += row.count if row.dkim_evaluated == "pass" else 0
        self.envelope_from[row.envelope_from or row.spf_domain] += row.count
        self.spf[(row.spf_domain or row.envelope_from, row.spf_result or "none")] += row.count
        for signature in row.dkim:
            self.dkim[(signature.domain, signature.selector, signature.result)] += row.count
        self.disposition[row.disposition if row.disposition in DISPOSITIONS else "none"] += (
            row.count
        )
        self.categories[row_category(row)] += row.count


@dataclass(kw_only=True)
class Domain:
    """One policy domain over the period its reports cover."""

    name: str
    reporters: set[str] = field(default_factory=set)
    reports: int = 0
    messages: int = 0
    dmarc_pass: int = 0
    disposition: Counter[str] = field(default_factory=Counter)
    policy: Policy = field(default_factory=Policy)
    begin: date | None = None
    end: date | None = None


@dataclass(frozen=True, kw_only=True)
class FileSummary:
    """One input as the report lists it: how many reports it held, or why none."""

    path: str
    reports: int
    error: str | None


@dataclass(kw_only=True)
class Corpus:
    """Everything read so far, counted."""

    files: list[FileSummary] = field(default_factory=list)
    reports: list[AggregateReport] = field(default_factory=list)  # kept without their rows
    sources: dict[tuple[str, str], Source] = field(default_factory=dict)
    domains: dict[str, Domain] = field(default_factory=dict)
    daily: dict[date, list[int]] = field(default_factory=dict)  # day -> [messages, dmarc pass]
    seen: set[tuple[str, str]] = field(default_factory=set)
    duplicates: int = 0

    def add_file(self, outcome: FileOutcome) -> None:
        """Count one file's reports and remember what it gave."""
        for report in outcome.reports:
            self.add(report)
        self.files.append(
            FileSummary(path=outcome.path, reports=len(outcome.reports), error=outcome.error)
        )

    def add(self, report: AggregateReport) -> bool:
        """Count `report` unless it was seen before; whether it was new."""
        if report.key in self.seen:
            self.duplicates += 1
            return False
        self.seen.add(report.key)
        self.reports.append(_bare(report))
        for row in report.rows:
            key = (row.ip, row.header_from)
            source = self.sources.get(key) or self.sources.setdefault(
                key, Source(ip=row.ip, header_from=row.header_from)
            )
            source.add(row)
        self._count_domain(report)
        self._count_days(report)
        return True

    def _count_domain(self, report: AggregateReport) -> None:
        domain = self.domains.setdefault(report.domain, Domain(name=report.domain))
        domain.reporters.add(report.org_name)
        domain.reports += 1
        domain.messages += report.messages
        domain.dmarc_pass += sum(row.count for row in report.rows if row.dmarc_pass)
        for row in report.rows:
            domain.disposition[row.disposition if row.disposition in DISPOSITIONS else "none"] += (
                row.count
            )
        if domain.end is None or report.end.date() >= domain.end:
            domain.policy = report.policy  # the latest report says what is published now
        domain.begin = min(filter(None, (domain.begin, report.begin.date())))
        domain.end = max(filter(None, (domain.end, report.end.date())))

    def _count_days(self, report: AggregateReport) -> None:
        days = _days(report)
        passed = sum(row.count for row in report.rows if row.dmarc_pass)
        for index, day in enumerate(days):
            tally = self.daily.setdefault(day, [0, 0])
            # spread evenly; the first day takes the remainder so totals stay exact
            tally[0] += report.messages // len(days) + (
                report.messages % len(days) if index == 0 else 0
            )
            tally[1] += passed // len(days) + (passed % len(days) if index == 0 else 0)

    @property
    def files_failed(self) -> int:
        """Inputs that gave no report."""
        return sum(1 for f in self.files if f.error and not f.reports)

    @property
    def messages(self) -> int:
        """Messages in every report counted."""
        return sum(s.messages for s in self.sources.values())

    @property
    def dmarc_pass(self) -> int:
        """Messages that passed DMARC."""
        return sum(s.dmarc_pass for s in self.sources.values())

    def ranked_sources(self) -> list[Source]:
        """Sources, most messages first (then by IP, for a stable order)."""
        return sorted(self.sources.values(), key=lambda s: (-s.messages, s.ip, s.header_from))


def _days(report: AggregateReport) -> list[date]:
    """The UTC days a report's period covers (its end second is exclusive)."""
    first = report.begin.date()
    last = (report.end - timedelta(seconds=1)).date() if report.end > report.begin else first
    count = (last - first).days + 1
    if count > MAX_DAYS_SPREAD or count < 1:
        return [first]
    return [first + timedelta(days=n) for n in range(count)]


def _bare(report: AggregateReport) -> AggregateReport:
    """The report without its rows (they are counted in the sources); keeps its message count."""
    return AggregateReport(
        org_name=report.org_name,
        report_id=report.report_id,
        domain=report.domain,
        begin=report.begin,
        end=report.end,
        policy=report.policy,
        schema=report.schema,
        email=report.email,
        rows=(),
        message_count=report.messages,
    )
