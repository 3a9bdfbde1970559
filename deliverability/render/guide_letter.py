"""The guide as a Markdown letter to the recipient's IT team, ready to paste into a ticket.

A pure function of the report: it reads `checks["guide"].data` (platform, hops, values)
and the guide's findings (steps, caveats, confirmation, playbook). Values go in code
spans so they copy cleanly; every other string is escaped like the rest of the report.
"""

from __future__ import annotations

from deliverability.finding import CheckResult, Finding, Report
from deliverability.render.markup import escape
from deliverability.text import clean_line

LABELS = {
    "ips": "Sending IP addresses and ranges",
    "ipv4_allow_list": "IPv4 allow list entries (/24 to /32)",
    "ipv6_allow_list": "IPv6 allow list entries",
    "cidr_ranges": "IP ranges in CIDR form",
    "ip_addresses": "Single IP addresses",
    "ipv4_netmask": "IPv4 address and netmask",
    "ipv4_ranges": "IPv4 addresses and ranges",
    "ipv4_ranges_16": "IPv4 addresses and ranges (/16 to /32)",
    "domains": "Sender (From header) domains",
    "return_path_domains": "Envelope sender (Return-Path) domains",
    "dkim_domains": "DKIM signing domains (d=)",
    "smtp_hosts": "Sending server host names",
    "link_domains": "Link, tracking and image domains",
}
_OPENING = (
    "guide.platform",
    "guide.platform-unknown",
    "guide.no-mail",
    "guide.mx-failed",
    "guide.sender-auth",
)
LETTER_ONLY = frozenset({"guide", "spf", "dkim", "dmarc"})  # what `deliverability guide` runs
_NOTES = (
    "guide.not-accepted",
    "guide.converted",
    "guide.spf-unknown",
    "guide.spf-unflattened",
    "guide.no-values",
)


def is_letter(report: Report) -> bool:
    """Whether the report is a guide run (the letter is the whole document)."""
    names = {c.name for c in report.checks}
    return "guide" in names and names <= LETTER_ONLY and bool(letter_lines(report))


def letter_lines(report: Report) -> list[str]:
    """The letter, as Markdown lines; [] when the report holds no guide for a recipient."""
    guide = next((c for c in report.checks if c.name == "guide" and c.data), None)
    if guide is None or not report.target.recipient:
        return []
    recipient = escape(report.target.recipient)
    sender = escape(report.target.domain) or "our service"
    lines = [
        f"# Email from {sender} to {recipient}: what your IT team can do",
        "",
        f"To the IT team of {recipient},",
        "",
        "## What is happening",
        "",
    ]
    lines += [f"Messages from {sender} to addresses at {recipient} are not reaching the inbox."]
    for finding in _found(guide, *_OPENING):
        lines += ["", escape(finding.summary) + "."] + _bullets(finding.evidence)
    lines += _values(guide)
    for finding in _found(guide, "guide.steps"):
        lines += ["", f"## {escape(finding.summary)}", ""] + _numbered(finding.remediation)
        lines += (
            ["", "_" + "; ".join(escape(e) for e in finding.evidence) + "_"]
            if finding.evidence
            else []
        )
    lines += _section(
        "Caveats",
        [e for f in _found(guide, "guide.caveats") for e in f.evidence]
        + [f.summary for f in _found(guide, *_NOTES)],
    )
    for finding in _found(guide, "guide.confirm"):
        lines += ["", "## How to confirm it worked", ""] + _numbered(finding.remediation)
    playbook = _found(guide, "guide.playbook")
    if playbook:
        lines += ["", "## Already checked on our side", ""]
        for finding in playbook:
            lines += [f"**{escape(finding.subject)}**", ""] + _numbered(finding.remediation) + [""]
    return lines + ["", "Thank you for your help.", ""]


def _found(check: CheckResult, *codes: str) -> list[Finding]:
    return [f for code in codes for f in check.findings if f.code == code]


def _values(check: CheckResult) -> list[str]:
    values = {k: v for k, v in check.data.get("values", {}).items() if v}
    if not values:
        return []
    lines = ["", "## Values to enter", "", "| What | Values |", "|---|---|"]
    for kind, entries in values.items():
        cells = ", ".join(f"`{_code(v)}`" for v in entries)
        lines.append(f"| {LABELS.get(kind, clean_line(kind))} | {cells} |")
    return lines


def _code(value: object) -> str:
    """A value for a code span: one line, no backticks or pipes to break the span or table."""
    return clean_line(value).replace("`", "'").replace("|", "\\|")


def _section(title: str, items: list[str]) -> list[str]:
    return ["", f"## {title}"] + _bullets(tuple(items)) if items else []


def _bullets(items: tuple[str, ...] | list[str]) -> list[str]:
    return ([""] if items else []) + [f"- {escape(item)}" for item in items]


def _numbered(steps: tuple[str, ...]) -> list[str]:
    return [f"{number}. {escape(step)}" for number, step in enumerate(steps, 1)]
