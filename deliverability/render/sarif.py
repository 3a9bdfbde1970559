"""SARIF 2.1.0: findings as static-analysis results, for GitHub code scanning and the like.

One rule per code that appears, its text taken from `rule_docs` (docs/checks.md,
which the command line reads: renderers do no I/O).
A finding on a record from a `--zone-file` points at the file and line; others
carry the subject as a logical location. `partialFingerprints` hold a hash of the
finding's identity (code, subject), so code scanning tracks a finding across runs
and rewordings. Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from deliverability.finding import Finding, Location, Report, Severity
from deliverability.text import clean, clean_line

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/deliverability/deliverability"
# SARIF 3.27.10 level and 3.27.9 kind for each severity. A kind other than "fail"
# must have level "none" (3.27.10): unknown is "open", the tool could not tell.
LEVELS = {
    Severity.OK: ("none", "pass"),
    Severity.INFO: ("none", "informational"),
    Severity.WARNING: ("warning", "fail"),
    Severity.UNKNOWN: ("none", "open"),
    Severity.ERROR: ("error", "fail"),
}
_SEVERITY_PREFIX = re.compile(r"^\*\*Severity:\*\*\s*[a-z]+\.\s*")


def render(
    report: Report, *, verbose: bool = False, rule_docs: dict[str, str] | None = None
) -> str:
    """The report as a SARIF 2.1.0 log with one run; `rule_docs` maps code -> catalog text."""
    findings = report.findings
    codes = list(dict.fromkeys(f.code for f in findings))
    sections = rule_docs or {}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "deliverability",
                "version": clean(report.tool_version),
                "informationUri": INFORMATION_URI,
                "rules": [_rule(code, sections) for code in codes],
            }
        },
        "automationDetails": {"id": f"deliverability/{clean_line(report.target.domain)}/"},
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, codes.index(f.code), report) for f in findings],
    }
    if report.baseline is not None:  # SARIF 3.27.24: new / unchanged since the baseline
        new = {f.identity for f in report.baseline.new}
        for finding, result in zip(findings, run["results"], strict=True):
            if finding.severity != Severity.OK:
                result["baselineState"] = "new" if finding.identity in new else "unchanged"
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


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
        "helpUri": f"{INFORMATION_URI}/blob/main/docs/checks.md",
        "properties": {"check": check},
    }


def _result(finding: Finding, rule_index: int, report: Report) -> dict[str, Any]:
    level, kind = LEVELS[finding.severity]
    text = clean_line(finding.summary)
    if finding.remediation:
        text += " Fix: " + clean_line(" ".join(finding.remediation))
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": level,
        "kind": kind,
        "message": {"text": text},
        "locations": [_location(finding)],
        "partialFingerprints": {"deliverabilityIdentity/v1": identity_hash(finding)},
        "properties": {
            "severity": finding.severity.value,
            "domain": clean_line(report.target.domain),
            "subject": clean_line(finding.subject),
            "evidence": [clean(line) for line in finding.evidence],
            "remediation": [clean(step) for step in finding.remediation],
        },
    }


def _location(finding: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [
            {
                "fullyQualifiedName": clean_line(finding.subject),
                "kind": "resource",
            }
        ]
    }
    if finding.location is not None:
        location["physicalLocation"] = _physical(finding.location)
    return location


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
