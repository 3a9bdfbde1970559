"""JSON: the machine-readable report CI jobs parse (schema in docs/report.schema.json).

Keys come out in a fixed order and every string from the outside passes clean(),
so a hostile TXT record cannot smuggle terminal escapes through a `jq` pipeline.
"""

from __future__ import annotations

import json
from typing import Any

from deliverability.change import Change
from deliverability.finding import CheckResult, Comparison, Finding, Report
from deliverability.text import clean
from deliverability.verdict import Verdict, verdict

SCHEMA_VERSION = 1


def render(report: Report, *, verbose: bool = False) -> str:
    """The report as pretty-printed JSON text, ending in a newline."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False) + "\n"


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain data in schema order."""
    target = report.target
    return _cleaned(
        {
            "schema": SCHEMA_VERSION,
            "tool": {"name": "deliverability", "version": report.tool_version},
            "target": {
                "domain": target.domain,
                "ips": list(target.ips),
                "mail_from": target.mail_from,
                "helo": target.helo,
                "selectors": list(target.selectors),
                **({"recipient": target.recipient} if target.recipient else {}),
            },
            "checks": {check.name: _check(check) for check in report.checks},
            "summary": summary_to_dict(verdict(report)),
            "dns": {
                "queries": report.queries,
                "failed": report.failed_queries,
                "answered": report.answered_queries,
                "resolvers": list(report.resolvers),
                **({"trouble": report.dns_trouble} if report.dns_trouble else {}),
                "trace": [
                    {"name": t.name, "type": t.type, "outcome": t.outcome, "ms": t.ms}
                    for t in report.trace
                ],
            },
            **({"baseline": _baseline(report)} if report.baseline is not None else {}),
        }
    )


def summary_to_dict(judged: Verdict) -> dict[str, Any]:
    """The verdict block as data: `problems` in the order the terminal shows them."""
    return {
        "status": judged.status.value,
        "problems": [
            {
                "code": p.code,
                "subject": p.subject,
                "severity": p.severity.value,
                "summary": p.summary,
                "caused_by": p.caused_by,
            }
            for p in judged.problems
        ],
        "counts": judged.counts,
    }


def _baseline(report: Report) -> dict[str, Any]:
    assert report.baseline is not None
    return comparison_to_dict(report.baseline)


def _check(check: CheckResult) -> dict[str, Any]:
    return {
        "status": check.status.value,
        "duration_ms": check.duration_ms,
        "data": check.data,
        "findings": [finding_to_dict(f) for f in check.findings],
    }


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """One finding as plain data; `location` only when the record came from a zone file."""
    out: dict[str, Any] = {
        "code": finding.code,
        "severity": finding.severity.value,
        "subject": finding.subject,
        "summary": finding.summary,
        "evidence": list(finding.evidence),
        "remediation": list(finding.remediation),
        "changes": [change_to_dict(c) for c in finding.changes],
    }
    if finding.caused_by is not None:
        out["caused_by"] = finding.caused_by
    if finding.location is not None:
        out["location"] = {"file": finding.location.file, "line": finding.location.line}
    return out


def change_to_dict(change: Change) -> dict[str, Any]:
    """One proposed DNS edit as plain data (JSON `changes` items)."""
    return {
        "name": change.name,
        "type": change.type,
        "action": change.action.value,
        "old": change.old,
        "new": change.new,
        "ttl": change.ttl,
        "verified": change.verified,
        "note": change.note,
    }


_KEPT = frozenset({int, float, bool, type(None)})  # nothing in them to clean


def _cleaned(value: Any) -> Any:
    # a report has hundreds of leaves: numbers are kept without a call (clean() keeps
    # printable text without its regex)
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {
            clean(k) if isinstance(k, str) else k: v if type(v) in _KEPT else _cleaned(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [v if type(v) in _KEPT else _cleaned(v) for v in value]
    return value


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    """`{"new": [finding...], "fixed": [finding...], "unchanged": N}` (JSON key `baseline`)."""
    return _cleaned(
        {
            "new": [finding_to_dict(f) for f in comparison.new],
            "fixed": [finding_to_dict(f) for f in comparison.fixed],
            "unchanged": len(comparison.unchanged),
            "regressed": [
                {
                    "kind": r.kind,
                    "check": r.check,
                    "subject": r.subject,
                    "before": r.before,
                    "after": r.after,
                }
                for r in comparison.regressed
            ],
        }
    )
