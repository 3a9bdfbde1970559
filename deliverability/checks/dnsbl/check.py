"""DNS blocklists: is a sending IP or domain listed, and what does the listing mean?

Each --ip is asked of the IP lists (IPv6 only where a list supports it); DOMAIN, the
envelope-sender domain and the profile's DKIM domains, each also as its registrable
domain, are asked of the domain lists. All lists are asked at once. Answers are read
honestly: NXDOMAIN is "not listed" only from a list whose RFC 5782 test entry
answered as listed and whose negative entry did not; an error code (a public
resolver refused, a bad key) or a timeout is "unknown", with the reason and the fix.
"""

from __future__ import annotations

import asyncio
import ipaddress
from enum import StrEnum
from typing import Any

from deliverability.checks.dnsbl.lists import (
    LOOPBACK_NET,
    BlocklistSpec,
    ListKind,
    Weight,
    catalog_date,
    select_lists,
)
from deliverability.context import Context
from deliverability.finding import Finding, Severity
from deliverability.lean import dataclass
from deliverability.net.dns import OFFLINE, OFFLINE_FIX, Answer, LookupFailed

NAME = "dnsbl"
DEFAULTS: dict[str, Any] = {"lists": "default", "spamhaus_key": None}
CODES = {
    "dnsbl.listed": "The IP or domain is listed on a blocklist",
    "dnsbl.not-listed": "Not listed on any list that answered as documented",
    "dnsbl.query-refused": "The list refused our queries (public resolver, quota, bad key)",
    "dnsbl.list-not-answering": "The list's test entry did not answer as documented",
    "dnsbl.list-broken": "The list lists its RFC 5782 negative entry: it answers everything",
    "dnsbl.unverified": "The list has no test entry, so 'not listed' cannot be trusted",
    "dnsbl.query-failed": "A blocklist query timed out or failed",
    "dnsbl.unexpected-answer": "A blocklist gave an answer it does not document",
    "dnsbl.no-ip": "No sending IP was given, so IP lists were not asked",
    "dnsbl.none-selected": "No blocklists were selected",
}
_RETRY = "Run again; if it persists, check the resolver (--resolver) and --timeout."
_SEVERITY = {
    Weight.MAJOR: Severity.ERROR,
    Weight.MINOR: Severity.WARNING,
    Weight.INFORMATIONAL: Severity.INFO,
}


class Status(StrEnum):
    """What one answer says about one target."""

    LISTED = "listed"
    NOT_LISTED = "not_listed"
    REFUSED = "refused"  # a documented error code
    UNEXPECTED = "unexpected"  # NODATA, outside 127/8, an undocumented code
    FAILED = "failed"  # timeout, SERVFAIL: no answer at all


@dataclass(frozen=True, kw_only=True)
class Reading:
    """One list's answer about one name, read against the list's documentation."""

    status: Status
    codes: tuple[str, ...] = ()
    meaning: str = ""
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Health:
    """Whether a list can be trusted this run; `code` is the list-level finding if not."""

    verified: bool  # the test entry answered as listed, the negative entry did not
    code: str | None = None
    reason: str = ""
    evidence: tuple[str, ...] = ()


def read_answer(spec: BlocklistSpec, outcome: Answer | LookupFailed) -> Reading:
    """Classify one answer; only NXDOMAIN is ever NOT_LISTED."""
    if isinstance(outcome, LookupFailed):
        return Reading(status=Status.FAILED, reason=outcome.reason)
    if outcome.nxdomain:
        return Reading(status=Status.NOT_LISTED)
    codes = tuple(sorted(set(outcome.values()), key=ipaddress.ip_address))
    if not codes:
        return Reading(status=Status.UNEXPECTED, reason="the name exists but has no A record")
    errors = [spec.errors[c] for c in codes if c in spec.errors]
    if errors:
        return Reading(status=Status.REFUSED, codes=codes, reason="; ".join(errors))
    outside = [c for c in codes if ipaddress.ip_address(c) not in LOOPBACK_NET]
    if outside:
        why = f"answer {', '.join(outside)} is outside 127.0.0.0/8 (a resolver rewriting NXDOMAIN?)"
        return Reading(status=Status.UNEXPECTED, codes=codes, reason=why)
    if not spec.codes:  # a custom list without codes: any 127/8 answer is a listing
        return Reading(status=Status.LISTED, codes=codes, meaning="listed")
    meanings = [m for m in (spec.meaning_of(c) for c in codes) if m]
    if not meanings:
        return Reading(
            status=Status.UNEXPECTED,
            codes=codes,
            reason=f"undocumented return code {', '.join(codes)}",
        )
    return Reading(status=Status.LISTED, codes=codes, meaning="; ".join(meanings))


def judge_health(spec: BlocklistSpec, test: Reading | None, negative: Reading) -> Health:
    """RFC 5782 section 5: trust a list only if its test entry is listed and 'invalid' is not."""
    for probe in (test, negative):
        if probe is not None and probe.status is Status.FAILED:
            return Health(verified=False, code="dnsbl.query-failed", reason=probe.reason)
        if probe is not None and probe.status is Status.REFUSED:
            return Health(verified=False, code="dnsbl.query-refused", reason=probe.reason)
    if test is not None and test.status is not Status.LISTED:
        seen = "NXDOMAIN" if test.status is Status.NOT_LISTED else test.reason
        why = f"test entry {spec.test_entry} answered {seen}, not a listing as documented"
        return Health(verified=False, code="dnsbl.list-not-answering", reason=why)
    if negative.status is not Status.NOT_LISTED:
        why = f"the negative entry {spec.negative_entry} is listed ({', '.join(negative.codes)})"
        return Health(
            verified=False, code="dnsbl.list-broken", reason=f"{why}: it answers everything"
        )
    if test is None:
        return Health(verified=False, code="dnsbl.unverified", reason="the list has no test entry")
    return Health(verified=True)


def result_status(health: Health, reading: Reading) -> tuple[str, str]:
    """The JSON status and reason of one (list, target): not_listed needs a verified list."""
    if health.code in (
        "dnsbl.query-failed",
        "dnsbl.query-refused",
        "dnsbl.list-not-answering",
        "dnsbl.list-broken",
    ):
        return "unknown", health.reason
    if reading.status is Status.LISTED:
        return "listed", ""
    if reading.status is Status.NOT_LISTED:
        return ("not_listed", "") if health.verified else ("unknown", health.reason)
    return "unknown", reading.reason


async def run(ctx: Context) -> list[Finding]:
    """Ask every selected list about every target, side by side."""
    specs = select_lists(
        str(ctx.options.get("lists") or "default"),
        ctx.profile.blocklists,
    )
    key = ctx.options.get("spamhaus_key") or None
    ctx.data.update({"catalog_checked": catalog_date(), "lists": [], "results": []})
    if not specs:
        return [
            _info(
                "dnsbl.none-selected",
                ctx.target.domain,
                "No blocklists were selected",
                "Run with --blocklists default to ask the curated lists.",
            )
        ]
    # _domains reads the Public Suffix List: parse it off the event loop, not before every query
    targets = {
        ListKind.IP: list(ctx.target.ips),
        ListKind.DOMAIN: await asyncio.to_thread(_domains, ctx),
    }
    per_list = await asyncio.gather(*(_check_list(ctx, s, targets, key) for s in specs))
    findings: list[Finding] = []
    for list_findings, entry, results in per_list:  # in catalog order, whatever answered first
        findings += list_findings
        ctx.data["lists"] += [entry] if entry else []
        ctx.data["results"] += results
    findings += _not_listed(ctx.data["results"])
    if not ctx.target.ips and any(s.kind is ListKind.IP for s in specs):
        findings.append(
            _info(
                "dnsbl.no-ip",
                ctx.target.domain,
                "No sending IP was given; IP blocklists were not asked",
                "Run again with --ip for each address your mail leaves from.",
            )
        )
    return findings


def _domains(ctx: Context) -> list[str]:
    """DOMAIN, the envelope-sender domain, the profile's DKIM d= domains; each also registrable."""
    from deliverability.checks.dmarc.suffixes import public_suffix_list  # read once, shared

    psl = public_suffix_list()
    given = [
        ctx.target.domain,
        ctx.target.mail_from_domain,
        *ctx.profile.dkim_domains,
    ]
    return list(dict.fromkeys(d for g in given for d in (g, psl.privatesuffix(g) or g)))


async def _ask(ctx: Context, name: str) -> Answer | LookupFailed:
    try:
        return await ctx.dns.query(name, "A")
    except LookupFailed as exc:  # one list failing says nothing about the others
        return exc


ListOutcome = tuple[list[Finding], dict[str, Any] | None, list[dict[str, Any]]]


async def _check_list(
    ctx: Context, spec: BlocklistSpec, targets: dict[ListKind, list[str]], key: str | None
) -> ListOutcome:
    """Probe the list's test and negative entries and ask about every target, all at once."""
    items = [t for t in targets[spec.kind] if spec.kind is ListKind.DOMAIN or spec.asks_about(t)]
    if not items:
        return [], None, []
    probes = [spec.test_entry, spec.negative_entry] if spec.test_entry else [spec.negative_entry]
    names = [spec.query_name(i, key) for i in (*probes, *items)]
    outcomes = await asyncio.gather(*(_ask(ctx, n) for n in names))
    readings = [read_answer(spec, o) for o in outcomes]
    test = readings[0] if spec.test_entry else None
    health = judge_health(spec, test, readings[len(probes) - 1])
    evidence = tuple(_evidence(ctx, n, r) for n, r in zip(names, readings, strict=True))
    entry = {
        "name": spec.name,
        "zone": spec.zone,
        "kind": spec.kind.value,
        "verified": health.verified,
        "reason": health.reason,
    }
    findings = []
    if health.code:
        findings.append(_list_finding(spec, health, evidence[: len(probes)], len(items)))
    results = []
    for item, name, reading in zip(
        items, names[len(probes) :], readings[len(probes) :], strict=True
    ):
        status, reason = result_status(health, reading)
        results.append(
            {
                "list": spec.name,
                "target": item,
                "status": status,
                "codes": list(reading.codes),
                "meaning": reading.meaning,
                "reason": reason,
            }
        )
        findings += _target_findings(ctx, spec, health, item, name, reading)
    return findings, entry, results


def _evidence(ctx: Context, name: str, reading: Reading) -> str:
    seen = {Status.NOT_LISTED: "NXDOMAIN", Status.FAILED: reading.reason}.get(
        reading.status, ", ".join(reading.codes) or reading.reason
    )
    return ctx.dns.redact(f"{name} A: {seen}")  # a DQS key never leaves the DNS layer


def _target_findings(
    ctx: Context, spec: BlocklistSpec, health: Health, item: str, name: str, reading: Reading
) -> list[Finding]:
    if health.code not in (None, "dnsbl.unverified"):
        return []  # the list-level finding already says why nothing is known
    evidence = (_evidence(ctx, name, reading),)
    subject = f"{item} {spec.name}"
    if reading.status is Status.LISTED:
        return [_listed(spec, item, subject, reading, evidence)]
    if reading.status is Status.FAILED:
        return [
            _unknown(
                "dnsbl.query-failed",
                subject,
                evidence,
                f"Could not ask {spec.display} about {item}: {reading.reason}",
                OFFLINE_FIX if reading.reason == OFFLINE else _RETRY,
            )
        ]
    if reading.status in (Status.UNEXPECTED, Status.REFUSED):
        code = (
            "dnsbl.unexpected-answer"
            if reading.status is Status.UNEXPECTED
            else "dnsbl.query-refused"
        )
        return [
            _unknown(
                code,
                subject,
                evidence,
                f"{spec.display} gave no usable answer about {item}: {reading.reason}",
                spec.refused_fix or "Query through your own recursive resolver.",
            )
        ]
    return []


def _listed(
    spec: BlocklistSpec, item: str, subject: str, reading: Reading, evidence: tuple[str, ...]
) -> Finding:
    fixes = tuple(dict.fromkeys(spec.fixes[c] for c in reading.codes if c in spec.fixes))
    steps = spec.delist_steps or (f"Request removal from the list's operator ({spec.zone}).",)
    where = (f"Delisting: {spec.delist_url}",) if spec.delist_url else ()
    return Finding(
        code="dnsbl.listed",
        severity=_SEVERITY[spec.weight],
        subject=subject,
        summary=f"{item} is listed on {spec.display}: {reading.meaning}",
        evidence=evidence,
        remediation=fixes + steps + where,
    )


def _list_finding(
    spec: BlocklistSpec, health: Health, evidence: tuple[str, ...], targets: int
) -> Finding:
    assert health.code is not None
    fix = {
        "dnsbl.query-refused": spec.refused_fix or "Query through your own recursive resolver.",
        "dnsbl.query-failed": _RETRY,
        "dnsbl.unverified": "Add test_entry to this list in the sender profile (RFC 5782 section 5).",
    }.get(
        health.code,
        f"Remove {spec.name} from --blocklists, or check whether {spec.zone} "
        "still operates (and whether your resolver may query it).",
    )
    summary = (
        f"{spec.display}: {health.reason}; its answers about {targets} "
        f"target{'s' if targets != 1 else ''} are unknown"
    )
    if health.reason == OFFLINE:  # nothing failed: --offline, and no zone file for the list
        summary, fix = f"{spec.display} not checked (offline)", OFFLINE_FIX
    if health.code == "dnsbl.unverified":
        summary = f"{spec.display}: {health.reason}, so 'not listed' answers cannot be trusted"
    return _unknown(health.code, spec.name, evidence, summary, fix)


def _not_listed(results: list[dict[str, Any]]) -> list[Finding]:
    by_target: dict[str, list[str]] = {}
    for r in results:
        by_target.setdefault(r["target"], [])
        if r["status"] == "not_listed":
            by_target[r["target"]].append(r["list"])
    clean = [
        t
        for t, lists in by_target.items()
        if lists and not any(r["target"] == t and r["status"] == "listed" for r in results)
    ]
    return [
        Finding(
            code="dnsbl.not-listed",
            severity=Severity.OK,
            subject=t,
            summary=f"{t} is not listed on {', '.join(by_target[t])}",
        )
        for t in clean
    ]


def _unknown(code: str, subject: str, evidence: tuple[str, ...], summary: str, fix: str) -> Finding:
    return Finding(
        code=code,
        severity=Severity.UNKNOWN,
        subject=subject,
        summary=summary,
        evidence=evidence,
        remediation=(fix,),
    )


def _info(code: str, subject: str, summary: str, fix: str) -> Finding:
    return Finding(
        code=code, severity=Severity.INFO, subject=subject, summary=summary, remediation=(fix,)
    )
