"""The RFC 7208 check_host() verdict for one IP, computed by pyspf and fed from our DNS layer.

pyspf (module `spf`) is the reference implementation but synchronous and brings its
own resolver. `evaluate()` runs it in a worker thread with `_BridgedQuery`, a
subclass whose `dns()` method asks the run's shared `DnsClient` on the event loop
(`asyncio.run_coroutine_threadsafe`), so every lookup is cached, capped and traced
with the others and pyspf never sends a query of its own. pyspf's module globals are
left untouched.

    evaluate(dns, ip=..., sender=..., helo=...) -> Verdict(result, term, explanation)

A failed lookup becomes `temperror`, never fail. A CNAME loop met while resolving a
name for `a`, `mx` or `ptr` skips that name (RFC 7208 5.5) instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

from dns import exception as dns_exception

import spf
from deliverability.finding import Target
from deliverability.net.dns import Answer, DnsClient, LookupFailed, normalize_name

log = logging.getLogger(__name__)

_ADDRESS_TYPES = ("A", "AAAA", "MX", "PTR")
_MAX_CNAME_HOPS = 16
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62})$", re.IGNORECASE)  # LDH, plus "_" for _spf
_RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """What check_host() said: the result word, the term that decided it, the reason."""

    result: str
    term: str | None = None
    explanation: str = ""


async def evaluate(dns: DnsClient, *, ip: str, sender: str, helo: str) -> Verdict:
    """check_host() for `ip` and the `sender` identity (an address, or '' for HELO)."""
    bridge = _SyncDns(dns=dns, loop=asyncio.get_running_loop())
    return await asyncio.to_thread(_check_host, bridge, ip, sender, helo)


@dataclass(frozen=True, kw_only=True)
class _SyncDns:
    """The run's DnsClient as seen from pyspf's worker thread: blocking calls on the loop."""

    dns: DnsClient
    loop: asyncio.AbstractEventLoop

    def query(self, name: str, rdtype: str) -> Answer:
        """dns.query() on the event loop; LookupFailed passes through."""
        return asyncio.run_coroutine_threadsafe(self.dns.query(name, rdtype), self.loop).result()

    def cname_loops(self, name: str) -> bool:
        """cname_loops() on the event loop."""
        return asyncio.run_coroutine_threadsafe(cname_loops(self.dns, name), self.loop).result()


async def cname_loops(dns: DnsClient, name: str) -> bool:
    """Whether the CNAME chain from `name` runs in a circle (or past 16 hops)."""
    seen: set[str] = set()
    while name not in seen and len(seen) < _MAX_CNAME_HOPS:
        seen.add(name)
        try:
            records = (await dns.query(name, "CNAME")).records
        except (LookupFailed, ValueError, dns_exception.DNSException):
            return False
        if not records:
            return False
        name = str(records[0].target).rstrip(".").lower()
    return True


def _check_host(bridge: _SyncDns, ip: str, sender: str, helo: str) -> Verdict:
    domain = sender.rpartition("@")[2] if sender else helo
    if not is_checkable_domain(domain):
        return Verdict(result="none", explanation=f"{domain!r} is not a multi-label domain name")
    query = _BridgedQuery(bridge, i=ip, s=sender, h=helo, strict=True)
    result, _code, explanation = query.check()
    result = spf.RESULTS.get(result, result)
    if result not in _RESULTS:  # 'ambiguous' only exists in pyspf's harsh mode
        result = "permerror"
    term = query.mechanism if result not in ("temperror", "permerror") else None
    return Verdict(result=result, term=term, explanation=explanation)


def spf_identity(target: Target) -> tuple[str, str]:
    """(sender address, domain) whose SPF is checked: MAIL FROM, or HELO for a null sender."""
    if not target.envelope_sender and target.helo:
        helo = normalize_name(target.helo)
        return f"postmaster@{helo}", helo  # RFC 7208 2.4: a null sender uses the HELO name
    domain = target.mail_from_domain
    local = target.envelope_sender.rpartition("@")[0]
    return f"{local or 'postmaster'}@{domain}", domain


def is_checkable_domain(domain: str) -> bool:
    """RFC 7208 4.3: a malformed or single-label domain gives `none` without a lookup."""
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or len(domain) > 253:
        return False
    return all(_LABEL.match(label) for label in labels)


class _BridgedQuery(spf.query):
    """A pyspf query whose every DNS question goes to our DnsClient."""

    def __init__(self, bridge: _SyncDns, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._bridge = bridge

    def dns(
        self, name: Any, qtype: str, cnames: Any = None, ignore_void: bool = False
    ) -> list[Any]:
        """pyspf's DNS hook: the records of (name, qtype) in the shapes pyspf expects."""
        if not name:
            raise spf.PermError("empty domain name")
        name = str(name).rstrip(".")
        if not all(0 < len(label) < 64 for label in name.split(".")):
            return []  # an invalid name has no records (pyspf does the same)
        result = self._records(name, qtype)
        if not result and not ignore_void:
            # RFC 7208 4.6.4: more than two void lookups is a permerror
            self.void_lookups += 1
            if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
        return result

    def _records(self, name: str, qtype: str) -> list[Any]:
        try:
            answer = self._bridge.query(name, qtype)
        except LookupFailed as exc:
            if qtype in _ADDRESS_TYPES and self._bridge.cname_loops(name):
                return []  # RFC 7208 5.5: a name that cannot be resolved is skipped
            raise spf.TempError(f"DNS {exc.reason} ({qtype} {name})") from None
        except (ValueError, dns_exception.DNSException) as exc:  # a name dnspython cannot encode
            log.debug("unusable name %r: %s", name, exc)
            return []
        return [_shape(record, qtype) for record in answer.records]

    def validated_ptrs(self) -> list[str]:
        """RFC 7208 5.5: a PTR name whose address lookup fails is skipped, not an error."""
        names = self.dns_ptr(self.i)[: spf.MAX_PTR]
        valid = []
        for name in names:
            try:
                addresses = self.dns_a(name, self.A)
            except spf.TempError:
                continue
            if self.cidrmatch(addresses, self.cidrmax):
                valid.append(name)
        return valid


def _shape(record: Any, qtype: str) -> Any:
    """A dnspython rdata in the form pyspf's own DNS drivers return."""
    if qtype in ("A", "AAAA"):
        return record.address
    if qtype == "MX":
        return (record.preference, str(record.exchange).rstrip("."))
    if qtype in ("PTR", "CNAME"):
        return str(record.target).rstrip(".")
    if qtype in ("TXT", "SPF"):
        return tuple(record.strings)
    return record.to_text()
