"""A baseline comparison (what is new, what got fixed) in each human and machine format.

Used by the report renderers when a run was given `--baseline`, and by
`deliverability diff` for two saved reports. Pure functions, text cleaned.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from deliverability.baseline import Comparison
from deliverability.finding import Finding
from deliverability.render.style import COLOURS, ICONS
from deliverability.text import clean


def to_dict(comparison: Comparison) -> dict[str, Any]:
    """`{"new": [finding...], "fixed": [finding...], "unchanged": N}` (JSON key `baseline`)."""
    from deliverability.render.json import _cleaned, finding_to_dict

    return _cleaned(
        {
            "new": [finding_to_dict(f) for f in comparison.new],
            "fixed": [finding_to_dict(f) for f in comparison.fixed],
            "unchanged": len(comparison.unchanged),
        }
    )


def headline(comparison: Comparison) -> str:
    """One line: how many problems are new, fixed and unchanged."""
    c = comparison
    return f"{len(c.new)} new, {len(c.fixed)} fixed, {len(c.unchanged)} unchanged"


def terminal(comparison: Comparison) -> Text:
    """The comparison as rich Text: new problems, then fixed ones."""
    text = Text("\nCompared with the baseline: ", style="bold")
    text.append(headline(comparison))
    for label, findings in (("new", comparison.new), ("fixed", comparison.fixed)):
        for finding in findings:
            text.append(f"\n  {label:<5} ", style="bold" if label == "new" else "green")
            text.append(
                f"{ICONS[finding.severity]} {finding.severity.value:<7} ",
                style=COLOURS[finding.severity],
            )
            text.append(f"{finding.code} · {clean(finding.subject)}", style="dim")
            text.append(f"  {clean(finding.summary)}")
    return text


def markdown(comparison: Comparison) -> list[str]:
    """The comparison as Markdown lines: a heading and a table of changes."""
    from deliverability.render.markdown import escape

    lines = ["", "## Compared with the baseline", "", f"{headline(comparison)}."]
    rows = [("new", f) for f in comparison.new] + [("fixed", f) for f in comparison.fixed]
    if rows:
        lines += ["", "| Change | Severity | Code | Subject | Summary |", "|---|---|---|---|---|"]
        lines += [_row(change, f, escape) for change, f in rows]
    return lines


def _row(change: str, finding: Finding, escape: Any) -> str:
    severity = f"{ICONS[finding.severity]} {finding.severity.value}"
    return (
        f"| {change} | {severity} | `{finding.code}` | {escape(finding.subject)} "
        f"| {escape(finding.summary)} |"
    )
