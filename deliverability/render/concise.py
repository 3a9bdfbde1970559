"""Concise: one line per finding worse than ok, for pre-commit, editors and grep.

`FILE:LINE: CODE SEVERITY summary` when the record came from a zone file, else
`DOMAIN: CODE SEVERITY summary`.
"""

from __future__ import annotations

from deliverability.finding import Finding, Report, Severity
from deliverability.text import clean_line


def render(report: Report, *, verbose: bool = False) -> str:
    """One line per finding worse than ok."""
    domain = report.target.domain
    return "".join(line(f, domain) for f in report.findings if f.severity is not Severity.OK)


def line(finding: Finding, domain: str) -> str:
    """`FILE:LINE: CODE SEVERITY summary` or `DOMAIN: CODE SEVERITY summary`, with a newline."""
    where = clean_line(domain)
    if finding.location is not None:
        where = f"{clean_line(finding.location.file)}:{finding.location.line}"
    return f"{where}: {finding.code} {finding.severity.value} {clean_line(finding.summary)}\n"
