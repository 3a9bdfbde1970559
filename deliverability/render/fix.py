"""`deliverability fix` output: the verified change set as zone lines, a patch, JSON or
Markdown, and the problems that have no verified change (`unresolved`).

Pure functions of the Report (the patch also takes the zone files' text, read by
the command line). Every string from outside passes clean().
"""

from __future__ import annotations

import json
from typing import Any

from deliverability.change import Action, Change
from deliverability.finding import Finding, Report, Severity
from deliverability.lean import dataclass
from deliverability.render.json import change_to_dict
from deliverability.render.markup import escape
from deliverability.text import clean

_PROBLEMS = (Severity.ERROR, Severity.WARNING)


@dataclass(frozen=True, kw_only=True)
class Planned:
    """One verified change and the findings (code, subject) it fixes."""

    change: Change
    fixes: tuple[Finding, ...]


def planned(report: Report) -> list[Planned]:
    """Each verified change once, in report order (worst finding first)."""
    seen: dict[Any, list[Finding]] = {}
    changes: dict[Any, Change] = {}
    for finding in report.findings:
        for change in finding.changes:
            if change.verified:
                seen.setdefault(change.key, []).append(finding)
                changes.setdefault(change.key, change)
    return [Planned(change=changes[k], fixes=tuple(f)) for k, f in seen.items()]


def unresolved(report: Report) -> list[Finding]:
    """Problems (warning or worse) that no verified change fixes."""
    return [
        f
        for f in report.findings
        if f.severity in _PROBLEMS and not any(c.verified for c in f.changes)
    ]


def note_of(finding: Finding) -> str:
    """What the owner has to decide: the change's note, else the remediation."""
    notes = [c.note for c in finding.changes if c.note]
    return " ".join(dict.fromkeys(notes)) or " ".join(finding.remediation) or finding.summary


def render_zone(report: Report) -> str:
    """BIND lines to publish, each after a comment naming what it fixes and replaces."""
    lines = [f"; deliverability fix {report.target.domain}"]
    for item in planned(report):
        change = item.change
        codes = ", ".join(dict.fromkeys(f.code for f in item.fixes))
        lines.append(f"; fixes {codes}")
        if change.action is Action.REMOVE:
            lines.append(f"; delete: {change.zone_line(change.old or '')}")
            continue
        if change.action is Action.REPLACE:
            lines.append(f"; replaces: {change.zone_line(change.old or '')}")
        lines.append(change.zone_line(change.new or ""))
    for finding in unresolved(report):
        lines.append(
            f"; no verified change for {finding.code} ({finding.subject}): {note_of(finding)}"
        )
    if len(lines) == 1:
        lines.append("; nothing to change: no problem found that a DNS change would fix")
    return "\n".join(_one_line(clean(line)) for line in lines) + "\n"


def render_json(report: Report) -> str:
    """`{"domain", "changes": [...], "unresolved": [{"code", "subject", "note"}]}`."""
    data = {
        "domain": report.target.domain,
        "changes": [
            {**change_to_dict(p.change), "fixes": [f.code for f in p.fixes]}
            for p in planned(report)
        ],
        "unresolved": [
            {"code": f.code, "subject": f.subject, "note": note_of(f)} for f in unresolved(report)
        ],
    }
    return json.dumps(_cleaned(data), indent=2, ensure_ascii=False) + "\n"


def render_markdown(report: Report) -> str:
    """The change set for a ticket: what to publish, then what to decide."""
    lines = [f"## DNS changes for {escape(clean(report.target.domain))}", ""]
    for item in planned(report):
        codes = ", ".join(dict.fromkeys(f.code for f in item.fixes))
        lines += [f"- **{item.change.action.value}** (fixes {escape(codes)}):", ""]
        lines += [f"  ```\n  {_fence(item.change.describe())}\n  ```", ""]
    if not planned(report):
        lines += ["No verified change to make.", ""]
    rest = unresolved(report)
    if rest:
        lines += ["### To decide", ""]
        lines += [
            f"- `{f.code}` {escape(clean(f.subject))}: {escape(clean(note_of(f)))}" for f in rest
        ]
    return "\n".join(lines).rstrip() + "\n"


def _fence(text: str) -> str:
    return _one_line(clean(text)).replace("```", "'''")


def _one_line(text: str) -> str:
    return " ".join(text.splitlines())


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {k: _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value
