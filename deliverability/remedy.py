"""Verify the DNS changes checks propose before any is offered (`Finding.changes`).

    proposals (checks) --> overlay (net/overlay.py) --> affected checks run again
        --> offered `verified=True` only if
            (1) every finding the change set targets is gone,
            (2) no new error or warning appears, and
            (3) every IP that SPF authorized before is still authorized (pyspf)

All proposals for the domain are tried together first; when that fails each
finding's changes are tried in turn on top of those already accepted, so one
bad proposal does not sink the others. A proposal that cannot pass stays on its
finding with `verified=False`, no new record, and a note saying what to decide.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import re
from collections.abc import Awaitable, Callable
from typing import Any

from deliverability.change import Change
from deliverability.checks.spf.evaluate import evaluate, spf_identity
from deliverability.finding import Finding, Report, Severity, Target
from deliverability.lean import dataclass
from deliverability.net.dns import DnsClient
from deliverability.net.overlay import UnusableChange, overlay

Rerun = Callable[[DnsClient, tuple[str, ...]], Awaitable[Report]]
MAX_PROPOSALS = 16  # each costs one offline re-run; more than this is not a typical domain
MAX_SENDERS = 32  # IPs whose SPF verdict must survive (condition 3)
_BAD = (Severity.ERROR, Severity.WARNING)
_NEW = (*_BAD, Severity.UNKNOWN)  # a change whose effect cannot be looked up is not verified
_ALWAYS = ("spf", "dmarc")  # read each other's records (~all with p=none)
_SPF_TEXT = re.compile(r'^"?v=spf1(?:[\s"]|$)', re.IGNORECASE)  # a TXT record as presented


@dataclass(frozen=True, kw_only=True)
class Proposal:
    """The changes one or more findings propose together, and the findings they fix."""

    changes: tuple[Change, ...]
    targets: frozenset[tuple[str, str]]


async def verify(report: Report, dns: DnsClient, rerun: Rerun, profile: Any = None) -> Report:
    """`report` with every proposed change verified, or turned into a decision to make."""
    proposals = _proposals(report)
    if not proposals:
        return _settled(report, [], {})  # decisions only: each gets its note
    touches_spf = any(_changes_spf(c) for p in proposals for c in p.changes)
    checks = _affected(report, touches_spf)
    senders = _senders(report, profile) if touches_spf else []
    before = await _verdicts(dns, report.target, senders)

    async def passes(chosen: list[Proposal]) -> str:
        return await _failure(report, dns, rerun, checks, chosen, before)

    accepted, reasons = await _choose(proposals, passes)
    return _settled(report, accepted, reasons)


async def _choose(
    proposals: list[Proposal], passes: Callable[[list[Proposal]], Awaitable[str]]
) -> tuple[list[Proposal], dict[Proposal, str]]:
    if not await passes(proposals):
        return proposals, {}
    accepted: list[Proposal] = []
    reasons: dict[Proposal, str] = {}
    for proposal in proposals[:MAX_PROPOSALS]:
        reason = await passes([*accepted, proposal])
        if reason:
            reasons[proposal] = reason
        else:
            accepted.append(proposal)
    for proposal in proposals[MAX_PROPOSALS:]:
        reasons[proposal] = "too many changes proposed to verify them all"
    return accepted, reasons


def _proposals(report: Report) -> list[Proposal]:
    """Findings proposing the same set of record changes form one proposal."""
    by_changes: dict[tuple[Any, ...], set[tuple[str, str]]] = {}
    changes_of: dict[tuple[Any, ...], tuple[Change, ...]] = {}
    for finding in report.findings:
        wanted = tuple(c for c in finding.changes if c.new is not None or c.old is not None)
        if not wanted:
            continue
        key = tuple(sorted(c.key for c in wanted))
        by_changes.setdefault(key, set()).add(finding.identity)
        changes_of.setdefault(key, wanted)
    return [Proposal(changes=changes_of[k], targets=frozenset(t)) for k, t in by_changes.items()]


def _changes_spf(change: Change) -> bool:
    """Whether `change` edits a record an SPF evaluation may read: an SPF record, or the
    A, AAAA, MX and PTR records its a, mx, ptr and exists terms resolve. SPF reads no
    other TXT, so a DMARC or TLS-RPT edit cannot change an SPF verdict (condition 3 is
    then moot)."""
    if change.type in ("SPF", "A", "AAAA", "MX", "PTR"):
        return True
    texts = (change.old, change.new) if change.type == "TXT" else ()
    return any(text is not None and _SPF_TEXT.match(text) for text in texts)


def _affected(report: Report, touches_spf: bool) -> tuple[str, ...]:
    """The checks to run again. spf reads DMARC only for an info note, so when no change
    edits an SPF record and no spf finding proposed one, its re-run (a whole walk) could
    neither remove a target nor add a problem; the checks that read its result need it."""
    ran = [check.name for check in report.checks]
    proposing = {c.name for c in report.checks if any(f.changes for f in c.findings)}
    wanted = {name for name in ran if name in proposing or name in _ALWAYS or _reads(name)}
    if not touches_spf and "spf" not in proposing and not any(_reads(n) for n in wanted):
        wanted.discard("spf")
    return tuple(name for name in ran if name in wanted)


def _reads(name: str) -> bool:
    # checks that judge from the others' results (NEEDS spf/dkim/dmarc)
    return name in ("alignment", "requirements")


async def _failure(
    report: Report,
    dns: DnsClient,
    rerun: Rerun,
    checks: tuple[str, ...],
    chosen: list[Proposal],
    before: dict[str, str],
) -> str:
    """Why applying `chosen` together fails a condition; '' when it passes all three."""
    try:
        patched = await overlay(dns, [c for p in chosen for c in p.changes])
    except UnusableChange as exc:
        return f"the change cannot be applied ({exc})"
    after = await rerun(patched, checks)
    return (
        _still_there(after, chosen)
        or _new_problems(report, after)
        or _lost_senders(before, await _verdicts(patched, report.target, list(before)))
    )


def _still_there(after: Report, chosen: list[Proposal]) -> str:
    left = {f.identity for f in after.findings} & {t for p in chosen for t in p.targets}
    return f"{sorted(left)[0][0]} would remain" if left else ""


def _new_problems(before: Report, after: Report) -> str:
    old = {f.identity for f in before.findings if f.severity in _NEW}
    new = [f for f in after.findings if f.severity in _NEW and f.identity not in old]
    return f"it would cause {new[0].code} ({new[0].subject})" if new else ""


def _lost_senders(before: dict[str, str], after: dict[str, str]) -> str:
    lost = [ip for ip, result in before.items() if result == "pass" and after.get(ip) != "pass"]
    return f"{lost[0]} would no longer pass SPF ({after.get(lost[0])})" if lost else ""


def _senders(report: Report, profile: Any) -> list[str]:
    """The IPs whose SPF verdict a change must keep: --ip, the profile's, and one address
    of every network the record authorized (broad ranges aside: narrowing them is a fix)."""
    ips = list(report.target.ips)
    networks = [str(n) for n in getattr(profile, "ips", ())]
    spf = next((c for c in report.checks if c.name == "spf"), None)
    if spf is not None:
        networks += [n["network"] for n in spf.data.get("networks", [])]
    for text in networks:
        network = ipaddress.ip_network(text, strict=False)
        if network.prefixlen > (8 if network.version == 4 else 32):
            ips.append(str(network.network_address))
    return list(dict.fromkeys(ips))[:MAX_SENDERS]


async def _verdicts(dns: DnsClient, target: Target, ips: list[str]) -> dict[str, str]:
    sender, _domain = spf_identity(target)
    helo = target.helo or "unknown"
    verdicts = await asyncio.gather(*(evaluate(dns, ip=ip, sender=sender, helo=helo) for ip in ips))
    return {ip: v.result for ip, v in zip(ips, verdicts, strict=True)}


def _settled(report: Report, accepted: list[Proposal], reasons: dict[Proposal, str]) -> Report:
    verdict: dict[tuple[str, str], str | None] = {}
    for proposal in accepted:
        verdict.update(dict.fromkeys(proposal.targets, None))
    for proposal, reason in reasons.items():
        verdict.update(dict.fromkeys(proposal.targets, reason))
    checks = tuple(
        dataclasses.replace(c, findings=tuple(_finding(f, verdict) for f in c.findings))
        for c in report.checks
    )
    return dataclasses.replace(report, checks=checks)


def _finding(finding: Finding, verdict: dict[tuple[str, str], str | None]) -> Finding:
    if not finding.changes:
        return finding
    reason = verdict.get(finding.identity, "")
    if reason is None:
        changes = tuple(dataclasses.replace(c, verified=True) for c in finding.changes)
        steps = tuple(c.describe() + (f" ({c.note})" if c.note else "") for c in changes)
    else:
        changes = tuple(_decision(c, reason) for c in finding.changes)
        steps = tuple(dict.fromkeys(c.note for c in changes))
    return dataclasses.replace(finding, changes=changes, remediation=finding.remediation + steps)


def _decision(change: Change, reason: str) -> Change:
    """A change that did not pass: no record offered, the note says what to decide."""
    why = f"No record change offered: {reason}." if reason else ""
    note = " ".join(part for part in (why, change.note) if part)
    return dataclasses.replace(change, new=None, verified=False, note=note)
