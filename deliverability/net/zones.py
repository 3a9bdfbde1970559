"""Zone files: load them safely, remember the line of every record, answer from them.

Used two ways: `--zone-file` overlays a proposed zone on live DNS (CI checks a
change before it is published), and the test suite's loopback DNS server serves
its scenario world through the same `ZoneSet.resolve()`, so both answer alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.tokenizer
import dns.zone
import dns.zonefile

from deliverability.files import MAX_ZONE_FILE, UnreadableFile, read_user_text
from deliverability.finding import Location

MAX_CNAME_CHAIN = 16
DEFAULT_TTL = 3600
# The zone's origin: an $ORIGIN before the first record (blank, comment and $TTL lines
# may come first); a later $ORIGIN only changes how the following names are read.
_LEADING_ORIGIN = re.compile(
    r"\A(?:[ \t]*(?:;[^\n]*)?\n|\$TTL[^\n]*\n)*\$ORIGIN[ \t]+(\S+)", re.IGNORECASE
)


MAX_GENERATED = 65_536  # records all $GENERATE lines of one file may make together
_GENERATE = re.compile(
    r"^\s*\$GENERATE\s+(?P<start>\d{1,10})-(?P<stop>\d{1,10})(?:/(?P<step>\d{1,10}))?", re.I
)


class ZoneFileError(Exception):
    """A zone file cannot be used; the message is one line naming the file and why."""


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


class _LineTrackingTokenizer(dns.tokenizer.Tokenizer):
    """A tokenizer that remembers the line on which the current record began."""

    record_line = 0
    _at_line_start = True

    def get(self, want_leading: bool = False, want_comment: bool = False) -> dns.tokenizer.Token:
        # A token read again after unget() (TXT rdata ungets its EOL) starts nothing.
        if self._at_line_start and self.ungotten_token is None:
            self.record_line = self.line_number
        token = super().get(want_leading, want_comment)
        self._at_line_start = token.is_eol_or_eof()
        return token


def load_zone_file(path: str | Path, origin: str | None = None) -> LoadedZone:
    """Parse a BIND zone file, refusing `$INCLUDE`; raise ZoneFileError with one line."""
    path = Path(path)
    try:
        text = read_user_text(path, "zone file", MAX_ZONE_FILE)
    except UnreadableFile as exc:
        raise ZoneFileError(str(exc)) from None
    return parse_zone_text(text, str(path), origin)


def parse_zone_text(text: str, filename: str, origin: str | None = None) -> LoadedZone:
    """Parse zone-file text; the origin is `origin`, else `$ORIGIN`, else the file name."""
    _refuse_large_generate(text, filename)
    origin_name = dns.name.from_text(_origin_for(text, filename, origin))
    zone = dns.zone.Zone(origin_name, relativize=False)
    lines: dict[tuple[dns.name.Name, int], int] = {}
    tok = _LineTrackingTokenizer(text, filename)
    try:
        with zone.writer(True) as txn:
            add = txn.add

            def add_and_remember(name, *rest):
                rdtype = rest[-1].rdtype
                lines.setdefault((name, rdtype), tok.record_line)
                add(name, *rest)

            txn.add = add_and_remember
            # A snippet without $TTL or SOA is still a usable proposed change.
            dns.zonefile.Reader(
                tok, dns.rdataclass.IN, txn, allow_include=False, default_ttl=DEFAULT_TTL
            ).read()
    except dns.exception.SyntaxError as exc:  # its text already says "file:line:"
        raise ZoneFileError(_one_line(exc)) from None
    except (dns.exception.DNSException, ValueError) as exc:
        raise ZoneFileError(f"{filename}: line {tok.line_number}: {_one_line(exc)}") from None
    names = _names_with_ancestors(zone)
    return LoadedZone(zone=zone, path=filename, lines=lines, names=names)


def _refuse_large_generate(text: str, filename: str) -> None:
    """$GENERATE expands a range into one record per number: bound the work by input size
    (a 100-byte file must not ask for five million records)."""
    total = 0
    for number, line in enumerate(text.splitlines(), 1):
        match = _GENERATE.match(line)
        if match is None:
            continue
        start, stop, step = int(match["start"]), int(match["stop"]), int(match["step"] or 1)
        total += max(0, (stop - start) // max(step, 1) + 1)
        if total > MAX_GENERATED:
            raise ZoneFileError(
                f"{filename}: line {number}: $GENERATE would make {total:,} records; "
                f"the limit is {MAX_GENERATED:,}"
            )


def _origin_for(text: str, filename: str, origin: str | None) -> str:
    if origin:
        return origin
    directive = _LEADING_ORIGIN.match(text)
    if directive:
        return directive.group(1)
    stem = Path(filename).name
    for suffix in (".zone", ".db", ".txt"):
        stem = stem.removesuffix(suffix)
    return stem if stem.endswith(".") else stem + "."


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _names_with_ancestors(zone: dns.zone.Zone) -> frozenset[dns.name.Name]:
    names: set[dns.name.Name] = set()
    assert zone.origin is not None
    for name in zone.nodes:
        while name.is_subdomain(zone.origin) and name not in names:
            names.add(name)
            if name == zone.origin:
                break
            name = name.parent()
    return frozenset(names)


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
