"""How the message findings are told: one verdict per receiver, causes before symptoms.

The findings are built one header or method at a time; a reader wants one answer per
question. So: a receiver's spam verdicts stated by several headers (Microsoft's SCL,
SFV and dest=J) become one finding with each header as evidence; "dkim=none" at the
receiver and "no DKIM-Signature" are one finding; a spam verdict names the
authentication failure that explains it (`caused_by`), so the report shows the cause
first, and it says "fix the authentication findings first" only when there are some.
Presentation only: no verdict changes here.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from importlib import resources
from typing import Any

from deliverability.finding import Finding, Severity

# Authentication findings that explain a junk verdict, the most telling first.
AUTH_FAILURES = (
    "message.dmarc-fail",
    "message.auth-fail",
    "message.dkim-fail",
    "message.dkim-none",
    "message.auth-none",
)
_PROBLEM = (Severity.ERROR, Severity.WARNING)
_TESTS = re.compile(r"tests=([A-Z0-9_,]+)")
_NO_AUTH_STEP = (
    "No authentication finding explains it: read the verdict's fields (docs/message.md) "
    "and the vendor's documentation for the content or reputation rule that fired."
)


def told(findings: list[Finding], rules: dict[str, Any] | None = None) -> list[Finding]:
    """`findings` with duplicates of one answer merged, spam verdicts given their cause and
    the SpamAssassin rules they name explained (`rules`: load_rules())."""
    merged = _one_spam_verdict_per_vendor(_one_dkim_absence(findings))
    return _with_causes([_explained(f, rules or {}) for f in merged])


def load_rules() -> dict[str, Any]:
    """The SpamAssassin rules explained (data/spamassassin_rules.toml); read on each call."""
    text = resources.files("deliverability").joinpath("data/spamassassin_rules.toml")
    return dict(tomllib.loads(text.read_text(encoding="utf-8")).get("rules", {}))


def _explained(finding: Finding, rules: dict[str, Any]) -> Finding:
    """Each documented rule of a `tests=` list as an evidence line, its fix as a step."""
    names = [n for line in finding.evidence for n in _TESTS.findall(line)]
    named = [n.strip() for group in names for n in group.split(",") if n.strip() in rules]
    if finding.code not in ("message.marked-spam", "message.verdict") or not named:
        return finding
    lines = tuple(f"{n}: {rules[n]['meaning']}" for n in dict.fromkeys(named))
    steps = tuple(dict.fromkeys(rules[n]["fix"] for n in named if rules[n].get("fix")))
    return dataclasses.replace(
        finding, evidence=finding.evidence + lines, remediation=finding.remediation + steps
    )


def _one_dkim_absence(findings: list[Finding]) -> list[Finding]:
    """'dkim=none' recorded by the receiver joins 'the message has no DKIM-Signature'."""
    absent = next((f for f in findings if f.code == "message.dkim-none"), None)
    recorded = [f for f in findings if f.code == "message.auth-none" and f.subject == "dkim"]
    if absent is None or not recorded:
        return findings
    merged = dataclasses.replace(absent, evidence=absent.evidence + recorded[0].evidence)
    return [merged if f is absent else f for f in findings if f not in recorded]


def _one_spam_verdict_per_vendor(findings: list[Finding]) -> list[Finding]:
    """Spam verdicts of one vendor (the summary's first words) as one finding."""
    spam = [f for f in findings if f.code == "message.marked-spam"]
    by_vendor: dict[str, list[Finding]] = {}
    for finding in spam:
        by_vendor.setdefault(_vendor(finding), []).append(finding)
    merged = {id(items[0]): _merge(vendor, items) for vendor, items in by_vendor.items()}
    return [merged.get(id(f), f) for f in findings if f not in spam or id(f) in merged]


def _vendor(finding: Finding) -> str:
    return finding.summary.split(" treated the message as spam", 1)[0]


def _merge(vendor: str, items: list[Finding]) -> Finding:
    if len(items) == 1:
        return items[0]
    fields = [f.summary.rpartition("(")[2].rstrip(")") for f in items]
    evidence = tuple(f"{f.subject}: {line}" for f in items for line in f.evidence)
    return dataclasses.replace(
        items[0],
        summary=f"{vendor} treated the message as spam ({'; '.join(fields)})",
        evidence=evidence,
    )


def _with_causes(findings: list[Finding]) -> list[Finding]:
    """A spam verdict names the authentication failure behind it, or says there is none."""
    failures = [f for code in AUTH_FAILURES for f in findings if f.code == code]
    cause = next((f.code for f in failures if f.severity in _PROBLEM), None)
    out = []
    for finding in findings:
        if finding.code == "message.marked-spam":
            finding = (
                dataclasses.replace(finding, caused_by=cause)
                if cause
                else dataclasses.replace(finding, remediation=(_NO_AUTH_STEP,))
            )
        out.append(finding)
    return out
