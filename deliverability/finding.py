"""The vocabulary every check, renderer and CI gate shares: Severity, Finding, Report.

A Finding is a frozen value. Its identity is `(code, subject)`, never its text, so
baselines survive rewording. A Report holds the findings of one run, worst first,
plus what a reader needs to trust them: the target, per-check timings and data, and
the DNS trace.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from typing import Any

from deliverability.change import Change
from deliverability.lean import dataclass


class Severity(StrEnum):
    """How bad a finding is. Ordered best to worst: ok < info < warning < unknown < error."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    UNKNOWN = "unknown"
    ERROR = "error"

    @property
    def rank(self) -> int:
        """Position from best (0) to worst (4)."""
        return _RANK[self]

    @classmethod
    def worst(cls, severities: list[Severity] | tuple[Severity, ...]) -> Severity:
        """The worst of `severities`; `ok` when there are none."""
        return max(severities, key=lambda s: s.rank, default=cls.OK)


_RANK = {s: i for i, s in enumerate(Severity)}


@dataclass(frozen=True, kw_only=True)
class Location:
    """Where a record came from: a zone file and the line its record starts on."""

    file: str
    line: int


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One thing a check found: what, about which subject, why we think so, what to do."""

    code: str
    severity: Severity
    subject: str
    summary: str
    evidence: tuple[str, ...] = ()
    remediation: tuple[str, ...] = ()
    location: Location | None = None
    caused_by: str | None = None  # the code of the finding behind this one, set by the check
    changes: tuple[Change, ...] = ()  # the DNS edits that fix it (see change.py, remedy.py)

    @property
    def identity(self) -> tuple[str, str]:
        """What makes two findings 'the same' across runs."""
        return (self.code, self.subject)


def finding_with_fix(
    code: str,
    severity: Severity,
    subject: str,
    summary: str,
    evidence: tuple[str, ...],
    fix: str = "",
    *,
    location: Location | None = None,
    changes: tuple[Change, ...] = (),
) -> Finding:
    """A Finding whose remediation is the one step `fix` (none when empty): the shape most
    checks build, positional so a check's table of findings stays short."""
    return Finding(
        code=code,
        severity=severity,
        subject=subject,
        summary=summary,
        evidence=evidence,
        remediation=(fix,) if fix else (),
        location=location,
        changes=changes,
    )


# The target domain of evidence (a bounce, a delivered message) that names no sender:
# a reserved name (RFC 2606) that no lookup can reach.
NO_SENDER_DOMAIN = "unknown.invalid"


@dataclass(frozen=True, kw_only=True)
class Target:
    """What a run is about: the From domain and the sending host's identities."""

    domain: str
    ips: tuple[str, ...] = ()
    mail_from: str = ""
    helo: str | None = None
    selectors: tuple[str, ...] = ()
    recipient: str | None = None

    @property
    def title(self) -> str:
        """The target as a report's title names it: its domain, or that there is none."""
        if self.domain == NO_SENDER_DOMAIN:
            return "a message that names no sender domain"
        return self.domain

    @property
    def envelope_sender(self) -> str:
        """MAIL FROM without the SMTP path's angle brackets: `<>` is the null sender, ''."""
        sender = self.mail_from.strip()
        if sender.startswith("<") and sender.endswith(">"):  # RFC 5321 4.1.2 Reverse-path
            return sender[1:-1].strip()
        return sender

    @property
    def mail_from_domain(self) -> str:
        """The domain part of the envelope sender, or DOMAIN when there is none."""
        sender = self.envelope_sender
        if "@" in sender:
            return sender.rsplit("@", 1)[1].rstrip(".").lower() or self.domain
        return sender.rstrip(".").lower() or self.domain


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    """The outcome of one check: its findings worst first, how long it took, its data."""

    name: str
    findings: tuple[Finding, ...]
    duration_ms: int
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> Severity:
        """A check's status is its worst finding."""
        return Severity.worst([f.severity for f in self.findings])


@dataclass(frozen=True, kw_only=True)
class TraceEntry:
    """One DNS question asked during the run (retries and TCP fallback folded in)."""

    name: str
    type: str
    outcome: str
    ms: int


@dataclass(frozen=True, kw_only=True)
class Regression:
    """Something weaker than in the baseline, whatever its severity (regressions.py)."""

    kind: str  # dmarc.p-lowered, dmarc.sp-lowered, dmarc.np-lowered, dmarc.testing-added,
    #            spf.all-weakened, dkim.key-missing, check.no-longer-ok
    check: str
    subject: str
    before: str
    after: str


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """What changed between an old and a new run, finding by finding identity."""

    new: tuple[Finding, ...] = ()  # problems the old run did not have
    fixed: tuple[Finding, ...] = ()  # problems of the old run that are gone (as it saw them)
    unchanged: tuple[Finding, ...] = ()  # problems both runs have (as the new run sees them)
    regressed: tuple[Regression, ...] = ()  # weaker than before: fails the gate at any severity


class ReportKind(StrEnum):
    """What a report is for, set by the command that builds it: renderers need not guess."""

    REPORT = "report"  # findings about a sender, a message, ...
    LETTER = "letter"  # `guide RECIPIENT`: the letter to the recipient's IT team
    EVIDENCE = "evidence"  # `bounce`, `dmarc-reports`: what receivers answered or reported


@dataclass(frozen=True, kw_only=True)
class Report:
    """Everything a renderer needs; renderers never look anything up."""

    tool_version: str
    target: Target
    checks: tuple[CheckResult, ...]
    trace: tuple[TraceEntry, ...] = ()
    queries: int = 0
    failed_queries: int = 0  # of `queries`, those no resolver answered
    answered_queries: int = 0  # and those it answered (lookups cut short are neither)
    resolvers: tuple[str, ...] = ()  # the resolvers asked, for the line saying DNS failed
    baseline: Comparison | None = None  # set when run with --baseline: what is new, fixed
    kind: ReportKind = ReportKind.REPORT

    @property
    def findings(self) -> list[Finding]:
        """All findings, worst first, then by check order."""
        every = [f for check in self.checks for f in check.findings]
        return sorted(every, key=lambda f: -f.severity.rank)

    def summary(self) -> dict[str, int]:
        """Count of findings per severity, every severity present."""
        counts = {s.value: 0 for s in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts

    @property
    def status(self) -> Severity:
        """The worst severity in the report."""
        return Severity.worst([c.status for c in self.checks])

    @property
    def dns_dead(self) -> bool:
        """No lookup sent to a resolver got an answer: the results say nothing about DNS."""
        return self.failed_queries > 0 and self.answered_queries == 0

    @property
    def dns_trouble(self) -> str | None:
        """The line a report opens with when more than half of its lookups failed, else None."""
        if self.failed_queries <= self.answered_queries:  # of the lookups that finished
            return None
        finished = self.failed_queries + self.answered_queries
        return (
            f"DNS trouble: {self.failed_queries} of {finished} lookups failed "
            f"({', '.join(self.resolvers) or 'the system resolver'}); "
            "results that depend on them are unknown"
        )


def sort_findings(findings: list[Finding] | tuple[Finding, ...]) -> tuple[Finding, ...]:
    """Worst first; stable within a severity so checks keep their own order."""
    return tuple(sorted(findings, key=lambda f: -f.severity.rank))


MAX_EVIDENCE_LINES = 20  # of one list in a finding; DNS decides how long the list is


def capped(lines: tuple[str, ...], what: str, limit: int = MAX_EVIDENCE_LINES) -> tuple[str, ...]:
    """The first `limit` of `lines` for a finding's evidence, then one line counting the rest."""
    if len(lines) <= limit:
        return lines
    return (*lines[:limit], f"... and {len(lines) - limit} more {what}")
