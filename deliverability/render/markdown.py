"""Markdown: the report support staff paste into a ticket.

Every untrusted string is cleaned and escaped, so a record holding `|`, `[x](y)`
or HTML cannot break a table, forge a link or inject markup.
"""

from __future__ import annotations

from deliverability.finding import Finding, Report
from deliverability.render.markup import escape
from deliverability.render.style import ICONS, check_order, shorten, split_record
from deliverability.text import clean_line
from deliverability.verdict import PROBLEMS, Verdict, verdict


def render(report: Report, *, verbose: bool = False, quiet: bool = False) -> str:
    """The report as GitHub-flavoured Markdown: the verdict first, then each check's
    problems (every finding with --verbose); -q: the verdict alone."""
    from deliverability.render.guide_letter import letter_lines

    letter = letter_lines(report)  # a guide for a recipient: the letter to its IT team first
    if report.kind == "letter" and letter:
        return "\n".join(letter)
    judged = verdict(report)
    if quiet:
        return "\n".join(verdict_lines(judged)) + "\n"
    lines = letter + [f"# Deliverability report: {escape(report.target.title)}", ""]
    if report.dns_trouble:  # first, so no one reads the unknowns below as the zone's fault
        lines[len(letter) : len(letter)] = [f"> **{escape(report.dns_trouble)}**", ""]
    lines += verdict_lines(judged) + [""] + _target_lines(report)
    lines += ["", "| Check | Status | Findings |", "|---|---|---|"]
    for check in check_order(report.checks):
        icon = ICONS[check.status]
        lines.append(f"| {escape(check.name)} | {icon} {check.status} | {len(check.findings)} |")
    for check in check_order(report.checks):
        lines += ["", f"## {escape(check.name)}: {ICONS[check.status]} {check.status}", ""]
        full = [f for f in check.findings if verbose or f.severity in PROBLEMS]
        for finding in full:
            lines += _finding_lines(finding)
        brief = [f for f in check.findings if f not in full]  # one line each
        lines += [_brief_line(f) for f in brief] + ([""] if brief else [])
    if verbose:
        lines += _trace_lines(report)
    if report.baseline is not None:
        from deliverability.render.comparison import markdown

        lines += markdown(report.baseline)
    lines += [
        "",
        f"_{judged.status.value.upper()}: {judged.tally}; {report.queries} DNS queries; "
        f"deliverability {escape(report.tool_version)}._",
        "",
    ]
    return "\n".join(lines)


def verdict_lines(judged: Verdict) -> list[str]:
    """The verdict block: status, the problems to fix first in order, the counts."""
    status = judged.status
    lines = [f"**{ICONS[status]} {status.value.upper()}: {escape(judged.headline)}**", ""]
    if judged.problems:
        lines += ["Fix first:", ""]
    for problem in judged.problems:
        line = f"`{problem.code}` {escape(problem.subject)}"
        if judged.is_effect(problem):
            lines.append(f"   - caused by it: {line}")
            continue
        lines.append(f"- {ICONS[problem.severity]} {line}" + _step(problem.step))
    order = ("error", "warning", "unknown", "info", "ok")
    names = {"unknown": "not checked"}
    counts = [f"{judged.counts[s]} {names.get(s, s)}" for s in order if judged.counts.get(s)]
    return lines + ([""] if judged.problems else []) + ["Counts: " + (", ".join(counts) or "none")]


def _step(step: str) -> str:
    before, record, after = split_record(step)
    if not record:
        return f": {escape(step)}" if step else ""
    text = f": {escape(before)}" if before else ""
    return text + f" `{_code_span(record)}`" + (f" {escape(after)}" if after else "")


def _code_span(value: str) -> str:
    return clean_line(value).replace("`", "'")


def _target_lines(report: Report) -> list[str]:
    t = report.target
    rows = [("From domain", t.title), ("Envelope sender", t.mail_from)]
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
        lines += ["", "Evidence:", ""] + [f"- {escape(shorten(e))}" for e in finding.evidence]
    if finding.remediation:
        lines += ["", "What to do:", ""]
        lines += [f"{i}.{_step(step)[1:]}" for i, step in enumerate(finding.remediation, 1)]
    return lines + [""]


def _brief_line(finding: Finding) -> str:
    return f"- {ICONS[finding.severity]} {escape(finding.summary)} (`{finding.code}`)"


def _trace_lines(report: Report) -> list[str]:
    lines = ["", "## DNS queries", "", "| Name | Type | Outcome | ms |", "|---|---|---|---|"]
    for t in report.trace:
        lines.append(f"| {escape(t.name)} | {t.type} | {escape(t.outcome)} | {t.ms} |")
    return lines
