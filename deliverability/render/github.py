"""GitHub workflow commands: annotations on a pull request without code-scanning rights.

One command per finding at or above --fail-on, `::error file=F,line=N,title=CODE::summary`
(`::warning` below error). Data and property values are escaped as the Actions toolkit
does (`%`, CR, LF; in properties also `:` and `,`), so a record cannot end the command
early or forge another one. Findings from live DNS (no file) carry the domain in the message.
Spec: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

from collections.abc import Collection

from deliverability.finding import Finding, Report, Severity
from deliverability.text import clean_line

DEFAULT_ANNOTATED = frozenset({Severity.ERROR, Severity.WARNING})


def render(
    report: Report, *, verbose: bool = False, annotated: Collection[Severity] = DEFAULT_ANNOTATED
) -> str:
    """The report's findings at or above --fail-on (`annotated`) as workflow commands."""
    domain = report.target.domain
    return "".join(line(f, domain) for f in report.findings if f.severity in annotated)


def line(finding: Finding, domain: str) -> str:
    """One finding as `::error ...::...` (or `::warning`), ending in a newline."""
    command = "error" if finding.severity is Severity.ERROR else "warning"
    properties = {"title": finding.code}
    if finding.location is not None:
        properties = {
            "file": finding.location.file,
            "line": str(finding.location.line),
            **properties,
        }
    message = clean_line(finding.summary)
    if finding.location is None:  # no line to hang it on: say which domain it is about
        message = f"{clean_line(domain)}: {message}"
    props = ",".join(
        f"{key}={escape_property(clean_line(value))}" for key, value in properties.items()
    )
    return f"::{command} {props}::{escape_data(message)}\n"


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as @actions/core escapeData does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped as @actions/core escapeProperty does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
