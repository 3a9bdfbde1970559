"""The small SPF reading the guide needs: includes of a record, and the ranges it authorizes.

This is deliberately not an SPF evaluator (the `spf` check owns that): it walks
`ip4`, `ip6`, `a`, `mx`, `include` and `redirect` of pass-qualified terms through
the run's DNS client (cached, so lookups the spf check also makes go out once),
and lists what it cannot flatten (`exists`, `ptr`, macros) instead of guessing.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field

from deliverability.dns import DnsClient, LookupFailed

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_DEPTH = 10  # RFC 7208 4.6.4 caps DNS-querying terms at 10; a deeper chain is broken anyway


@dataclass(kw_only=True)
class Flattened:
    """What a walk found: ranges with the chain they came from, and what it could not read."""

    networks: dict[Network, tuple[str, ...]] = field(default_factory=dict)
    unflattened: list[str] = field(default_factory=list)  # "domain: term"
    failures: list[str] = field(default_factory=list)  # "domain: reason"


def spf_record(texts: list[str]) -> str | None:
    """The SPF record among a name's TXT strings (RFC 7208 4.5), or None when there is none."""
    records = [t for t in texts if t.lower() == "v=spf1" or t.lower().startswith("v=spf1 ")]
    return records[0] if len(records) == 1 else None


def terms_of(record: str) -> list[tuple[str, str, str]]:
    """(qualifier, mechanism or modifier name, value) for each term after `v=spf1`."""
    parsed = []
    for term in record.split()[1:]:
        qualifier = term[0] if term[0] in "+-~?" else "+"
        body = term.lstrip("+-~?")
        name, sep, value = body.partition("=") if "=" in body.split(":")[0] else body.partition(":")
        name = name.lower() if sep == "=" else name.lower().split("/")[0]  # a/24, mx/24
        parsed.append((qualifier, name + ("=" if sep == "=" else ""), value))
    return parsed


def includes_of(record: str | None) -> list[str]:
    """The include: and redirect= targets of a record, in order (no macros)."""
    if record is None:
        return []
    return [v.lower().rstrip(".") for _, name, v in terms_of(record)
            if name in ("include", "redirect=") and v and "%" not in v]


async def flatten(dns: DnsClient, domains: list[str]) -> Flattened:
    """The ranges the SPF records of `domains` authorize, walked concurrently."""
    found = Flattened()
    await asyncio.gather(*(_walk(dns, d, (d,), found, set()) for d in domains))
    return found


async def _walk(dns: DnsClient, domain: str, via: tuple[str, ...], found: Flattened,
                seen: set[str]) -> None:
    if domain in seen or len(via) > MAX_DEPTH:
        return  # an include loop or a chain past the limit: nothing more to authorize
    seen = seen | {domain}
    try:
        record = spf_record(await dns.txt(domain))
    except LookupFailed as exc:
        found.failures.append(f"{domain}: {exc.reason}")
        return
    if record is None:
        return
    terms = terms_of(record)
    has_all = any(name == "all" for _, name, _ in terms)
    walks = [_term(dns, domain, q, name, value, via, found, seen)
             for q, name, value in terms if not (name == "redirect=" and has_all)]
    await asyncio.gather(*walks)


async def _term(dns: DnsClient, domain: str, qualifier: str, name: str, value: str,
                via: tuple[str, ...], found: Flattened, seen: set[str]) -> None:
    if qualifier != "+" or name in ("all", "exp="):
        return  # only pass terms authorize anything
    if "%" in value or name in ("exists", "ptr"):
        found.unflattened.append(f"{domain}: {name.rstrip('=')}{':' + value if value else ''}")
    elif name in ("ip4", "ip6"):
        _add(found, value, via)
    elif name in ("include", "redirect="):
        target = value.lower().rstrip(".")
        await _walk(dns, target, via + (target,), found, seen)
    elif name in ("a", "mx"):
        await _hosts(dns, domain, name, value, via, found)


def _add(found: Flattened, text: str, via: tuple[str, ...]) -> None:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        found.unflattened.append(f"{via[-1]}: malformed {text}")
        return
    found.networks.setdefault(network, via)


async def _hosts(dns: DnsClient, domain: str, name: str, value: str, via: tuple[str, ...],
                 found: Flattened) -> None:
    target = (value.split("/")[0] or domain).lower().rstrip(".")
    try:
        if name == "a":
            hosts = [target]
        else:
            hosts = [str(r.exchange).rstrip(".") for r in (await dns.query(target, "MX")).records]
        addresses = await asyncio.gather(*(dns.addresses(h) for h in hosts if h))
    except LookupFailed as exc:
        found.failures.append(f"{domain}: {name}:{target}: {exc.reason}")
        return
    for ip in (ip for group in addresses for ip in group):
        _add(found, ip, via)
