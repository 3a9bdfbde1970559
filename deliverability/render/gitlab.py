"""GitLab Code Quality: a JSON list of issues the merge request widget shows.

Each finding worse than ok is `{"description", "check_name", "fingerprint",
"severity", "location": {"path", "lines": {"begin"}}}`. The path is the zone file
the record came from, or the domain when it came from live DNS. The fingerprint is
a hash of the finding's identity (code, subject) and its domain, so it is the same
in every run and survives rewording. Format:
https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from deliverability.finding import Finding, Report, Severity
from deliverability.text import clean_line

SEVERITIES = {
    Severity.INFO: "info",
    Severity.WARNING: "major",
    Severity.UNKNOWN: "minor",  # could not tell: worth a look, never the worst
    Severity.ERROR: "critical",
}


def render(report: Report, *, verbose: bool = False) -> str:
    """The report as a Code Quality JSON document (a list)."""
    document = Document()
    return document.head() + document.part(report) + document.tail()


class Document:
    """A bulk run's Code Quality list, written a target at a time: head, part..., tail."""

    def __init__(self) -> None:
        self._items = 0

    def head(self) -> str:
        """The opening of the list."""
        return "["

    def part(self, report: Report) -> str:
        """One target's issues."""
        return self._join(issues(report))

    def failure(self, line: int, domain: str, reason: str) -> str:
        """A target that could not be checked, as a blocker on its input line."""
        where = clean_line(domain) or f"line {line}"
        item = {
            "type": "issue",
            "description": clean_line(f"{where}: {reason}"),
            "check_name": "unreadable-target",
            "fingerprint": hashlib.sha256(f"{line}\0{domain}".encode()).hexdigest()[:32],
            "severity": "blocker",
            "location": {"path": where, "lines": {"begin": 1}},
        }
        return self._join([json.dumps(item, ensure_ascii=False)])

    def tail(self) -> str:
        """The close of the list."""
        return "\n]\n" if self._items else "]\n"

    def _join(self, items: list[str]) -> str:
        out = "".join(
            ("," if self._items + n else "") + "\n" + item for n, item in enumerate(items)
        )
        self._items += len(items)
        return out


def issues(report: Report) -> list[str]:
    """Each issue of the report as one JSON text, for a document that joins many reports."""
    domain = report.target.domain
    return [
        json.dumps(issue(f, domain), ensure_ascii=False)
        for f in report.findings
        if f.severity in SEVERITIES
    ]


def issue(finding: Finding, domain: str) -> dict[str, Any]:
    """One finding as a Code Quality issue."""
    path, line = clean_line(domain), 1
    if finding.location is not None:
        path, line = clean_line(finding.location.file), finding.location.line
    return {
        "type": "issue",
        "description": clean_line(finding.summary),
        "check_name": finding.code,
        "categories": ["Bug Risk"],
        "fingerprint": fingerprint(finding, domain),
        "severity": SEVERITIES[finding.severity],
        "location": {"path": path, "lines": {"begin": line}},
    }


def fingerprint(finding: Finding, domain: str) -> str:
    """The same hex digest for the same (domain, code, subject) in every run."""
    identity = f"{domain}\0{finding.code}\0{finding.subject}".encode()
    return hashlib.sha256(identity).hexdigest()[:32]
