"""A baseline comparison (what is new, what got fixed) in each human and machine format.

Used by the report renderers when a run was given `--baseline`, and by
`deliverability diff` for two saved reports. Pure functions, text cleaned.
"""

from __future__ import annotations

from rich.text import Text

from deliverability.finding import Comparison, Finding, Regression
from deliverability.render.markup import escape
from deliverability.render.style import COLOURS, ICONS
from deliverability.text import clean


def headline(comparison: Comparison) -> str:
    """One line: how many problems are new, fixed and unchanged."""
    c = comparison
    line = f"{len(c.new)} new, {len(c.fixed)} fixed, {len(c.unchanged)} unchanged"
    return line + (f", {len(c.regressed)} regressed" if c.regressed else "")


def regression_line(regression: Regression) -> str:
    """`dmarc.p-lowered _dmarc.example.com: reject -> none` (text cleaned)."""
    r = regression
    return clean(f"{r.kind} {r.subject}: {r.before} -> {r.after}")


def terminal(comparison: Comparison) -> Text:
    """The comparison as rich Text: new problems, then fixed ones."""
    text = Text("\nCompared with the baseline: ", style="bold")
    text.append(headline(comparison))
    for regression in comparison.regressed:
        text.append("\n  regressed ", style="bold red")
        text.append(regression_line(regression))
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
    lines = ["", "## Compared with the baseline", "", f"{headline(comparison)}."]
    if comparison.regressed:
        lines += [""] + [
            f"- **regressed:** {escape(regression_line(r))}" for r in comparison.regressed
        ]
    rows = [("new", f) for f in comparison.new] + [("fixed", f) for f in comparison.fixed]
    if rows:
        lines += ["", "| Change | Severity | Code | Subject | Summary |", "|---|---|---|---|---|"]
        lines += [_row(change, f) for change, f in rows]
    return lines


def _row(change: str, finding: Finding) -> str:
    severity = f"{ICONS[finding.severity]} {finding.severity.value}"
    return (
        f"| {change} | {severity} | `{finding.code}` | {escape(finding.subject)} "
        f"| {escape(finding.summary)} |"
    )
