"""net/reply.read against dnspython's own reading of the same bytes.

dnspython's resolver reads a reply with `dns.message.from_wire` and follows its CNAMEs
with `dns.resolver.Answer`; `reply.read` must come to the same outcome for every
datagram `exchange.answers` lets through: the same records in the same order, the
same CNAME targets, the same refusal of a malformed message, the same ChainTooLong.
The replies are written byte by byte here (not by dnspython's renderer, which would
merge what a hostile server may repeat), then mangled.
"""

from __future__ import annotations

import io
import struct
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliverability.net import exchange, reply

QNAME = dns.name.from_text("Example.TEST.")
NAMES = [
    QNAME,
    dns.name.from_text("example.test."),  # the question's name in other case
    dns.name.from_text("alias.example.test."),
    dns.name.from_text("ALIAS.example.test."),
    dns.name.from_text("target.provider.test."),
    dns.name.from_text("loop.example.test."),
    dns.name.from_text("test."),
]
RDATA = {
    "TXT": ['"v=spf1 -all"', '"v=spf1 include:_spf.provider.test ~all"', '"a" "b"', '""'],
    "MX": ["10 mx1.example.test.", "10 MX1.EXAMPLE.test.", "20 MX1.Example.Test.", "0 ."],
    "A": ["192.0.2.1", "192.0.2.2"],
    "AAAA": ["2001:db8::1"],
    "SOA": [
        "ns.example.test. hostmaster.example.test. 1 7200 900 1209600 300",
        "ns2.example.test. hostmaster.example.test. 2 7200 900 1209600 60",
    ],
    "NS": ["ns.example.test.", "ns2.provider.test."],
}
RRTYPES = [*RDATA, "CNAME"]


def record(rdtype: str) -> st.SearchStrategy[Any]:
    if rdtype == "CNAME":
        texts = st.sampled_from([n.to_text() for n in NAMES])
    else:
        texts = st.sampled_from(RDATA[rdtype])
    return texts.map(lambda text: dns.rdata.from_text("IN", rdtype, text))


rrs = st.lists(
    st.tuples(
        st.sampled_from(NAMES),
        st.sampled_from(RRTYPES).flatmap(lambda t: record(t)),
    ),
    max_size=8,
)


@st.composite
def question_and_answer(draw: st.DrawFn) -> tuple[str, list[tuple[dns.name.Name, Any]]]:
    """A type asked and an answer section that often holds it, at the name or an alias."""
    rdtype = draw(st.sampled_from(RRTYPES))
    own = draw(st.lists(st.tuples(st.sampled_from(NAMES[:4]), record(rdtype)), max_size=4))
    others = draw(rrs)
    return rdtype, draw(st.permutations(own + others))


def wire(
    rcode: int,
    tc: bool,
    sections: tuple[list[tuple[dns.name.Name, Any]], ...],
    *,
    rdtype: str = "TXT",
    compress: bool = True,
    edns: bool = False,
) -> bytes:
    """A response to QNAME/rdtype with these records, names compressed as a server
    might (or not at all)."""
    out = io.BytesIO()
    table: dict[dns.name.Name, int] | None = {} if compress else None
    counts = [len(section) for section in sections]
    counts[2] += edns
    flags = 0x8180 | rcode | (0x0200 if tc else 0)
    out.write(struct.pack("!HHHHHH", 0x1234, flags, 1, *counts))
    out.write(exchange.question_wire(QNAME, rdtype))
    for section in sections:
        for owner, rdata in section:
            owner.to_wire(out, table)
            out.write(struct.pack("!HHIH", rdata.rdtype, 1, 300, 0))
            start = out.tell()
            rdata.to_wire(out, table)
            end = out.tell()
            out.seek(start - 2)
            out.write(struct.pack("!H", end - start))
            out.seek(end)
    if edns:
        out.write(b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0))
    return out.getvalue()


def by_dnspython(data: bytes, rdtype: str) -> reply.Reply | type[BaseException]:
    """What the resolver makes of `data`: a Reply, or the class of what it raised."""
    try:
        response = dns.message.from_wire(data)
    except Exception as exc:  # noqa: BLE001 (the outcome under comparison)
        return type(exc)
    rcode = response.rcode()
    truncated = bool(response.flags & 0x0200)
    if rcode != dns.rcode.NOERROR:
        return reply.Reply(rcode, truncated)
    wanted = dns.rdatatype.from_text(rdtype)
    try:
        answer = dns.resolver.Answer(QNAME, wanted, dns.rdataclass.IN, response)
    except dns.message.ChainTooLong:
        return reply.Reply(rcode, truncated, problem=dns.message.ChainTooLong())
    aliases = ()
    if wanted != dns.rdatatype.CNAME:
        aliases = tuple(r[0].target for r in response.answer if r.rdtype == dns.rdatatype.CNAME)
    records = tuple(answer.rrset) if answer.rrset is not None else ()
    return reply.Reply(rcode, truncated, records, aliases)


def by_reader(data: bytes, rdtype: str, question: bytes = b"") -> reply.Reply | type[BaseException]:
    try:
        return reply.read(data, QNAME, rdtype, question)
    except Exception as exc:  # noqa: BLE001 (the outcome under comparison)
        return type(exc)


def same(data: bytes, rdtype: str) -> None:
    expected = by_dnspython(data, rdtype)
    readings = [by_reader(data, rdtype)]
    question = exchange.question_wire(QNAME, rdtype)
    if exchange.answers(data, 0x1234, question):  # as exchange reads it: question skipped
        readings.append(by_reader(data, rdtype, question))
    for got in readings:
        if isinstance(expected, reply.Reply) and isinstance(got, reply.Reply):
            assert got._replace(problem=None) == expected._replace(problem=None)
            assert type(got.problem) is type(expected.problem)
            # the same objects in the same order, not just equal sets (what checks print)
            assert [r.to_text() for r in got.records] == [r.to_text() for r in expected.records]
            assert [n.to_text() for n in got.aliases] == [n.to_text() for n in expected.aliases]
        else:
            assert got == expected


rcodes = st.sampled_from([dns.rcode.NOERROR, dns.rcode.NOERROR, dns.rcode.NXDOMAIN, 2])


@settings(max_examples=600, deadline=None)
@given(
    rcode=rcodes,
    tc=st.booleans(),
    asked=question_and_answer(),
    authority=rrs,
    additional=rrs,
    compress=st.booleans(),
    edns=st.booleans(),
)
def test_generated_replies_read_as_dnspython_reads_them(
    rcode: int,
    tc: bool,
    asked: tuple[str, list[tuple[dns.name.Name, Any]]],
    authority: list[tuple[dns.name.Name, Any]],
    additional: list[tuple[dns.name.Name, Any]],
    compress: bool,
    edns: bool,
) -> None:
    rdtype, answer = asked
    data = wire(
        rcode, tc, (answer, authority, additional), rdtype=rdtype, compress=compress, edns=edns
    )
    same(data, rdtype)


@settings(max_examples=800, deadline=None)
@given(
    asked=question_and_answer(),
    authority=rrs,
    cuts=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), min_size=1, max_size=3),
    truncate=st.one_of(st.none(), st.integers(12, 400)),
)
def test_mangled_replies_are_refused_or_read_as_dnspython_does(
    asked: tuple[str, list[tuple[dns.name.Name, Any]]],
    authority: list[tuple[dns.name.Name, Any]],
    cuts: list[tuple[int, int]],
    truncate: int | None,
) -> None:
    rdtype, answer = asked
    data = bytearray(wire(0, False, (answer, authority, []), rdtype=rdtype))
    for position, value in cuts:
        if position < len(data):
            data[position] = value
    mangled = bytes(data[:truncate] if truncate is not None else data)
    question = exchange.question_wire(QNAME, rdtype)
    if exchange.answers(mangled, 0x1234, question):  # what reaches the reader
        same(mangled, rdtype)


def chain(length: int, *, answered: bool) -> list[tuple[dns.name.Name, Any]]:
    names = [QNAME] + [dns.name.from_text(f"hop{i}.example.test.") for i in range(length)]
    records = [
        (owner, dns.rdata.from_text("IN", "CNAME", target.to_text()))
        for owner, target in zip(names, names[1:], strict=False)
    ]
    if answered:
        records.append((names[-1], dns.rdata.from_text("IN", "TXT", '"v=spf1 -all"')))
    return records


@pytest.mark.parametrize("length", [1, 15, 16, 17, 40])
@pytest.mark.parametrize("answered", [True, False])
def test_cname_chains_up_to_the_resolvers_limit_and_past_it(length: int, answered: bool) -> None:
    data = wire(0, False, (chain(length, answered=answered), [], []))
    same(data, "TXT")
    got = reply.read(data, QNAME, "TXT")
    assert (got.problem is not None) == (length >= dns.message.MAX_CHAIN)
    if got.problem is None:
        assert len(got.aliases) == length
        assert bool(got.records) == answered


def test_a_cname_loop_ends_as_too_long_not_in_a_hang() -> None:
    loop = dns.name.from_text("loop.example.test.")
    records = [
        (QNAME, dns.rdata.from_text("IN", "CNAME", loop.to_text())),
        (loop, dns.rdata.from_text("IN", "CNAME", QNAME.to_text())),
    ]
    got = reply.read(wire(0, False, (records, [], [])), QNAME, "TXT")
    assert isinstance(got.problem, dns.message.ChainTooLong)


def test_a_repeated_record_is_one_record_and_a_second_cname_replaces_the_first() -> None:
    spf = dns.rdata.from_text("IN", "TXT", '"v=spf1 -all"')
    first = dns.rdata.from_text("IN", "CNAME", "first.example.test.")
    second = dns.rdata.from_text("IN", "CNAME", "second.example.test.")
    data = wire(0, False, ([(QNAME, spf), (QNAME, spf)], [], []))
    assert [r.to_text() for r in reply.read(data, QNAME, "TXT").records] == ['"v=spf1 -all"']
    data = wire(0, False, ([(QNAME, first), (QNAME, second)], [], []))
    aliases = reply.read(data, QNAME, "TXT").aliases
    assert [n.to_text().lower() for n in aliases] == ["second.example.test."]
    same(data, "TXT")


def test_bytes_after_the_last_record_are_refused() -> None:
    spf = dns.rdata.from_text("IN", "TXT", '"v=spf1 -all"')
    with pytest.raises(dns.message.TrailingJunk):
        reply.read(wire(0, False, ([(QNAME, spf)], [], [])) + b"\x00", QNAME, "TXT")


def test_a_record_count_the_bytes_do_not_hold_is_refused() -> None:
    spf = dns.rdata.from_text("IN", "TXT", '"v=spf1 -all"')
    data = bytearray(wire(0, False, ([(QNAME, spf)], [], [])))
    data[7] = 2  # ANCOUNT 2, one record present
    with pytest.raises(dns.exception.FormError):
        reply.read(bytes(data), QNAME, "TXT")


def test_a_question_echoed_in_other_case_still_matches_the_records_it_owns() -> None:
    spf = dns.rdata.from_text("IN", "TXT", '"v=spf1 -all"')
    data = wire(0, False, ([(QNAME, spf)], [], []))
    lowered = data[:12] + data[12:12 + len(QNAME.to_wire())].lower() + data[12 + len(QNAME.to_wire()):]
    question = exchange.question_wire(QNAME, "TXT")
    assert exchange.answers(lowered, 0x1234, question)
    got = reply.read(lowered, QNAME, "TXT", question)
    assert [r.to_text() for r in got.records] == ['"v=spf1 -all"']
    same(lowered, "TXT")


@pytest.mark.parametrize("compress", [True, False])
def test_the_same_exchange_in_other_case_is_one_mx_record(compress: bool) -> None:
    records = [(QNAME, dns.rdata.from_text("IN", "MX", text))
               for text in ("10 mx1.example.test.", "10 MX1.EXAMPLE.test.", "20 mx1.example.test.")]
    data = wire(0, False, (records, [], []), rdtype="MX", compress=compress)
    got = reply.read(data, QNAME, "MX")
    assert [r.to_text().lower() for r in got.records] == ["10 mx1.example.test.", "20 mx1.example.test."]
    same(data, "MX")
