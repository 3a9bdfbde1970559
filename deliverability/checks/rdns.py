"""Reverse DNS of each sending IP, forward-confirmed (FCrDNS), and the HELO name.

Receivers refuse or junk mail from an IP whose PTR name is missing or does not
resolve back to the same IP: Gmail, Yahoo and Microsoft require forward-confirmed
reverse DNS of every sender. A PTR name that embeds the IP's octets or words such
as "dyn", "dsl" or "pool" looks like an end-user connection and is scored as spam;
the HELO name should be the PTR name (RFC 5321 4.1.4, M3AAWG).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
from dataclasses import field, replace

from deliverability.context import Context
from deliverability.finding import Finding, Location, Severity
from deliverability.lean import dataclass
from deliverability.net.dns import LookupFailed, normalize_name, reverse_name

NAME = "rdns"
CODES = {
    "rdns.ok": "PTR present and forward-confirmed",
    "rdns.no-ip": "No sending IP given, so reverse DNS was not checked",
    "rdns.missing": "The sending IP has no PTR record",
    "rdns.not-confirmed": "No PTR name resolves back to the IP (not FCrDNS)",
    "rdns.multiple-ptr": "The IP has several PTR records",
    "rdns.generic": "The PTR name looks generic or dynamic",
    "rdns.helo-mismatch": "The HELO name is not the IP's PTR name",
    "rdns.helo-match": "The HELO name is the IP's forward-confirmed PTR name",
}

_DYNAMIC_WORDS = re.compile(
    r"(^|[.\-_\d])(dyn|dynamic|dsl|adsl|vdsl|xdsl|pool|dhcp|cable|ppp|pppoe|dial|dialup|"
    r"client|customer|cust|broadband|bb|fibre|fiber|ftth|home|user|res|residential|"
    r"unassigned|nat|wifi|mobile|cpe)([.\-_\d]|$)"
)


@dataclass(kw_only=True)
class IpRecord:
    """What DNS says about one sending IP."""

    ip: str
    ptr: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)  # PTR names that resolve back
    forward: dict[str, list[str]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # PTR name -> why its lookup failed
    location: Location | None = None  # where the PTR records were written (zone files)


async def run(ctx: Context) -> list[Finding]:
    """Check every --ip side by side."""
    if not ctx.target.ips:
        return [
            Finding(
                code="rdns.no-ip",
                severity=Severity.INFO,
                subject=ctx.target.domain,
                summary="No sending IP was given; reverse DNS was not checked",
                remediation=("Run again with --ip for each address your mail leaves from.",),
            )
        ]
    per_ip = await asyncio.gather(*(_check_ip(ctx, ip) for ip in ctx.target.ips))
    return [finding for findings in per_ip for finding in findings]


async def _check_ip(ctx: Context, ip: str) -> list[Finding]:
    try:
        record = await _look_up(ctx, ip)
    except LookupFailed as exc:  # one IP's failure says nothing about the others
        ctx.data[ip] = {"ptr": [], "fcrdns": None, "error": exc.reason}
        return [
            Finding(
                code="rdns.lookup-failed",
                severity=Severity.UNKNOWN,
                subject=ip,
                summary=f"Could not look up the PTR record of {ip}: {exc.reason}",
                remediation=("Run again; if it persists, check the resolver (--resolver).",),
            )
        ]
    helo = normalize_name(ctx.target.helo) if ctx.target.helo else None
    unsure = not record.confirmed and bool(record.failed)  # a failure is not a "no"
    ctx.data[ip] = {
        "ptr": record.ptr,
        "fcrdns": None if unsure else bool(record.confirmed),
        "confirmed": record.confirmed,
        "forward": record.forward,
        "generic": [name for name in record.ptr if looks_generic(name, ip)],
        "helo_matches": None if helo is None else helo in record.confirmed,
    }
    hint = helo or f"mail.{ctx.target.domain}"  # the name to suggest: the server's own
    found = _judge(ip, record, helo, hint)
    return [replace(f, location=f.location or record.location) for f in found]


async def _look_up(ctx: Context, ip: str) -> IpRecord:
    answer = await ctx.dns.query(reverse_name(ip), "PTR")
    record = IpRecord(
        ip=ip, ptr=[normalize_name(v) for v in answer.values()], location=answer.location
    )
    rdtype = "A" if _address(ip).version == 4 else "AAAA"

    async def forward(name: str) -> list[str] | str:
        try:
            return (await ctx.dns.query(name, rdtype)).values()
        except LookupFailed as exc:
            return exc.reason  # cannot tell whether this name confirms

    addresses = await asyncio.gather(*(forward(name) for name in record.ptr))
    for name, found in zip(record.ptr, addresses, strict=True):
        if isinstance(found, str):
            record.failed[name] = found
            continue
        record.forward[name] = found
        if any(ipaddress.ip_address(a) == _address(ip) for a in found):
            record.confirmed.append(name)
    return record


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address its PTR name confirms to: an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
    is the IPv4 sender, and its PTR lives in in-addr.arpa."""
    address = ipaddress.ip_address(ip)
    mapped = address.ipv4_mapped if address.version == 6 else None
    return mapped or address


def looks_generic(name: str, ip: str) -> bool:
    """Whether a PTR name looks like an ISP's auto-generated end-user name."""
    return _embeds_ip(name, ip) or bool(_DYNAMIC_WORDS.search(name.split(".", 1)[0]))


def _embeds_ip(name: str, ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return address.exploded.replace(":", "")[-8:] in name.replace("-", "").replace(".", "")
    octets = ip.split(".")
    host = name.split(".", 1)[0] if "." in name else name
    joined = re.sub(r"[^0-9]+", "-", host + "." + name).strip("-")
    forward_form, reverse_form = "-".join(octets), "-".join(reversed(octets))
    hex_form = "".join(f"{int(o):02x}" for o in octets)
    return forward_form in joined or reverse_form in joined or hex_form in name.lower()


def _judge(ip: str, record: IpRecord, helo: str | None, hint: str) -> list[Finding]:
    evidence = tuple(f"{reverse_name(ip)} PTR {name}" for name in record.ptr) + tuple(
        f"{name} -> {', '.join(found) or 'no address'}" for name, found in record.forward.items()
    )
    if not record.ptr:
        return [_missing(ip, hint)]
    findings = []
    if record.confirmed:
        findings.append(
            Finding(
                code="rdns.ok",
                severity=Severity.OK,
                subject=ip,
                evidence=evidence,
                summary=f"{ip} has PTR {record.confirmed[0]}, which resolves back to it",
            )
        )
    elif record.failed:
        findings.append(_unconfirmable(ip, record, evidence))
    else:
        findings.append(_not_confirmed(ip, record, evidence))
    if len(record.ptr) > 1:
        findings.append(
            Finding(
                code="rdns.multiple-ptr",
                severity=Severity.WARNING,
                subject=ip,
                evidence=evidence,
                summary=f"{ip} has {len(record.ptr)} PTR records; receivers may pick any one",
                remediation=(
                    f"Keep a single PTR record for {ip}, the name your server uses in HELO.",
                ),
            )
        )
    findings += [
        _generic(ip, name, evidence, hint) for name in record.ptr if looks_generic(name, ip)
    ]
    if helo is not None and not (helo in record.failed and not record.confirmed):
        findings.append(_helo(ip, helo, record, evidence))
    return findings


def _missing(ip: str, hint: str) -> Finding:
    return Finding(
        code="rdns.missing",
        severity=Severity.ERROR,
        subject=ip,
        summary=f"{ip} has no PTR record; Gmail, Yahoo and Microsoft refuse or junk its mail",
        evidence=(f"{reverse_name(ip)} PTR: no record",),
        remediation=(
            f"Ask whoever owns {ip} (your hosting or ISP) to set its PTR record to your mail "
            f"host name, e.g. {hint}.",
            f"Publish a matching record for that name: {hint}. "
            f"{'A' if _address(ip).version == 4 else 'AAAA'} {ip}",
        ),
    )


def _not_confirmed(ip: str, record: IpRecord, evidence: tuple[str, ...]) -> Finding:
    name = record.ptr[0]
    rdtype = "A" if _address(ip).version == 4 else "AAAA"
    return Finding(
        code="rdns.not-confirmed",
        severity=Severity.ERROR,
        subject=ip,
        evidence=evidence,
        summary=f"{ip} has PTR {name}, but no PTR name resolves back to {ip}",
        remediation=(
            f"Publish {name}. {rdtype} {ip}",
            "Or have the IP's owner set the PTR to a name that already resolves to it.",
        ),
    )


def _unconfirmable(ip: str, record: IpRecord, evidence: tuple[str, ...]) -> Finding:
    name, reason = next(iter(record.failed.items()))
    return Finding(
        code="rdns.lookup-failed",
        severity=Severity.UNKNOWN,
        subject=ip,
        evidence=evidence,
        summary=f"{ip} has PTR {name}, but whether it resolves back is unknown: {reason}",
        remediation=(
            "Run again; if it persists, check the resolver (--resolver) and the "
            f"name servers of {name}.",
        ),
    )


def _generic(ip: str, name: str, evidence: tuple[str, ...], hint: str) -> Finding:
    return Finding(
        code="rdns.generic",
        severity=Severity.WARNING,
        subject=f"{ip} PTR {name}",
        evidence=evidence,
        summary=f"PTR name {name} looks generic or dynamic; filters score it like a home connection",
        remediation=(
            f"Set the PTR of {ip} to a name of your own domain, e.g. {hint}.",
            "If this is an end-user or dynamic address, send through a proper relay instead.",
        ),
    )


def _helo(ip: str, helo: str, record: IpRecord, evidence: tuple[str, ...]) -> Finding:
    if helo in record.confirmed:
        return Finding(
            code="rdns.helo-match",
            severity=Severity.OK,
            subject=f"{ip} HELO {helo}",
            summary=f"HELO name {helo} is the forward-confirmed PTR name of {ip}",
            evidence=evidence,
        )
    target = record.confirmed[0] if record.confirmed else record.ptr[0]
    return Finding(
        code="rdns.helo-mismatch",
        severity=Severity.WARNING,
        subject=f"{ip} HELO {helo}",
        summary=f"HELO name {helo} is not the PTR name of {ip} ({', '.join(record.ptr)})",
        evidence=evidence + (f"HELO {helo}",),
        remediation=(f"Configure the mail server on {ip} to say HELO/EHLO {target}.",),
    )
