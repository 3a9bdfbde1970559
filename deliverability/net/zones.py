"""Answers from zone files (net/zonefile.py reads them), as an authoritative server gives them.

Used two ways: `--zone-file` overlays a proposed zone on live DNS (CI checks a
change before it is published), and the test suite's loopback DNS server serves
its scenario world through the same `ZoneSet.resolve()`, so both answer alike.
"""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum
from typing import TYPE_CHECKING

import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset

from deliverability.finding import Location
from deliverability.lean import dataclass

if TYPE_CHECKING:
    import dns.zone

MAX_CNAME_CHAIN = 16


class ZoneFileError(Exception):
    """A zone file cannot be used; the message is one line naming the file and why
    (raised by net/zonefile.py; here so catching it loads no zone reader)."""


class Rcode(StrEnum):
    """What an authoritative answer says about a name."""

    NOERROR = "NOERROR"
    NXDOMAIN = "NXDOMAIN"
    SERVFAIL = "SERVFAIL"  # a CNAME chain that loops or runs too long


@dataclass(kw_only=True)
class ZoneAnswer:
    """The answer to one question: the records (CNAMEs first), or why there are none."""

    rcode: Rcode
    rrsets: list[dns.rrset.RRset] = field(default_factory=list)
    # A CNAME chain that left every zone we hold ends here; the caller asks elsewhere.
    continue_at: dns.name.Name | None = None
    location: Location | None = None


@dataclass(kw_only=True)
class LoadedZone:
    """A parsed zone plus the line each (owner, type) was first written on."""

    zone: dns.zone.Zone
    path: str
    lines: dict[tuple[dns.name.Name, int], int]
    names: frozenset[dns.name.Name]  # every owner and every ancestor up to the origin

    @property
    def origin(self) -> dns.name.Name:
        """The zone's apex."""
        assert self.zone.origin is not None
        return self.zone.origin

    def location(self, name: dns.name.Name, rdtype: int) -> Location | None:
        """File and line of the record set `name`/`rdtype`, if it came from this file."""
        line = self.lines.get((name, rdtype))
        return Location(file=self.path, line=line) if line else None


class ZoneSet:
    """Several zones answered together, the most specific origin winning."""

    def __init__(self, zones: list[LoadedZone] | None = None) -> None:
        self.zones = list(zones or [])

    def zone_for(self, name: dns.name.Name) -> LoadedZone | None:
        """The zone with the longest origin that contains `name`, or None."""
        candidates = [z for z in self.zones if name.is_subdomain(z.origin)]
        return max(candidates, key=lambda z: len(z.origin), default=None)

    def covers(self, name: dns.name.Name) -> bool:
        """Whether some zone here is authoritative for `name`."""
        return self.zone_for(name) is not None

    def resolve(self, name: dns.name.Name, rdtype: int) -> ZoneAnswer:
        """Answer like a resolver would from these zones, following CNAMEs across them."""
        chain: list[dns.rrset.RRset] = []
        seen: set[dns.name.Name] = set()
        while True:
            zone = self.zone_for(name)
            if zone is None:
                return ZoneAnswer(rcode=Rcode.NOERROR, rrsets=chain, continue_at=name)
            answer = _lookup(zone, name, rdtype)
            cname = _cname_target(answer, rdtype)
            chain.extend(answer.rrsets)
            if cname is None:
                answer.rrsets = chain
                return answer
            if name in seen or len(seen) >= MAX_CNAME_CHAIN:
                return ZoneAnswer(rcode=Rcode.SERVFAIL, rrsets=chain)
            seen.add(name)
            name = cname


def _cname_target(answer: ZoneAnswer, rdtype: int) -> dns.name.Name | None:
    if rdtype == dns.rdatatype.CNAME or not answer.rrsets:
        return None
    last = answer.rrsets[-1]
    return last[0].target if last.rdtype == dns.rdatatype.CNAME else None


def _lookup(zone: LoadedZone, name: dns.name.Name, rdtype: int) -> ZoneAnswer:
    """One authoritative lookup inside one zone (RFC 1034 4.3.2, RFC 4592 wildcards)."""
    node = zone.zone.get_node(name)
    owner = name
    if node is None:
        if name in zone.names:  # an empty non-terminal: the name exists, no data
            return ZoneAnswer(rcode=Rcode.NOERROR)
        wildcard = _wildcard_for(zone, name)
        if wildcard is None:
            return ZoneAnswer(rcode=Rcode.NXDOMAIN)
        owner, node = wildcard, zone.zone.get_node(wildcard)
    assert node is not None  # the wildcard owner is a node of the zone
    for wanted in (dns.rdatatype.RdataType.make(rdtype), dns.rdatatype.CNAME):
        rdataset = node.get_rdataset(dns.rdataclass.IN, wanted)
        if rdataset is not None:
            rrset = dns.rrset.RRset(name, dns.rdataclass.IN, wanted)
            rrset.update(rdataset)
            return ZoneAnswer(
                rcode=Rcode.NOERROR, rrsets=[rrset], location=zone.location(owner, wanted)
            )
    return ZoneAnswer(rcode=Rcode.NOERROR)


def _wildcard_for(zone: LoadedZone, name: dns.name.Name) -> dns.name.Name | None:
    """The wildcard owner that synthesizes `name`, found at its closest encloser."""
    encloser = name.parent()
    while encloser not in zone.names and encloser != zone.origin:
        encloser = encloser.parent()
    wildcard = dns.name.Name((b"*",) + encloser.labels)
    return wildcard if zone.zone.get_node(wildcard) is not None else None
