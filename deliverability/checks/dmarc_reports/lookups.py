"""What DNS says today about a reported source: PTR and FCrDNS, the SPF verdict for its IP,
the DKIM keys it signed with. Every lookup goes through the run's shared DnsClient
(cached, capped, traced); a failed one is recorded with its reason, never guessed.
"""

from __future__ import annotations

import asyncio
import ipaddress

from deliverability.checks.dkim.key import parse_key
from deliverability.checks.spf.evaluate import evaluate
from deliverability.lean import dataclass
from deliverability.net.dns import DnsClient, LookupFailed, normalize_name, reverse_name


@dataclass(frozen=True, kw_only=True)
class ReverseName:
    """The IP's PTR name, and whether it resolves back to the IP (FCrDNS)."""

    ip: str
    ptr: str | None = None
    confirmed: bool = False
    failure: str | None = None  # why it could not be told


@dataclass(frozen=True, kw_only=True)
class SpfToday:
    """check_host() for the IP against a domain as published now (RFC 7208)."""

    domain: str
    result: str
    explanation: str = ""


@dataclass(frozen=True, kw_only=True)
class KeyToday:
    """The key at `selector._domainkey.domain` now: usable, missing, revoked, broken, unknown."""

    domain: str
    selector: str
    state: str
    detail: str = ""


async def reverse(dns: DnsClient, ip: str) -> ReverseName:
    """The first PTR name of `ip` and whether its A/AAAA records include the IP."""
    try:
        names = (await dns.query(reverse_name(ip), "PTR")).values()
        if not names:
            return ReverseName(ip=ip)
        name = normalize_name(names[0])
        rdtype = "A" if ipaddress.ip_address(ip).version == 4 else "AAAA"
        addresses = (await dns.query(name, rdtype)).values()
    except LookupFailed as exc:
        return ReverseName(ip=ip, failure=str(exc))
    wanted = ipaddress.ip_address(ip)
    confirmed = any(_same(address, wanted) for address in addresses)
    return ReverseName(ip=ip, ptr=name, confirmed=confirmed)


def _same(address: str, wanted: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(address) == wanted
    except ValueError:
        return False


async def spf_today(dns: DnsClient, ip: str, domain: str) -> SpfToday:
    """The SPF verdict for `ip` sending as anything@`domain` (MAIL FROM identity)."""
    verdict = await evaluate(dns, ip=ip, sender=f"postmaster@{domain}", helo=domain)
    return SpfToday(domain=domain, result=verdict.result, explanation=verdict.explanation)


async def key_today(dns: DnsClient, domain: str, selector: str) -> KeyToday:
    """The DKIM key for (d=, s=) as published now."""
    name = f"{selector}._domainkey.{domain}"
    try:
        texts = await dns.txt(name)
    except LookupFailed as exc:
        return KeyToday(domain=domain, selector=selector, state="unknown", detail=exc.reason)
    if not texts:
        return KeyToday(
            domain=domain, selector=selector, state="missing", detail=f"no TXT at {name}"
        )
    key = parse_key(texts[0])
    if key.revoked:
        return KeyToday(
            domain=domain, selector=selector, state="revoked", detail=f"{name} has p= empty"
        )
    if key.error:
        return KeyToday(domain=domain, selector=selector, state="broken", detail=key.error)
    return KeyToday(
        domain=domain,
        selector=selector,
        state="usable",
        detail=f"{key.key_type or 'rsa'} {key.bits} bits",
    )


async def reverse_all(dns: DnsClient, ips: list[str]) -> dict[str, ReverseName]:
    """PTR/FCrDNS of every IP, side by side."""
    found = await asyncio.gather(*(reverse(dns, ip) for ip in ips))
    return {r.ip: r for r in found}
