"""MX records: can mail for the domain, and bounces to the envelope sender, be delivered?

Receivers check that a sender's domains can receive mail: replies go to the From
domain, bounces to the envelope sender (Return-Path). A domain with no MX falls back
to its address records (RFC 5321 5.1, "implicit MX"); a null MX (`0 .`, RFC 7505)
says it accepts no mail at all, and receivers may refuse mail that uses it as a
sender. MX targets must be host names with address records, not aliases (RFC 2181
10.3) or IP literals (RFC 7505 3). Only the MAX_HOSTS hosts of lowest preference are
looked up, so a domain of 2,000 MX hosts costs a few queries; JSON data
`hosts_left_out` counts the rest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
from typing import Any

from deliverability.change import Action, Change
from deliverability.context import Context
from deliverability.finding import Finding, Severity, capped
from deliverability.lean import dataclass
from deliverability.net.dns import Answer, LookupFailed

NAME = "mx"
CODES = {
    "mx.ok": "The domain has MX hosts that resolve",
    "mx.domain-missing": "The domain does not exist (NXDOMAIN)",
    "mx.none": "No MX records and no address to fall back to",
    "mx.implicit": "No MX records; mail falls back to the domain's A/AAAA (implicit MX)",
    "mx.null": "Null MX: the domain declares it accepts no mail",
    "mx.null-mixed": "A null MX is published together with other MX records",
    "mx.ip-literal": "An MX target is an IP address, not a host name",
    "mx.cname": "An MX target is an alias (CNAME)",
    "mx.host-no-address": "An MX host has no A or AAAA record",
    "mx.host-unresolved": "An MX host's addresses could not be looked up",
}
MAX_HOSTS = 10  # MX hosts whose addresses are looked up, lowest preference first
MAX_ADDRESSES = 16  # addresses kept per host; a name can carry thousands


@dataclass(frozen=True, kw_only=True)
class MxHost:
    """One MX target and what its address lookup showed."""

    preference: int
    host: str
    addresses: tuple[str, ...] = ()
    alias_of: str | None = None  # where the CNAME points, if the host is an alias
    failure: str | None = None  # why the addresses are not known


async def run(ctx: Context) -> list[Finding]:
    """Check the From domain, and the envelope-sender domain when it differs."""
    domains = list(dict.fromkeys([ctx.target.domain, ctx.target.mail_from_domain]))
    roles = {ctx.target.domain: "From"}
    roles.setdefault(ctx.target.mail_from_domain, "envelope sender")
    results = await asyncio.gather(*(_check_domain(ctx, d, roles[d]) for d in domains))
    findings: list[Finding] = []
    for domain, (domain_findings, data) in zip(domains, results, strict=True):
        findings += domain_findings
        if domain == ctx.target.domain:
            ctx.data.update(data)
        else:
            ctx.data["mail_from"] = {"domain": domain, **data}
    return findings


async def _check_domain(
    ctx: Context, domain: str, role: str
) -> tuple[list[Finding], dict[str, Any]]:
    answer = await ctx.dns.query(domain, "MX")
    data: dict[str, Any] = {"hosts": [], "null_mx": False, "implicit": False}
    if answer.nxdomain:
        return [_domain_missing(domain, role)], data
    if not answer.records:
        data["implicit"] = True
        return await _implicit_mx(ctx, domain, role), data
    nulls = [r for r in answer.records if str(r.exchange) == "."]
    if nulls:
        data["null_mx"] = True
        return [_null_mx(domain, role, answer, mixed=len(nulls) != len(answer.records))], data
    # senders try the lowest preference first; past MAX_HOSTS a domain only costs queries
    chosen = sorted(answer.records, key=lambda r: (r.preference, str(r.exchange).lower()))
    left_out = max(0, len(chosen) - MAX_HOSTS)
    hosts = await asyncio.gather(*(_resolve_host(ctx, r) for r in chosen[:MAX_HOSTS]))
    data["hosts"] = [
        {"preference": h.preference, "host": h.host, "addresses": list(h.addresses)} for h in hosts
    ]
    data["hosts_left_out"] = left_out
    return _host_findings(domain, role, list(hosts), answer, left_out), data


async def _resolve_host(ctx: Context, record: Any) -> MxHost:
    host = str(record.exchange).rstrip(".").lower()
    if _is_ip_literal(host):
        return MxHost(preference=record.preference, host=host)
    try:
        a, aaaa = await asyncio.gather(ctx.dns.query(host, "A"), ctx.dns.query(host, "AAAA"))
    except LookupFailed as exc:
        return MxHost(preference=record.preference, host=host, failure=exc.reason)
    alias = (a.cnames or aaaa.cnames or (None,))[-1]
    return MxHost(
        preference=record.preference,
        host=host,
        addresses=tuple((a.values() + aaaa.values())[:MAX_ADDRESSES]),
        alias_of=alias,
    )


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _host_findings(
    domain: str, role: str, hosts: list[MxHost], answer: Answer, left_out: int
) -> list[Finding]:
    evidence = tuple(f"{domain} MX {h.preference} {h.host}" for h in hosts) + _left_out(left_out)
    findings: list[Finding] = []
    for h in hosts:
        findings += _with_changes(domain, h, hosts, _problems_of(domain, h, evidence, answer))
    deliverable = [h for h in hosts if h.addresses and not _is_ip_literal(h.host)]
    if not findings or deliverable and all(f.severity != Severity.ERROR for f in findings):
        summary = (
            f"{role} domain {domain} receives mail at {', '.join(h.host for h in deliverable)}"
        )
        if left_out:
            summary += f" ({left_out} more MX hosts not checked)"
        findings.insert(
            0,
            Finding(
                code="mx.ok",
                severity=Severity.OK,
                subject=domain,
                summary=summary,
                evidence=evidence
                + tuple(f"{h.host} -> {', '.join(h.addresses)}" for h in deliverable),
                location=answer.location,
            ),
        )
    if not deliverable and not left_out:  # an unchecked host may still take the mail
        findings = [_escalate(f) for f in findings]
    return findings


def _left_out(count: int) -> tuple[str, ...]:
    if not count:
        return ()
    return (
        f"{count} more MX hosts not looked up: only the {MAX_HOSTS} of lowest preference "
        "are checked (docs/limits.md)",
    )


def _problems_of(
    domain: str, h: MxHost, evidence: tuple[str, ...], answer: Answer
) -> list[Finding]:
    subject = f"{domain} MX {h.host}"
    if _is_ip_literal(h.host):
        return [
            Finding(
                code="mx.ip-literal",
                severity=Severity.ERROR,
                subject=subject,
                summary=f"MX target {h.host} is an IP address; MX must name a host",
                evidence=evidence,
                location=answer.location,
                remediation=(
                    f"Publish an A record for a host name, e.g. mx1.{domain}. A {h.host}",
                    f"Point the MX at it: {domain}. MX {h.preference} mx1.{domain}.",
                ),
            )
        ]
    if h.failure is not None:
        return [
            Finding(
                code="mx.host-unresolved",
                severity=Severity.UNKNOWN,
                subject=subject,
                summary=f"Could not look up the addresses of MX host {h.host}: {h.failure}",
                evidence=evidence,
                remediation=("Retry; if it persists, check the DNS servers of " + h.host + ".",),
            )
        ]
    found: list[Finding] = []
    if h.alias_of:
        found.append(
            Finding(
                code="mx.cname",
                severity=Severity.WARNING,
                subject=subject,
                summary=f"MX target {h.host} is an alias of {h.alias_of}; some senders refuse this",
                evidence=evidence + (f"{h.host} CNAME ... {h.alias_of}",),
                location=answer.location,
                remediation=(
                    f"Point the MX at the canonical name: {domain}. MX {h.preference} {h.alias_of}.",
                ),
            )
        )
    if not h.addresses:
        found.append(
            Finding(
                code="mx.host-no-address",
                severity=Severity.WARNING,
                subject=subject,
                summary=f"MX host {h.host} has no A or AAAA record; senders skip it",
                evidence=evidence + (f"{h.host}: no A, no AAAA",),
                location=answer.location,
                remediation=(
                    f"Publish an address for it ({h.host}. A <ip>) or remove the MX record.",
                ),
            )
        )
    return found


def _with_changes(
    domain: str, h: MxHost, hosts: list[MxHost], found: list[Finding]
) -> list[Finding]:
    """Each of the host's findings with the MX edit that fixes it, when the fix is clear
    (the remediation then says why; the edit itself is rendered from the change)."""
    out = []
    for finding in found:
        changes = _mx_change(domain, h, hosts, finding.code)
        if changes:
            why = (_why_change(domain, h, finding.code),)
            finding = dataclasses.replace(finding, changes=changes, remediation=why)
        out.append(finding)
    return out


def _why_change(domain: str, h: MxHost, code: str) -> str:
    if code == "mx.cname":
        return f"Name the canonical host {h.alias_of}: senders that refuse aliases skip this MX."
    if code == "mx.ip-literal":
        return f"{h.host} is the address of another MX host of {domain}: delete this MX."
    return (
        f"The other MX hosts of {domain} take its mail: delete this MX, or publish an "
        f"address for {h.host} if it should receive mail."
    )


def _mx_change(domain: str, h: MxHost, hosts: list[MxHost], code: str) -> tuple[Change, ...]:
    old = f"{h.preference} {h.host}."
    if code == "mx.cname" and h.addresses:  # RFC 2181 10.3: name the canonical host
        new = f"{h.preference} {h.alias_of}."
        return (Change(name=domain, type="MX", action=Action.REPLACE, old=old, new=new),)
    delivering = [o for o in hosts if o is not h and o.addresses and not _is_ip_literal(o.host)]
    if code == "mx.ip-literal":  # another MX host has that address: it serves already
        delivering = [o for o in delivering if h.host.strip("[]") in o.addresses]
    if code in ("mx.ip-literal", "mx.host-no-address") and delivering:  # senders skip it
        return (Change(name=domain, type="MX", action=Action.REMOVE, old=old),)
    return ()


def _escalate(finding: Finding) -> Finding:
    """When no MX host can take mail, each host's problem is why mail fails."""
    if finding.severity != Severity.WARNING:
        return finding
    summary = finding.summary + " (no MX host of the domain can receive mail)"
    return dataclasses.replace(finding, severity=Severity.ERROR, summary=summary)


def _domain_missing(domain: str, role: str) -> Finding:
    return Finding(
        code="mx.domain-missing",
        severity=Severity.ERROR,
        subject=domain,
        summary=f"{role} domain {domain} does not exist (NXDOMAIN); receivers reject its mail",
        evidence=(f"{domain} MX: NXDOMAIN",),
        remediation=(
            f"Check the spelling of {domain}, or register it and publish its records.",
            f"Publish an MX record: {domain}. MX 10 <your inbound mail host>.",
        ),
    )


async def _implicit_mx(ctx: Context, domain: str, role: str) -> list[Finding]:
    addresses = (await ctx.dns.addresses(domain))[:MAX_ADDRESSES]
    if not addresses:
        return [
            Finding(
                code="mx.none",
                severity=Severity.ERROR,
                subject=domain,
                summary=f"{role} domain {domain} has no MX and no A/AAAA: it cannot receive mail",
                evidence=(f"{domain} MX: no records", f"{domain} A/AAAA: no records"),
                remediation=(
                    f"Publish an MX record: {domain}. MX 10 <your inbound mail host>.",
                    "Receivers reject senders whose domains cannot receive replies or bounces.",
                ),
            )
        ]
    return [
        Finding(
            code="mx.implicit",
            severity=Severity.WARNING,
            subject=domain,
            summary=f"{role} domain {domain} has no MX; mail goes to its A/AAAA ({', '.join(addresses)})",
            evidence=(f"{domain} MX: no records", f"{domain} A/AAAA: {', '.join(addresses)}"),
            remediation=(
                f"Publish an explicit MX record: {domain}. MX 10 <your inbound mail host>.",
                f"If {domain} should receive no mail, publish a null MX: {domain}. MX 0 .",
            ),
        )
    ]


def _null_mx(domain: str, role: str, answer: Answer, *, mixed: bool) -> Finding:
    evidence = capped(
        tuple(f"{domain} MX {r.preference} {r.exchange}" for r in answer.records), "MX records"
    )
    if mixed:
        return Finding(
            code="mx.null-mixed",
            severity=Severity.ERROR,
            subject=domain,
            summary=f"{domain} publishes a null MX together with other MX records (RFC 7505 3)",
            evidence=evidence,
            location=answer.location,
            remediation=(
                f"Remove '{domain}. MX 0 .' if {domain} receives mail,",
                "or remove every other MX record if it does not.",
            ),
        )
    return Finding(
        code="mx.null",
        severity=Severity.ERROR,
        subject=domain,
        summary=f"{role} domain {domain} has a null MX: it accepts no mail, so replies and "
        "bounces are lost and receivers may refuse its mail (RFC 7505 4.2)",
        evidence=evidence,
        location=answer.location,
        remediation=(
            f"Send from a domain that receives mail, or replace the null MX: "
            f"{domain}. MX 10 <your inbound mail host>.",
        ),
    )
