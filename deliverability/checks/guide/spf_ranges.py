"""What the guide needs from SPF, on top of the spf check's own parser and walker.

Two things: the include targets of the recipient's record (the second signal of
platform detection), and the ranges the sender's From and Return-Path records
authorize, merged over several domains. Parsing and walking are `spf_parse` and
`spf_walk` (the same code the spf check runs, through the same cached DnsClient,
so each record is fetched once per run); this module only adapts their results.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import field

from deliverability.checks.spf.parse import is_spf_record, parse_record
from deliverability.checks.spf.walk import fetch_spf, walk
from deliverability.lean import dataclass
from deliverability.net.dns import DnsClient, LookupFailed

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(kw_only=True)
class Flattened:
    """Ranges with the chain they came from, and what could not be read or flattened."""

    networks: dict[Network, tuple[str, ...]] = field(default_factory=dict)
    unflattened: list[str] = field(default_factory=list)  # "domain term"
    failures: list[str] = field(default_factory=list)  # "domain: reason"


def includes_of(texts: list[str]) -> list[str]:
    """The include: and effective redirect= targets of the SPF record among `texts`, in order."""
    records = [t for t in texts if is_spf_record(t)]
    if len(records) != 1:
        return []
    record = parse_record(records[0])
    terms = [t for t in record.mechanisms if t.name == "include"]
    terms += [record.redirect] if record.redirect is not None else []
    return [t.value.lower().rstrip(".") for t in terms if t.value and not t.has_macro]


async def flatten(dns: DnsClient, domains: list[str]) -> Flattened:
    """The ranges the SPF records of `domains` authorize (pass terms only), walked concurrently."""
    merged = Flattened()
    for part in await asyncio.gather(*(_flatten_one(dns, d) for d in domains)):
        for network, via in part.networks.items():
            merged.networks.setdefault(network, via)
        merged.unflattened += part.unflattened
        merged.failures += part.failures
    return merged


async def _flatten_one(dns: DnsClient, domain: str) -> Flattened:
    found = Flattened()
    try:
        spf = await fetch_spf(dns, domain)
    except LookupFailed as exc:
        found.failures.append(f"{domain}: {exc.reason}")
        return found
    if spf.record is None:
        return found
    record = parse_record(spf.record)
    result = await walk(dns, domain, record)
    for network in result.networks:
        found.networks.setdefault(ipaddress.ip_network(network.network), (domain, *network.via))
    found.unflattened = [f"{hit.domain} {hit.term}" for hit in result.unflattenable]
    found.failures = [f"{hit.domain}: {hit.detail}" for hit in result.failures]
    return found
