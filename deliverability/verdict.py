"""The verdict a human report opens with: the status, what to fix first, the counts.

Built once as data from a Report, so the terminal, Markdown, text, HTML and JSON
views cannot disagree. Problems (errors and warnings) come in impact order: mail
rejected, then mail junked, then mail at risk. A problem whose check says it is
`caused_by` another code that is shown comes right after its cause, once. Findings
of one code, severity, cause and first step fold into one problem listing their
subjects ("9 blocklists not checked (offline)"). Unknowns are folded the same way
and kept apart: they are what could not be checked, not what to fix.
"""

from __future__ import annotations

from enum import StrEnum

from deliverability.finding import CheckResult, Finding, Report, ReportKind, Severity
from deliverability.lean import dataclass


class Impact(StrEnum):
    """What a problem does to mail, in the order problems are shown."""

    REJECTED = "rejected"
    JUNKED = "junked"
    AT_RISK = "at risk"
    NOT_CHECKED = "not checked"


_ORDER = list(Impact)
# Errors receivers answer with a 5xx refusal rather than the spam folder; sources in
# docs/reports.md ("The verdict block"): Gmail 550-5.7.25/5.7.26, blocklists, RFC 7208, RFC 7505.
REJECTING = (
    "dnsbl.listed",
    "rdns.missing",
    "rdns.not-confirmed",
    "spf.ip-fail",
    "mx.null",
    "mx.domain-missing",
    "requirements.not-met",
    "message.dmarc-fail",
)
_NOUNS = {"dnsbl": "blocklists", "dkim": "DKIM selectors", "requirements": "rules", "rdns": "IPs"}
PROBLEMS = (Severity.ERROR, Severity.WARNING, Severity.UNKNOWN)


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One line of the verdict: findings of one code and cause, folded."""

    code: str
    severity: Severity
    check: str
    subjects: tuple[str, ...]
    summary: str
    step: str  # the first remediation step, "" when there is none
    caused_by: str | None
    impact: Impact
    findings: tuple[Finding, ...]

    @property
    def subject(self) -> str:
        """The subjects, comma-separated."""
        return ", ".join(self.subjects)


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The status, the problems in the order shown, the unknowns, the counts."""

    domain: str
    kind: ReportKind = ReportKind.REPORT
    status: Severity
    problems: tuple[Problem, ...]  # errors and warnings; effects right after their cause
    unchecked: tuple[Problem, ...]  # unknowns, folded
    counts: dict[str, int]

    def is_effect(self, problem: Problem) -> bool:
        """Whether `problem` is shown under its cause."""
        return problem.caused_by is not None and problem.caused_by in {
            p.code for p in self.problems if p is not problem and not p.caused_by
        }

    @property
    def headline(self) -> str:
        """The overall status in words."""
        impacts = {p.impact for p in self.problems}
        if self.kind is ReportKind.EVIDENCE:  # not a verdict on a sender's setup
            return self._evidence_headline()
        who = f"mail from {self.domain}" if self.domain else "this mail"
        if Impact.REJECTED in impacts:
            return f"{who} is likely rejected by receivers"
        if Impact.JUNKED in impacts:
            return f"{who} is likely junked or rejected"
        if self.problems:
            return f"{who} gets through today, but is at risk"
        if self.unchecked:
            return f"no problems found in what could be checked; {self.not_checked} not checked"
        return "no problems found"

    def _evidence_headline(self) -> str:
        if self.problems:
            return "what receivers answered needs action (fix first below)"
        if self.unchecked:
            return f"nothing to act on in what could be read; {self.not_checked} not read"
        return "nothing to act on in what receivers answered"

    @property
    def not_checked(self) -> int:
        """How many findings are unknown."""
        return self.counts.get(Severity.UNKNOWN.value, 0)

    @property
    def tally(self) -> str:
        """'3 problems (2 errors, 1 warning)', counting the lines shown; or 'no problems'."""
        errors = sum(p.severity is Severity.ERROR for p in self.problems)
        warnings = len(self.problems) - errors
        if not self.problems:
            return "no problems" + (f", {self.not_checked} not checked" if self.not_checked else "")
        parts = [_plural(errors, "error")] if errors else []
        parts += [_plural(warnings, "warning")] if warnings else []
        return f"{_plural(len(self.problems), 'problem')} ({', '.join(parts)})"


def verdict(report: Report) -> Verdict:
    """The verdict of `report`."""
    folded = [p for check in report.checks for p in check_problems(check)]
    fixes = _ordered([p for p in folded if p.severity is not Severity.UNKNOWN], report)
    return Verdict(
        domain=report.target.domain,
        kind=report.kind,
        status=report.status,
        problems=tuple(fixes),
        unchecked=tuple(p for p in folded if p.severity is Severity.UNKNOWN),
        counts=report.summary(),
    )


def check_problems(check: CheckResult) -> list[Problem]:
    """The check's errors, warnings and unknowns, folded, worst first."""
    groups: dict[tuple[str, Severity, str | None, str], list[Finding]] = {}
    for f in check.findings:
        if f.severity in PROBLEMS:
            key = (f.code, f.severity, f.caused_by, f.remediation[0] if f.remediation else "")
            groups.setdefault(key, []).append(f)
    return [_problem(check.name, items) for items in groups.values()]


def _problem(check: str, items: list[Finding]) -> Problem:
    first = items[0]
    return Problem(
        code=first.code,
        severity=first.severity,
        check=check,
        subjects=tuple(dict.fromkeys(f.subject for f in items)),
        summary=_folded_summary(check, [f.summary for f in items]),
        step=first.remediation[0] if first.remediation else "",
        caused_by=first.caused_by,
        impact=_impact(first),
        findings=tuple(items),
    )


def _impact(finding: Finding) -> Impact:
    if finding.severity is Severity.UNKNOWN:
        return Impact.NOT_CHECKED
    if finding.severity is Severity.WARNING:
        return Impact.AT_RISK
    return Impact.REJECTED if finding.code in REJECTING else Impact.JUNKED


def _folded_summary(check: str, summaries: list[str]) -> str:
    """One summary for several: their shared ending after the count ("9 blocklists not
    checked (offline)"), or the first with how many more."""
    if len(set(summaries)) == 1:
        return summaries[0]
    tail = _common_suffix(summaries)
    if len(tail) >= 8:
        return f"{len(summaries)} {_NOUNS.get(check, 'findings')} {tail}"
    return f"{summaries[0]} (and {len(summaries) - 1} more)"


def _common_suffix(texts: list[str]) -> str:
    reversed_texts = [t[::-1] for t in texts]
    shared = ""
    for chars in zip(*reversed_texts, strict=False):
        if len(set(chars)) != 1:
            break
        shared += chars[0]
    tail = shared[::-1]
    return tail[tail.index(" ") + 1 :].strip(" :;,") if " " in tail else ""


def _ordered(problems: list[Problem], report: Report) -> list[Problem]:
    """Impact order (check order within it), each effect right after its cause."""
    position = {c.name: i for i, c in enumerate(report.checks)}
    problems = sorted(problems, key=lambda p: (_ORDER.index(p.impact), position[p.check]))
    causes = {p.code for p in problems if not p.caused_by}
    effects = [p for p in problems if p.caused_by in causes]
    shown: list[Problem] = []
    for problem in (p for p in problems if p not in effects):
        shown.append(problem)
        shown += [e for e in effects if e.caused_by == problem.code and e not in shown]
    return shown


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
