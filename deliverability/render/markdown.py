"""Markdown: the report support staff paste into a ticket.

Every untrusted string is cleaned and escaped, so a record holding `|`, `[x](y)`
or HTML cannot break a table, forge a link or inject markup.
"""

from __future__ import annotations

from deliverability.finding import Finding, Report
from deliverability.render.markup import escape
from deliverability.render.style import ICONS, check_order


def render(report: Report, *, verbose: bool = False) -> str:
    """The report as GitHub-flavoured Markdown."""
    from deliverability.render.guide_letter import is_letter, letter_lines

    letter = letter_lines(report)  # a guide for a recipient: the letter to its IT team first
    if is_letter(report):
        return "\n".join(letter)
    lines = letter + [f"# Deliverability report: {escape(report.target.domain)}", ""]
    lines += _target_lines(report)
    lines += ["", "| Check | Status | Findings |", "|---|---|---|"]
    for check in check_order(report.checks):
        icon = ICONS[check.status]
        lines.append(f"| {escape(check.name)} | {icon} {check.status} | {len(check.findings)} |")
    for check in check_order(report.checks):
        lines += ["", f"## {escape(check.name)}: {ICONS[check.status]} {check.status}", ""]
        for finding in check.findings:
            lines += _finding_lines(finding)
    if verbose:
        lines += _trace_lines(report)
    if report.baseline is not None:
        from deliverability.render.comparison import markdown

        lines += markdown(report.baseline)
    counts = ", ".join(f"{n} {sev}" for sev, n in report.summary().items() if n)
    lines += [
        "",
        f"_Summary: {counts or 'no findings'}; {report.queries} DNS queries; "
        f"deliverability {escape(report.tool_version)}._",
        "",
    ]
    return "\n".join(lines)


def _target_lines(report: Report) -> list[str]:
    t = report.target
    rows = [("From domain", t.domain), ("Envelope sender", t.mail_from)]
    rows += [("Sending IPs", ", ".join(t.ips))] if t.ips else []
    rows += [("HELO name", t.helo)] if t.helo else []
    rows += [("DKIM selectors", ", ".join(t.selectors))] if t.selectors else []
    rows += [("Recipient domain", t.recipient)] if t.recipient else []
    return [f"- **{label}:** {escape(value)}" for label, value in rows]


def _finding_lines(finding: Finding) -> list[str]:
    icon = ICONS[finding.severity]
    where = (
        f" ({escape(finding.location.file)}:{finding.location.line})" if finding.location else ""
    )
    lines = [
        f"### {icon} {finding.severity}: {escape(finding.summary)}",
        "",
        f"`{finding.code}` on **{escape(finding.subject)}**{where}",
    ]
    if finding.evidence:
        lines += ["", "Evidence:", ""] + [f"- {escape(e)}" for e in finding.evidence]
    if finding.remediation:
        lines += ["", "What to do:", ""]
        lines += [f"{i}. {escape(step)}" for i, step in enumerate(finding.remediation, 1)]
    return lines + [""]


def _trace_lines(report: Report) -> list[str]:
    lines = ["", "## DNS queries", "", "| Name | Type | Outcome | ms |", "|---|---|---|---|"]
    for t in report.trace:
        lines.append(f"| {escape(t.name)} | {t.type} | {escape(t.outcome)} | {t.ms} |")
    return lines
