"""check_host() computed by pyspf, the reference implementation, fed from our DNS layer.

pyspf (module `spf`) is synchronous and brings its own resolver. `check_host()` runs
in a worker thread (evaluate.evaluate) with `_BridgedQuery`, a subclass whose `dns()`
method asks the run's shared `DnsClient` on the event loop
(`asyncio.run_coroutine_threadsafe`), so every lookup is cached, capped and traced
with the others and pyspf never sends a query of its own. pyspf's module globals are
left untouched.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from dns import exception as dns_exception

import spf
from deliverability.net.dns import Answer, LookupFailed

log = logging.getLogger(__name__)

_ADDRESS_TYPES = ("A", "AAAA", "MX", "PTR")
_RESULTS = ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")


class Bridge(Protocol):
    """The run's DnsClient as pyspf's worker thread sees it (evaluate._SyncDns)."""

    def query(self, name: str, rdtype: str) -> Answer:
        """The answer to (name, rdtype); LookupFailed when the lookup failed."""

    def cname_loops(self, name: str) -> bool:
        """Whether the CNAME chain from `name` runs in a circle."""


def check_host(bridge: Bridge, ip: str, sender: str, helo: str) -> tuple[str, str | None, str]:
    """(result, deciding term, explanation) of check_host() for `ip` and the identity."""
    query = _BridgedQuery(bridge, i=ip, s=sender, h=helo, strict=True)
    result, _code, explanation = query.check()
    result = spf.RESULTS.get(result, result)
    if result not in _RESULTS:  # 'ambiguous' only exists in pyspf's harsh mode
        result = "permerror"
    term = query.mechanism if result not in ("temperror", "permerror") else None
    return result, term, explanation


class _BridgedQuery(spf.query):
    """A pyspf query whose every DNS question goes to our DnsClient."""

    def __init__(self, bridge: Bridge, **kwargs: Any) -> None:
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
