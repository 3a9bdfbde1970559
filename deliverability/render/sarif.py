"""SARIF 2.1.0: findings as static-analysis results, for GitHub code scanning and the like.

A result is a finding on a record that came from a `--zone-file`: it points at the
file (its path relative to the checkout, as given) and the record's line. GitHub code
scanning rejects results with no physical location, so a finding about live DNS is
not a result but a notification of the run's invocation
(`invocations[].toolExecutionNotifications`), with its rule as `associatedRule`.
One rule per code that appears, its help text from `rule_docs` (docs/checks.md, which
the command line reads: renderers do no I/O); no help or information URI, since the
project publishes no documentation address. `partialFingerprints` hold a hash of the
finding's identity (code, subject), so code scanning tracks a finding across runs and
rewordings. A bulk run writes one log with a run per target (`Document`), each with
its own `automationDetails.id`, so code scanning keeps their alerts apart.
Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from deliverability.change import Change
from deliverability.finding import Finding, Location, Report, Severity
from deliverability.text import clean, clean_line

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# SARIF 3.27.10 level and 3.27.9 kind for each severity. A kind other than "fail"
# must have level "none" (3.27.10): unknown is "open", the tool could not tell.
LEVELS = {
    Severity.OK: ("none", "pass"),
    Severity.INFO: ("none", "informational"),
    Severity.WARNING: ("warning", "fail"),
    Severity.UNKNOWN: ("none", "open"),
    Severity.ERROR: ("error", "fail"),
}
# SARIF 3.58.4: a notification's level is one of none, note, warning, error.
NOTIFICATION_LEVELS = {
    Severity.INFO: "note",
    Severity.WARNING: "warning",
    Severity.UNKNOWN: "note",
    Severity.ERROR: "error",
}
_SEVERITY_PREFIX = re.compile(r"^\*\*Severity:\*\*\s*[a-z]+\.\s*")


def render(
    report: Report,
    *,
    verbose: bool = False,
    rule_docs: dict[str, str] | None = None,
    zones: dict[str, tuple[str, str]] | None = None,
) -> str:
    """The report as a SARIF 2.1.0 log with one run; `rule_docs` maps code -> catalog text,
    `zones` path -> (text, origin) of the zone files the verified changes edit."""
    document = Document(rule_docs, zones)
    return document.head() + document.part(report) + document.tail()


class Document:
    """A SARIF log written a run at a time: head, part (one run per report)..., tail."""

    def __init__(
        self,
        rule_docs: dict[str, str] | None = None,
        zones: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.rule_docs = rule_docs or {}
        self.zones = zones or {}
        self._runs = 0

    def head(self) -> str:
        """The log's opening, up to its `runs` list."""
        return f'{{\n  "$schema": "{SARIF_SCHEMA}",\n  "version": "2.1.0",\n  "runs": ['

    def part(self, report: Report) -> str:
        """One report as one run, indented to sit in the `runs` list."""
        run = run_of(report, self.rule_docs, self.zones)
        text = json.dumps(run, indent=2, ensure_ascii=False)
        self._runs += 1
        return ("," if self._runs > 1 else "") + "\n" + textwrap.indent(text, "    ")

    def failure(self, line: int, domain: str, reason: str) -> str:
        """A target that could not be checked: a run whose invocation says why."""
        text = json.dumps(_failed_run(line, domain, reason), indent=2, ensure_ascii=False)
        self._runs += 1
        return ("," if self._runs > 1 else "") + "\n" + textwrap.indent(text, "    ")

    def tail(self) -> str:
        """The close of the `runs` list and the log."""
        return ("\n  ]" if self._runs else "]") + "\n}\n"


def run_of(
    report: Report, rule_docs: dict[str, str], zones: dict[str, tuple[str, str]] | None = None
) -> dict[str, Any]:
    """One SARIF run: results for findings with a file location, notifications for the rest;
    a result's verified changes are its `fixes` when `zones` holds the files they edit."""
    findings = report.findings
    codes = list(dict.fromkeys(f.code for f in findings))
    located = [f for f in findings if f.location is not None]
    elsewhere = [f for f in findings if f.location is None and f.severity is not Severity.OK]
    new = {f.identity for f in report.baseline.new} if report.baseline is not None else None
    placed = _placed(located, zones or {})
    fixes = {f.identity: _fix(f, zones or {}, placed) for f in located}
    return {
        "tool": _tool(report, [_rule(code, rule_docs) for code in codes]),
        "automationDetails": {"id": f"deliverability/{clean_line(report.target.domain)}/"},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, codes.index(f.code), report, new, fixes) for f in located],
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    _notification(f, codes.index(f.code), report, new) for f in elsewhere
                ],
            }
        ],
    }


def _tool(report: Report, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "driver": {"name": "deliverability", "version": clean(report.tool_version), "rules": rules}
    }


def _failed_run(line: int, domain: str, reason: str) -> dict[str, Any]:
    note = {"level": "error", "message": {"text": clean_line(f"line {line}: {domain}: {reason}")}}
    return {
        "tool": {"driver": {"name": "deliverability", "rules": []}},
        "automationDetails": {"id": f"deliverability/line-{line}/"},
        "results": [],
        "invocations": [{"executionSuccessful": False, "toolExecutionNotifications": [note]}],
    }


def _rule(code: str, sections: dict[str, str]) -> dict[str, Any]:
    check, _, suffix = code.partition(".")
    body = sections.get(code) or sections.get(f"<check>.{suffix}", "")
    first = _SEVERITY_PREFIX.sub("", body.split("\n\n", 1)[0].replace("\n", " ")) or code
    return {
        "id": code,
        "name": code.replace(".", "/"),
        "shortDescription": {"text": clean_line(first.split(". ", 1)[0].rstrip("."))},
        "fullDescription": {"text": clean_line(first)},
        "help": {"text": clean(body or code), "markdown": clean(body or f"`{code}`")},
        "properties": {"check": check},
    }


def _message(finding: Finding) -> dict[str, str]:
    text = clean_line(finding.summary)
    if finding.remediation:
        text += " Fix: " + clean_line(" ".join(finding.remediation))
    return {"text": text}


def _result(
    finding: Finding,
    rule_index: int,
    report: Report,
    new: set[tuple[str, str]] | None,
    fixes: dict[tuple[str, str], dict[str, Any] | None],
) -> dict[str, Any]:
    level, kind = LEVELS[finding.severity]
    assert finding.location is not None
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": level,
        "kind": kind,
        "message": _message(finding),
        "locations": [
            {
                "physicalLocation": _physical(finding.location),
                "logicalLocations": [
                    {"fullyQualifiedName": clean_line(finding.subject), "kind": "resource"}
                ],
            }
        ],
        "partialFingerprints": {"deliverabilityIdentity/v1": identity_hash(finding)},
        "properties": _properties(finding, report),
    }
    if new is not None and finding.severity is not Severity.OK:  # SARIF 3.27.24
        result["baselineState"] = "new" if finding.identity in new else "unchanged"
    fix = fixes.get(finding.identity)
    if fix is not None:
        result["fixes"] = [fix]
    return result


_Placed = dict[Any, tuple[str, Any]]  # change key -> (zone file, zonepatch.Region)


def _placed(findings: list[Finding], zones: dict[str, tuple[str, str]]) -> _Placed:
    """Where each verified change of `findings` goes: each zone file read once."""
    from deliverability.zonepatch import holder, regions

    origins = {path: origin for path, (_text, origin) in zones.items()}
    by_file: dict[str, dict[Any, Change]] = {}
    for change in (c for f in findings for c in f.changes if c.verified):
        path = holder(change.name, origins)
        if path is not None:
            by_file.setdefault(path, {})[change.key] = change
    placed: _Placed = {}
    for path, changes in by_file.items():
        found = regions(*zones[path], list(changes.values()))
        placed |= {k: (path, r) for k, r in zip(changes, found, strict=True) if r is not None}
    return placed


def _fix(
    finding: Finding, zones: dict[str, tuple[str, str]], placed: _Placed
) -> dict[str, Any] | None:
    """SARIF 3.55: the finding's verified changes as replacements at the zone files' lines;
    None unless every one of them can be placed (half a change set is not a fix)."""
    changes = [c for c in finding.changes if c.verified]
    if not changes or any(c.key not in placed for c in changes):
        return None
    by_file: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        path, region = placed[change.key]
        by_file.setdefault(path, []).append(_replacement(zones[path][0].splitlines(), region))
    steps = " ".join(c.describe() for c in changes)
    return {
        "description": {"text": clean_line(f"{steps} (then raise the SOA serial)")},
        "artifactChanges": [
            {"artifactLocation": {"uri": artifact_uri(path)}, "replacements": replacements}
            for path, replacements in by_file.items()
        ],
    }


def _replacement(lines: list[str], region: Any) -> dict[str, Any]:
    """SARIF 3.57: the lines a change rewrites (columns in code points, 3.30), or an empty
    region after the last line for a record added."""
    end = len(lines[region.last - 1]) + 1 if region.last >= 1 else 1
    if region.last < region.first:  # an addition: after the file's last character
        line = max(region.last, 1)
        text = ("\n" if region.last >= 1 else "") + region.text + ("" if region.last else "\n")
        deleted = {"startLine": line, "startColumn": end, "endLine": line, "endColumn": end}
        return {"deletedRegion": deleted, "insertedContent": {"text": clean(text)}}
    deleted = {
        "startLine": region.first,
        "startColumn": 1,
        "endLine": region.last,
        "endColumn": end,
    }
    if not region.text and region.last < len(lines):  # a removal takes its line break too
        deleted |= {"endLine": region.last + 1, "endColumn": 1}
    return {"deletedRegion": deleted, "insertedContent": {"text": clean(region.text)}}


def _notification(
    finding: Finding, rule_index: int, report: Report, new: set[tuple[str, str]] | None
) -> dict[str, Any]:
    properties = _properties(finding, report)
    if new is not None:  # a notification has no baselineState of its own: keep it beside
        properties["baselineState"] = "new" if finding.identity in new else "unchanged"
    return {
        "level": NOTIFICATION_LEVELS[finding.severity],
        "message": _message(finding),
        "associatedRule": {"id": finding.code, "index": rule_index},
        "properties": properties,
    }


def _properties(finding: Finding, report: Report) -> dict[str, Any]:
    return {
        "severity": finding.severity.value,
        "domain": clean_line(report.target.domain),
        "subject": clean_line(finding.subject),
        "evidence": [clean(line) for line in finding.evidence],
        "remediation": [clean(step) for step in finding.remediation],
    }


def _physical(location: Location) -> dict[str, Any]:
    return {
        "artifactLocation": {"uri": artifact_uri(location.file)},
        "region": {"startLine": location.line},
    }


def artifact_uri(path: str) -> str:
    """A zone file path as a SARIF URI: relative paths stay relative (forward slashes)."""
    path = clean_line(path)
    if PureWindowsPath(path).is_absolute() and not path.startswith("/"):
        return PureWindowsPath(path).as_uri()
    if path.startswith("/"):
        return PurePosixPath(path).as_uri()
    return quote(path.replace("\\", "/").removeprefix("./"), safe="/")


def identity_hash(finding: Finding) -> str:
    """A stable hash of (code, subject): the same finding in every run."""
    identity = f"{finding.code}\0{finding.subject}".encode()
    return hashlib.sha256(identity).hexdigest()[:32]
