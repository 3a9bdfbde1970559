"""Baselines: compare two reports by finding identity (code, subject), never by text.

CI saves a report (`check ... --format json > baseline.json`) and later gates only
on what is new since then (`check ... --baseline baseline.json`), so known problems
do not block every pull request while new ones do; `diff OLD.json NEW.json` shows
the same comparison for two saved reports. Only problems are compared: findings
worse than `ok` (`info` and up). Rewording a summary changes nothing here. Besides
new problems, a baseline names regressions (regressions.py): a weaker policy or a
check gone bad, which fail the gate whatever their severity.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from deliverability.files import MAX_REPORT, UnreadableFile, read_user_text
from deliverability.finding import Comparison, Finding, Location, Severity
from deliverability.lean import dataclass
from deliverability.regressions import regressions, saved_facts


class BaselineError(Exception):
    """A saved report cannot be read; the message is one line naming the file."""


def compare(old: Sequence[Finding], new: Sequence[Finding]) -> Comparison:
    """Split the problems of `old` and `new` into new, fixed and unchanged."""
    old_problems, new_problems = _problems(old), _problems(new)
    old_ids = {f.identity for f in old_problems}
    new_ids = {f.identity for f in new_problems}
    return Comparison(
        new=tuple(f for f in new_problems if f.identity not in old_ids),
        fixed=tuple(f for f in old_problems if f.identity not in new_ids),
        unchanged=tuple(f for f in new_problems if f.identity in old_ids),
    )


def _problems(findings: Sequence[Finding]) -> list[Finding]:
    """Findings worse than ok, worst first, one per identity."""
    problems = sorted(
        (f for f in findings if f.severity != Severity.OK), key=lambda f: f.severity.rank
    )
    unique = {f.identity: f for f in problems}  # the worst one wins
    return sorted(unique.values(), key=lambda f: -f.severity.rank)


def load_findings(path: Path) -> list[Finding]:
    """Every finding of a JSON report saved by `check --format json`; BaselineError if not one."""
    return load_saved(path).findings


@dataclass(frozen=True, kw_only=True)
class SavedReport:
    """What a saved JSON report tells a baseline: its findings, and each check's status and data."""

    findings: list[Finding]
    facts: dict[str, Any]


def load_saved(path: Path) -> SavedReport:
    """A JSON report saved by `check --format json`; BaselineError (one line) if not one."""
    try:
        data = json.loads(read_user_text(path, "JSON report", MAX_REPORT))
    except UnreadableFile as exc:
        raise BaselineError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:  # the json module recurses once per nested array or object
        raise BaselineError(f"{path}: nested too deeply to be a saved report") from None
    try:
        return SavedReport(findings=findings_of(data), facts=saved_facts(data))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise BaselineError(
            f"{path}: not a deliverability JSON report (save one with --format json)"
        ) from None


def compare_reports(old: SavedReport, new: SavedReport) -> Comparison:
    """compare() of the findings, with the regressions of the checks' data."""
    return replace(compare(old.findings, new.findings), regressed=regressions(old.facts, new.facts))


def findings_of(report: dict[str, Any]) -> list[Finding]:
    """The findings of a report parsed from JSON (KeyError/TypeError/ValueError if malformed)."""
    if report.get("tool", {}).get("name") != "deliverability":
        raise ValueError("not a deliverability report")
    return [finding_of(item) for check in report["checks"].values() for item in check["findings"]]


def finding_of(item: dict[str, Any]) -> Finding:
    """One finding parsed from JSON (KeyError/TypeError/ValueError if malformed)."""
    where = item.get("location")
    return Finding(
        code=_text(item["code"]),
        severity=Severity(item["severity"]),
        subject=_text(item["subject"]),
        summary=_text(item.get("summary", "")),
        evidence=tuple(_text(line) for line in item.get("evidence", [])),
        remediation=tuple(_text(step) for step in item.get("remediation", [])),
        location=Location(file=_text(where["file"]), line=int(where["line"])) if where else None,
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value
