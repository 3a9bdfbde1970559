"""A report as a document: titled blocks of text, lists and tables, no syntax yet.

The guide letter and the verdict-first report are laid out here once; plain text
(render/text.py), HTML (render/html.py) and the Markdown letter (guide_letter.py)
each only spell the blocks out, so the three cannot drift apart. Strings are raw
(uncleaned): each format cleans and escapes them its own way.
"""

from __future__ import annotations

from enum import StrEnum

from deliverability.finding import CheckResult, Finding, Report
from deliverability.lean import dataclass
from deliverability.render.style import check_order, shorten
from deliverability.verdict import PROBLEMS, Verdict, verdict


class Kind(StrEnum):
    """What a block is."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    NOTE = "note"  # remarks under a list, `text` or `items` (shown smaller or in italics)
    BULLETS = "bullets"
    NUMBERED = "numbered"
    TABLE = "table"  # rows of (label, values...); the first row is the header


@dataclass(frozen=True, kw_only=True)
class Block:
    """One block of a document."""

    kind: Kind
    text: str = ""
    items: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Document:
    """A title and the blocks under it."""

    title: str
    blocks: tuple[Block, ...]


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
_NOTES = (
    "guide.not-accepted",
    "guide.converted",
    "guide.spf-unknown",
    "guide.spf-unflattened",
    "guide.no-values",
)


def document(report: Report, *, verbose: bool = False, quiet: bool = False) -> Document:
    """The letter for a guide run (with its probe results under --verbose), else the report."""
    letter = letter_document(report)
    if letter is not None and report.kind == "letter" and not verbose:
        return letter
    found = report_document(report, verbose=verbose, quiet=quiet)
    if letter is None or quiet:
        return found
    heading = Block(kind=Kind.HEADING, text=found.title)
    return Document(title=letter.title, blocks=letter.blocks + (heading,) + found.blocks)


def letter_document(report: Report) -> Document | None:
    """The letter to the recipient's IT team; None when the report holds no guide for one."""
    guide = next((c for c in report.checks if c.name == "guide" and c.data), None)
    if guide is None or not report.target.recipient:
        return None
    recipient, sender = report.target.recipient, report.target.domain or "our service"
    blocks = [
        _para(f"To the IT team of {recipient},"),
        _heading("What is happening"),
        _para(f"Messages from {sender} to addresses at {recipient} are not reaching the inbox."),
    ]
    for finding in _found(guide, *_OPENING):
        blocks += [_para(finding.summary + "."), _bullets(finding.evidence)]
    for finding in _found(guide, "guide.steps"):  # the steps first: they name the values
        blocks += [_heading(finding.summary), _numbered(finding.remediation)]
        blocks += [Block(kind=Kind.NOTE, items=finding.evidence)] if finding.evidence else []
    blocks += _values(guide)
    caveats = [e for f in _found(guide, "guide.caveats") for e in f.evidence]
    caveats += [f.summary[:1].upper() + f.summary[1:] for f in _found(guide, *_NOTES)]
    blocks += [_heading("Caveats"), _bullets(tuple(dict.fromkeys(caveats)))] if caveats else []
    for finding in _found(guide, "guide.confirm"):
        blocks += [_heading("How to confirm it worked"), _numbered(finding.remediation)]
    playbook = _found(guide, "guide.playbook")
    blocks += [_heading("Already checked on our side")] if playbook else []
    for finding in playbook:
        blocks += [_para(finding.subject), _numbered(finding.remediation)]
    blocks.append(_para("Thank you for your help."))
    title = f"Email from {sender} to {recipient}: what your IT team can do"
    return Document(title=title, blocks=tuple(b for b in blocks if b.text or b.items or b.rows))


def report_document(report: Report, *, verbose: bool = False, quiet: bool = False) -> Document:
    """The verdict, then each check's problems (every finding with --verbose)."""
    judged = verdict(report)
    blocks = verdict_blocks(judged)
    if not quiet:
        for check in check_order(report.checks):
            blocks += _check_blocks(check, verbose)
        blocks.append(_note(f"{judged.status.value.upper()}: {judged.tally}"))
    return Document(title=f"Deliverability report: {report.target.title}", blocks=tuple(blocks))


def verdict_blocks(judged: Verdict) -> list[Block]:
    """The status, the problems to fix first, the counts."""
    blocks = [_para(f"{judged.status.value.upper()}: {judged.headline}")]
    lines = []
    for problem in judged.problems:
        lead = "  caused by it: " if judged.is_effect(problem) else ""
        step = f": {problem.step}" if problem.step and not lead else ""
        lines.append(f"{lead}{problem.code} {problem.subject}{step}")
    blocks += [_para("Fix first:"), _bullets(tuple(lines))] if lines else []
    order = ("error", "warning", "unknown", "info", "ok")
    counts = [
        f"{judged.counts[s]} {s.replace('unknown', 'not checked')}"
        for s in order
        if judged.counts.get(s)
    ]
    return blocks + [_para("Counts: " + (", ".join(counts) or "no findings"))]


def _check_blocks(check: CheckResult, verbose: bool) -> list[Block]:
    shown = [f for f in check.findings if verbose or f.severity in PROBLEMS]
    if not shown:
        return []
    blocks = [_heading(f"{check.name}: {check.status.value}")]
    for finding in shown:
        blocks += _finding_blocks(finding)
    return blocks


def _finding_blocks(finding: Finding) -> list[Block]:
    return [
        _para(f"{finding.severity.value}: {finding.summary} ({finding.code}, {finding.subject})"),
        _bullets(tuple(shorten(e) for e in finding.evidence)),
        _numbered(finding.remediation),
    ]


def _values(check: CheckResult) -> list[Block]:
    values = {k: v for k, v in check.data.get("values", {}).items() if v}
    if not values:
        return []
    rows = [("What", "Values")] + [
        (LABELS.get(kind, kind), ", ".join(str(v) for v in entries))
        for kind, entries in values.items()
    ]
    return [_heading("Values to enter"), Block(kind=Kind.TABLE, rows=tuple(rows))]


def _found(check: CheckResult, *codes: str) -> list[Finding]:
    return [f for code in codes for f in check.findings if f.code == code]


def _heading(text: str) -> Block:
    return Block(kind=Kind.HEADING, text=text)


def _para(text: str) -> Block:
    return Block(kind=Kind.PARAGRAPH, text=text)


def _note(text: str) -> Block:
    return Block(kind=Kind.NOTE, text=text)


def _bullets(items: tuple[str, ...] | list[str]) -> Block:
    return Block(kind=Kind.BULLETS, items=tuple(items))


def _numbered(items: tuple[str, ...]) -> Block:
    return Block(kind=Kind.NUMBERED, items=items)
