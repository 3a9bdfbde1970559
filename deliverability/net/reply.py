"""A DNS response read for its answer to one question, as dnspython's resolver reads it.

`dns.message.from_wire` builds a Message of RRsets and Rdatasets for every section,
and `dns.resolver.Answer` then walks its CNAME chain: together about a sixth of a
bulk run's CPU, much of it spent on objects no check looks at. `read()` walks the
same bytes once with dnspython's own name and rdata readers, so a malformed record
anywhere, a bad compression pointer, a count the bytes do not hold or bytes left
over is refused with the same DNSException, and keeps only the answer section's
records of the type asked and its CNAMEs, following the chain as the resolver does.
A reply carrying what it does not model (EDNS OPT, TSIG, a class other than IN) is
read by dnspython itself. tests/net/test_reply.py holds the two readers to the same
outcome, generated replies and mangled ones alike.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.wire

_IN = dns.rdataclass.IN
_CNAME = dns.rdatatype.CNAME
_MX = dns.rdatatype.MX
_SPECIAL = (dns.rdatatype.OPT, dns.rdatatype.TSIG)
_TC = 0x0200
_CHAIN_LIMIT = dns.message.MAX_CHAIN  # aliases followed before giving up, as dnspython
_name = dns.name.from_wire_parser  # compression allowed, as for owner names in a message
_TO_QUESTION = b"\xc0\x0c"  # a compression pointer to the first question's name
_NAMELESS = (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.TXT)
_KINDS: dict[int, tuple[dns.rdatatype.RdataType, Any]] = {}  # type -> (enum, rdata class)
_TYPES: dict[str, dns.rdatatype.RdataType] = {}  # "TXT" -> 16, as dns.rdatatype.from_text reads it


class Reply(NamedTuple):
    """What a response said about one question."""

    rcode: int
    truncated: bool
    records: tuple[Any, ...] = ()  # the question's own records (dnspython rdata), in order
    aliases: tuple[dns.name.Name, ...] = ()  # the answer's CNAME targets, as the resolver's
    problem: Exception | None = None  # the answer is unusable (a CNAME chain too long)


def read(data: bytes, qname: dns.name.Name, rdtype: str, question: bytes = b"") -> Reply:
    """The reply in `data` to the question `qname`/`rdtype` (already matched to it:
    exchange.answers, which found `question`, the section as sent, in it: not read
    again). Raises dns.exception.FormError (or another DNSException) when dnspython
    would refuse the message."""
    wanted = _rdtype(rdtype)
    flags, qdcount, ancount, nscount, arcount = struct.unpack_from("!2xHHHHH", data)
    parser = dns.wire.Parser(data, 12)
    asked = _key(qname)  # the name at offset 12, which most owners point to (RFC 1035 4.1.4)
    if question and qdcount == 1 and data[12 : 12 + len(question)].lower() == question.lower():
        parser.seek(12 + len(question))  # uncompressed, so it reads as qname
    else:
        for index in range(qdcount):
            name = _key(_name(parser))
            if index == 0:
                asked = name
            parser.get_struct("!HH")
    # the answer section's records of the type asked and its CNAMEs, by owner (its
    # labels in lower case: RFC 4343), each a set in arrival order (an RRset drops a
    # repeat; a second CNAME replaces the first)
    found: dict[_Owner, dict[Any, Any]] = {}
    cnames: dict[_Owner, dict[Any, Any]] = {}
    for index in range(ancount + nscount + arcount):
        if qdcount and data[parser.current : parser.current + 2] == _TO_QUESTION:
            parser.get_bytes(2)  # the same name dnspython would build again
            owner = asked
        else:
            owner = _key(_name(parser))
        rrtype, rrclass, _ttl, rdlen = parser.get_struct("!HHIH")
        if rrtype in _SPECIAL or rrclass != _IN:
            return of_message(dns.message.from_wire(data), qname, wanted)
        start = parser.current
        rdata = _rdata(parser, rrtype, rdlen)
        if index >= ancount:
            continue
        sets = cnames if rrtype == _CNAME else found if rrtype == wanted else None
        if sets is not None:
            if owner not in sets or dns.rdatatype.is_singleton(rrtype):
                sets[owner] = {}
            sets[owner].setdefault(_identity(rrtype, rdata, data[start : parser.current]), rdata)
    if parser.remaining():
        raise dns.message.TrailingJunk
    if wanted == _CNAME:
        found = cnames
    return _chained(flags & 0xF, bool(flags & _TC), found, cnames, qname, wanted)


_Owner = tuple[bytes, ...]


def _key(name: dns.name.Name) -> _Owner:
    """What makes two names the same name (dnspython's Name hashes byte by byte)."""
    return tuple(map(bytes.lower, name.labels))


def _identity(rrtype: int, rdata: Any, wire: bytes) -> Any:
    """What makes two records of an RRset the same record: their canonical form (RFC 4034
    6.2), as dnspython compares them, without building it (Rdata hashes by rendering)."""
    if rrtype in _NAMELESS:
        return wire  # no names to compress or fold: the canonical form is the wire form
    if rrtype == _MX:
        return (rdata.preference, _key(rdata.exchange))
    if rrtype == _CNAME:
        return _key(rdata.target)
    return rdata


def _rdtype(text: str) -> dns.rdatatype.RdataType:
    value = _TYPES.get(text)
    if value is None:
        value = _TYPES[text] = dns.rdatatype.from_text(text)
    return value


def _rdata(parser: dns.wire.Parser, rrtype: int, rdlen: int) -> Any:
    """One record's rdata, as `dns.rdata.from_wire_parser` under `parser.restrict_to`
    reads it (without their two context managers: a tenth of reading a reply)."""
    if rdlen > parser.remaining():
        raise dns.exception.FormError
    kind = _KINDS.get(rrtype)
    if kind is None:
        enum = dns.rdatatype.RdataType.make(rrtype)
        kind = _KINDS[rrtype] = (enum, dns.rdata.get_rdata_class(_IN, enum))
    saved_end = parser.end
    parser.end = parser.current + rdlen
    try:
        rdata = kind[1].from_wire_parser(_IN, kind[0], parser, None)
    except dns.exception.FormError:
        raise
    except Exception as exc:  # as dns.exception.ExceptionWrapper turns it (a SyntaxError too)
        raise dns.exception.FormError(str(exc)) from exc
    finally:
        end, parser.end = parser.end, saved_end
    if parser.current != end:
        raise dns.exception.FormError
    return rdata


def from_answer(answer: dns.resolver.Answer) -> Reply:
    """The Reply of an answer dnspython's resolver gave (DNS over HTTPS, TCP)."""
    response = answer.response
    aliases = ()
    if answer.rdtype != _CNAME:
        aliases = tuple(r[0].target for r in response.answer if r.rdtype == _CNAME)
    records = tuple(answer.rrset) if answer.rrset is not None else ()
    return Reply(response.rcode(), bool(response.flags & _TC), records, aliases)


def _chained(
    rcode: int,
    truncated: bool,
    found: dict[_Owner, dict[Any, Any]],
    cnames: dict[_Owner, dict[Any, Any]],
    qname: dns.name.Name,
    wanted: int,
) -> Reply:
    """The records of `qname` reached through its CNAMEs, as Message.resolve_chaining
    follows them (at most MAX_CHAIN, the first target of each)."""
    if rcode != dns.rcode.NOERROR:
        return Reply(rcode, truncated)
    aliases = ()
    if wanted != _CNAME:
        aliases = tuple(next(iter(targets.values())).target for targets in cnames.values())
    name = _key(qname)
    for _ in range(_CHAIN_LIMIT):
        if name in found:
            return Reply(rcode, truncated, tuple(found[name].values()), aliases)
        if wanted == _CNAME or name not in cnames:
            return Reply(rcode, truncated, (), aliases)
        name = _key(next(iter(cnames[name].values())).target)
    return Reply(rcode, truncated, problem=dns.message.ChainTooLong())


def of_message(
    response: dns.message.Message, qname: dns.name.Name, wanted: dns.rdatatype.RdataType
) -> Reply:
    """The Reply of a message dnspython read (over TCP, or one `read` does not model)."""
    if not isinstance(response, dns.message.QueryMessage):
        raise dns.exception.FormError("not a response to a query")
    rcode = response.rcode()
    if rcode != dns.rcode.NOERROR:
        return Reply(rcode, bool(response.flags & _TC))
    try:
        answer = dns.resolver.Answer(qname, wanted, _IN, response)
    except dns.exception.DNSException as exc:
        return Reply(rcode, bool(response.flags & _TC), problem=exc)
    return from_answer(answer)
