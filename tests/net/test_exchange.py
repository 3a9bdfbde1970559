"""One question to the resolvers (net/exchange.py) against real sockets on loopback:
datagrams that are not the answer are ignored, the next resolver is asked when one
fails, and the outcome is what dnspython's resolver would raise."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.resolver
import dns.rrset
import pytest

from deliverability.net import exchange, reply

QNAME = dns.name.from_text("ok.mx.test.")
Responder = Callable[[dns.message.Message], list[bytes]]  # query -> datagrams sent back


@pytest.fixture
def resolver() -> Iterator[Callable[[Responder], tuple[str, int]]]:
    """A UDP socket on 127.0.0.1 that answers each query with what `respond` returns."""
    sockets: list[socket.socket] = []

    def start(respond: Responder) -> tuple[str, int]:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        sockets.append(sock)

        def serve() -> None:
            try:
                while True:
                    data, peer = sock.recvfrom(65535)
                    for datagram in respond(dns.message.from_wire(data)):
                        sock.sendto(datagram, peer)
            except OSError:
                return

        threading.Thread(target=serve, daemon=True).start()
        return sock.getsockname()

    yield start
    for sock in sockets:
        sock.close()


def _answer(query: dns.message.Message, rcode: int = dns.rcode.NOERROR) -> bytes:
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    if rcode == dns.rcode.NOERROR:
        response.answer.append(
            dns.rrset.from_text(query.question[0].name, 300, "IN", "MX", "10 mx1.ok.mx.test.")
        )
    return response.to_wire()


def _ask(servers: list[tuple[str, int]], lifetime: float = 2.0) -> reply.Reply:
    return asyncio.run(exchange.ask(servers, QNAME, "MX", lifetime))


def test_datagrams_that_are_not_the_answer_are_ignored(resolver) -> None:  # type: ignore[no-untyped-def]
    def datagrams(query: dns.message.Message) -> list[bytes]:
        forged = dns.message.from_wire(_answer(query))
        forged.id = (query.id + 1) % 65536
        other = dns.message.make_query("evil.test.", "MX")
        other.id = query.id
        wrong_question = dns.message.make_response(other).to_wire()
        return [b"\x00garbage", forged.to_wire(), wrong_question, _answer(query)]

    answer = _ask([resolver(datagrams)])
    assert [r.to_text() for r in answer.records] == ["10 mx1.ok.mx.test."]


def test_an_answer_after_slow_garbage_is_taken_and_nothing_is_left_listening(resolver) -> None:  # type: ignore[no-untyped-def]
    def slowly(query: dns.message.Message) -> list[bytes]:
        time.sleep(0.05)  # the first datagram arrives while the question waits
        return [b"\x00garbage", b"\x00more garbage", _answer(query)]

    async def run() -> tuple[reply.Reply, int, int]:
        loop = asyncio.get_running_loop()
        before = len(loop._selector.get_map())  # type: ignore[attr-defined]
        silent = resolver(lambda q: [])
        for _ in range(20):  # given up at the deadline: the reader goes with the socket
            with pytest.raises(dns.resolver.LifetimeTimeout):
                await exchange.ask([silent], QNAME, "MX", 0.02)
        answer = await exchange.ask([resolver(slowly)], QNAME, "MX", 2.0)
        return answer, before, len(loop._selector.get_map())  # type: ignore[attr-defined]

    answer, before, after = asyncio.run(run())
    assert [r.to_text() for r in answer.records] == ["10 mx1.ok.mx.test."]
    assert after == before


def test_a_failing_resolver_hands_the_question_to_the_next(resolver) -> None:  # type: ignore[no-untyped-def]
    failing = resolver(lambda q: [_answer(q, dns.rcode.SERVFAIL)])
    working = resolver(lambda q: [_answer(q)])
    assert _ask([failing, working]).records


def test_every_resolver_failing_says_what_each_answered(resolver) -> None:  # type: ignore[no-untyped-def]
    servfail = resolver(lambda q: [_answer(q, dns.rcode.SERVFAIL)])
    refused = resolver(lambda q: [_answer(q, dns.rcode.REFUSED)])
    with pytest.raises(dns.resolver.NoNameservers) as caught:
        _ask([servfail, refused])
    assert [e[3] for e in caught.value.kwargs["errors"]] == ["SERVFAIL", "REFUSED"]


def test_nxdomain_and_silence_are_what_the_resolver_raises(resolver) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(dns.resolver.NXDOMAIN):
        _ask([resolver(lambda q: [_answer(q, dns.rcode.NXDOMAIN)])])
    with pytest.raises(dns.resolver.LifetimeTimeout):
        _ask([resolver(lambda q: [])], lifetime=0.3)


def test_a_truncated_answer_is_asked_again_over_tcp(world) -> None:  # type: ignore[no-untyped-def]
    world.fault("truncate", name="ok.mx.test")
    answer = _ask([("127.0.0.1", world.port)])
    assert [r.to_text() for r in answer.records] == ["10 mx1.ok.mx.test."]
    assert world.tcp_queries == 1


@pytest.mark.parametrize(
    ("name", "rdtype"),
    [
        ("ok.mx.test.", "MX"),
        ("_dmarc.Example.COM.", "TXT"),
        ("x." * 60, "A"),
        ("9.2.0.192.in-addr.arpa.", "PTR"),
        ("_25._tcp.mx.test.", "TLSA"),
        (".", "NS"),
    ],
)
def test_the_query_is_the_message_dnspython_would_send(name: str, rdtype: str) -> None:
    qname = dns.name.from_text(name)
    expected = dns.message.make_query(qname, rdtype, id=4242).to_wire()
    assert (
        b"\x10\x92\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + exchange.question_wire(qname, rdtype)
        == expected
    )


def _variants(query: dns.message.QueryMessage) -> list[bytes]:
    """Replies to `query` that dnspython's is_response accepts and ones it refuses."""
    shouted = dns.message.make_query("OK.MX.TEST.", "MX", id=query.id)
    other_type = dns.message.make_query(QNAME, "A", id=query.id)
    other_name = dns.message.make_query("no.mx.test.", "MX", id=query.id)
    replies = []
    for asked in (query, shouted, other_type, other_name):
        replies.append(dns.message.make_response(asked).to_wire())
    for rcode in (dns.rcode.SERVFAIL, dns.rcode.REFUSED, dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        empty = dns.message.make_response(query)
        empty.question = []
        empty.set_rcode(rcode)
        replies.append(empty.to_wire())
    no_qr = bytearray(replies[0])
    no_qr[2] &= 0x7F
    notify = bytearray(replies[0])
    notify[2] |= 4 << 3
    return [*replies, bytes(no_qr), bytes(notify), replies[0][:11], b""]


def test_a_reply_is_taken_exactly_when_dnspython_would_take_it() -> None:
    query = dns.message.make_query(QNAME, "MX", id=777)
    question = exchange.question_wire(QNAME, "MX")
    decisions = []
    for data in _variants(query):
        try:
            theirs = query.is_response(dns.message.from_wire(data))
        except dns.exception.DNSException:
            theirs = False
        decisions.append((exchange.answers(data, 777, question), theirs))
        assert exchange.answers(data, 778, question) is False  # another query's id
    assert [ours for ours, _ in decisions] == [theirs for _, theirs in decisions]
    assert [ours for ours, _ in decisions].count(True) == 4  # the question, shouted, 2 errors
