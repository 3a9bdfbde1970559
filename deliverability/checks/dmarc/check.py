"""DMARC policy of the From domain: found by the RFC 9989 Tree Walk, read tag by tag.

Receivers look for `_dmarc.DOMAIN`, then walk up the DNS tree (RFC 9989 4.10) to
the record that governs DOMAIN. Gmail, Yahoo and Microsoft require bulk senders to
publish one (`p=none` or stricter). This check reports where the record was found,
what it asks for (`p`, and `sp`/`np` for a subdomain), defects receivers ignore or
misread (several records, look-alikes, bad tags, RFC 7489 tags removed by RFC 9989),
and whether each external report address authorized the reports (RFC 9990 4).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from deliverability.change import txt_change
from deliverability.checks.dmarc.findings import (
    record_findings,
    reporting_findings,
    step_findings,
)
from deliverability.checks.dmarc.parse import DmarcRecord, Policy
from deliverability.checks.dmarc.tree import Step, Walk, tree_walk
from deliverability.context import Context
from deliverability.finding import Finding, Severity
from deliverability.net.dns import Answer, LookupFailed

NAME = "dmarc"
CODES = {
    "dmarc.ok": "A DMARC record with an enforcing policy governs the domain",
    "dmarc.missing": "No DMARC record governs the domain",
    "dmarc.inherited": "No record at _dmarc.DOMAIN; one higher in the tree applies",
    "dmarc.multiple": "Several DMARC records at one name: receivers discard them all",
    "dmarc.look-alike": "A TXT record meant as DMARC that receivers ignore",
    "dmarc.wrong-place": "A DMARC record published at the domain instead of _dmarc.DOMAIN",
    "dmarc.unrelated-txt": "Other TXT records share the _dmarc name",
    "dmarc.syntax": "A part of the record is not a valid tag=value pair",
    "dmarc.invalid-value": "A tag has a value DMARC does not define",
    "dmarc.unknown-tag": "A tag DMARC does not define (ignored by receivers)",
    "dmarc.removed-tag": "pct, rf or ri: RFC 7489 tags removed by RFC 9989",
    "dmarc.bad-uri": "A rua/ruf entry is not a usable mailto: URI",
    "dmarc.policy-none": "The policy is p=none: monitoring only, spoofed mail is delivered",
    "dmarc.subdomain-policy-none": "Subdomains (sp/np) are left at none under an enforcing p",
    "dmarc.testing": "t=y: receivers apply one level less than the policy",
    "dmarc.no-rua": "No rua: nobody receives aggregate reports",
    "dmarc.many-uris": "More than two report addresses in one tag",
    "dmarc.report-unauthorized": "An external report address has not authorized the reports",
    "dmarc.report-lookup-failed": "The report authorization lookup failed",
    "dmarc.walk-failed": "A lookup higher in the DNS tree failed",
}


async def run(ctx: Context) -> list[Finding]:
    """Walk the tree from DOMAIN and judge the record that governs it."""
    domain = ctx.target.domain
    walk, apex = await asyncio.gather(tree_walk(ctx.dns, domain), _apex_txt(ctx, domain))
    own = walk.steps[0]
    if own.failure is not None:
        raise LookupFailed(own.name, "TXT", own.failure)
    findings = step_findings(walk, apex)
    step = walk.policy_step
    record = step.record if step is not None else None
    _fill_data(ctx, walk, step, record, exists=not (apex is not None and apex.nxdomain))
    if step is None or record is None:
        return _meant(findings + ([] if walk.failure else [_missing(domain, walk)]))
    if step.domain != domain:
        findings.append(_inherited(domain, step, ctx.data["effective_policy"]))
    findings += record_findings(domain, step, record, ctx.data["effective_policy"])
    findings += await reporting_findings(ctx.dns, walk, step, record)
    if not any(f.severity in {Severity.ERROR, Severity.WARNING} for f in findings):
        findings.insert(0, _ok(domain, step, ctx.data["effective_policy"]))
    return findings


async def _apex_txt(ctx: Context, domain: str) -> Answer | None:
    try:
        return await ctx.dns.query(domain, "TXT")
    except LookupFailed:
        return None  # only used to spot a misplaced record and NXDOMAIN (np)


def _fill_data(
    ctx: Context, walk: Walk, step: Step | None, record: DmarcRecord | None, *, exists: bool
) -> None:
    usable = record is not None and record.usable
    ctx.data.update(
        {
            "record": record.text if record is not None else None,
            "policy": _value(record.policy) if usable and record else None,
            "subdomain_policy": _value(record.subdomain_policy) if usable and record else None,
            "nonexistent_policy": _value(record.nonexistent_policy) if usable and record else None,
            "testing": bool(usable and record and record.testing),
            "effective_policy": _effective(walk, step, record, exists=exists) if usable else None,
            "found_at": step.name if step is not None else None,
            "rua": [uri.uri for uri in record.rua] if record is not None else [],
        }
    )


def _effective(
    walk: Walk, step: Step | None, record: DmarcRecord | None, *, exists: bool
) -> str | None:
    """What applies to DOMAIN: p at its own name; sp (np if DOMAIN does not exist) above it."""
    if step is None or record is None:
        return None
    if step.domain == walk.domain:
        return _value(record.policy)
    return _value(record.subdomain_policy if exists else record.nonexistent_policy)


def _value(policy: Policy | None) -> str | None:
    return policy.value if policy is not None else None


def _meant(findings: list[Finding]) -> list[Finding]:
    """With a look-alike as the only record, correcting it is the fix for the missing record
    too (publishing another beside it would leave two)."""
    fixes = [f.changes for f in findings if f.code == "dmarc.look-alike" and f.changes]
    if not fixes:
        return findings
    return [
        dataclasses.replace(f, changes=fixes[0]) if f.code == "dmarc.missing" else f
        for f in findings
    ]


def _publish(domain: str) -> str:
    return f'_dmarc.{domain}. TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}"'


def _missing(domain: str, walk: Walk) -> Finding:
    asked = tuple(f"{s.name} TXT: {'; '.join(s.texts) or 'no DMARC record'}" for s in walk.steps)
    return Finding(
        code="dmarc.missing",
        severity=Severity.ERROR,
        subject=domain,
        summary=f"No DMARC record governs {domain}; Gmail, Yahoo and Microsoft require one "
        "of bulk senders, and anyone can spoof the domain",
        evidence=asked,
        remediation=(
            "Publish a DMARC record in testing mode (p=quarantine; t=y: receivers apply "
            "p=none while you read the reports), then drop t=y and later move to p=reject.",
        ),
        changes=(txt_change(f"_dmarc.{domain}", None, _first_record(domain)),),
    )


def _first_record(domain: str) -> str:
    return f"v=DMARC1; p=quarantine; t=y; rua=mailto:dmarc-reports@{domain}"


def _inherited(domain: str, step: Step, effective: Any) -> Finding:
    return Finding(
        code="dmarc.inherited",
        severity=Severity.INFO,
        subject=domain,
        summary=f"{domain} has no record of its own; the record at {step.name} governs it "
        f"(policy {effective or 'none'} for this subdomain)",
        evidence=(
            f"_dmarc.{domain} TXT: no DMARC record",
            f"{step.name} TXT " + "; ".join(step.dmarc_texts),
        ),
        remediation=(
            f"To set a policy for {domain} alone, publish {_publish(domain)} "
            f"(or set sp= in the record at {step.name} for every subdomain).",
        ),
        location=step.answer.location if step.answer else None,
    )


def _ok(domain: str, step: Step, effective: Any) -> Finding:
    return Finding(
        code="dmarc.ok",
        severity=Severity.OK,
        subject=domain,
        summary=f"DMARC policy {effective} applies to {domain} (record at {step.name})",
        evidence=tuple(f"{step.name} TXT {text}" for text in step.dmarc_texts),
        location=step.answer.location if step.answer else None,
    )
