"""One question to the resolvers, as dnspython's resolver asks it, at a third of its cost.

`dns.asyncresolver.Resolver.resolve` builds a resolution state machine and an asyncio
datagram transport for every question: about 0.4 ms of CPU each on this machine,
3 ms of a bulk run's domain. `ask()` sends the same message (RD set, no EDNS: the
bytes `dns.message.make_query` writes, encoded here because building and rendering a
Message cost a tenth of a bulk run) from a new socket with a random port, connected
to the resolver so the kernel drops datagrams from anyone else, takes the first
datagram that is the answer to that question (the test dnspython's `is_response`
makes: id, QR, opcode and the question, read from the header before anything is
parsed) and reads it with net/reply.py, retries over TCP when it is truncated, and
moves to the next resolver on SERVFAIL, REFUSED, an unreachable port or a malformed
reply, raising what the resolver would: `NXDOMAIN`, `NoNameservers` with the same
error tuples, `LifetimeTimeout`. DNS over HTTPS keeps dnspython's own path
(DnsClient decides).
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import cast

import dns.asyncquery
import dns.entropy
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.resolver

from deliverability.net import reply

Server = tuple[str, int]  # (IP address, port)


async def ask(
    servers: list[Server], qname: dns.name.Name, rdtype: str, lifetime: float
) -> reply.Reply:
    """The answer of the first of `servers` to answer `qname`/`rdtype` within `lifetime`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    ident = dns.entropy.random_16()
    question = question_wire(qname, rdtype)
    wire = struct.pack("!HHHHHH", ident, _RD, 1, 0, 0, 0) + question
    errors: list[tuple[str, bool, int, object, object]] = []
    for address, port in servers:
        left = deadline - loop.time()
        if left <= 0:
            break
        tcp = False
        try:
            answer = await _udp(loop, wire, question, qname, rdtype, address, port, left)
            if answer.truncated:
                tcp = True
                answer = await _tcp(qname, rdtype, ident, address, port, deadline - loop.time())
        except (TimeoutError, dns.exception.Timeout):
            raise dns.resolver.LifetimeTimeout(timeout=lifetime, errors=errors) from None
        except (OSError, EOFError, dns.exception.DNSException) as exc:
            errors.append((address, tcp, port, exc, None))
            continue
        if answer.rcode == dns.rcode.NXDOMAIN:
            raise dns.resolver.NXDOMAIN(qnames=[qname])
        if answer.rcode != dns.rcode.NOERROR:
            errors.append(
                (address, tcp, port, dns.rcode.to_text(dns.rcode.Rcode.make(answer.rcode)), None)
            )
            continue
        if answer.problem is not None:  # a reply the resolver would also reject
            errors.append((address, tcp, port, answer.problem, None))
            continue
        return answer
    if not errors:
        raise dns.resolver.LifetimeTimeout(timeout=lifetime, errors=errors)
    raise dns.resolver.NoNameservers(request=_query(qname, rdtype, ident), errors=errors)


_RD = 0x0100
# non-blocking from the start: one system call fewer than setblocking(False) after
_DATAGRAM = socket.SOCK_DGRAM | getattr(socket, "SOCK_NONBLOCK", 0)
_QR = 0x8000
_ERRORS_WITHOUT_QUESTION = (1, 2, 4, 5)  # FORMERR, SERVFAIL, NOTIMP, REFUSED


def question_wire(qname: dns.name.Name, rdtype: str) -> bytes:
    """The question section for `qname`/`rdtype`, class IN, uncompressed (RFC 1035 4.1.2)."""
    name = cast(bytes, qname.to_wire())  # bytes whenever no file is given
    return name + struct.pack("!HH", dns.rdatatype.from_text(rdtype), 1)


def answers(data: bytes, ident: int, question: bytes) -> bool:
    """Whether datagram `data` is the response to query `ident` asking `question`, as
    dnspython's `Message.is_response` decides: QR set, the same id and opcode (QUERY),
    and the same question (the name without regard to case, RFC 4343), or none at
    all with FORMERR, SERVFAIL, NOTIMP or REFUSED."""
    if len(data) < 12:
        return False
    got, flags, qdcount = struct.unpack("!HHH", data[:6])
    if got != ident or not flags & _QR or (flags >> 11) & 0xF:
        return False
    if qdcount == 0:
        return flags & 0xF in _ERRORS_WITHOUT_QUESTION
    end = 12 + len(question)
    return (
        qdcount == 1
        and data[12 : end - 4].lower() == question[:-4].lower()
        and data[end - 4 : end] == question[-4:]
    )


def _query(qname: dns.name.Name, rdtype: str, ident: int) -> dns.message.QueryMessage:
    """The query as a dnspython message, for TCP and for errors that name it."""
    return dns.message.make_query(qname, rdtype, id=ident)


async def _udp(
    loop: asyncio.AbstractEventLoop,
    wire: bytes,
    question: bytes,
    qname: dns.name.Name,
    rdtype: str,
    address: str,
    port: int,
    timeout: float,
) -> reply.Reply:
    ident = struct.unpack("!H", wire[:2])[0]
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, _DATAGRAM) as sock:
        if sock.gettimeout() != 0.0:  # no SOCK_NONBLOCK on this platform
            sock.setblocking(False)
        sock.connect((address, port))  # random source port; only the resolver gets through
        deadline = loop.time() + timeout
        try:
            sock.send(wire)  # a datagram leaves whole or not at all
        except BlockingIOError:  # the send buffer is full: wait for room
            await asyncio.wait_for(loop.sock_sendall(sock, wire), timeout)
        inbox = _Inbox(loop, sock, deadline)
        try:
            while True:
                data = await inbox.next()
                if not answers(data, ident, question):
                    continue  # not the answer (late, forged or garbage): keep listening
                try:
                    return reply.read(data, qname, rdtype, question)
                except dns.exception.DNSException:
                    continue  # malformed past the header; keep listening, as dnspython does
        finally:
            inbox.close()


class _Inbox:
    """The datagrams a socket receives, one at a time, until `deadline` (TimeoutError).

    With a selector loop, one reader callback and one timer serve every datagram of the
    question: `loop.sock_recv` under `asyncio.timeout` built a future, a reader and a
    failed recv() for each, and a Timeout object, a sixth of a lookup's own CPU. A loop
    without readers (Windows' proactor) gets asyncio's own receive."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, deadline: float):
        self._loop, self._sock, self._deadline = loop, sock, deadline
        self._ready: asyncio.Future[None] = loop.create_future()
        self._drained = True  # wait first: a datagram already here wakes the reader at once
        try:
            loop.add_reader(sock.fileno(), self._wake)
        except NotImplementedError:
            self._timer = None
        else:
            self._timer = loop.call_at(deadline, self._expire)

    async def next(self) -> bytes:
        if self._timer is None:
            left = self._deadline - self._loop.time()
            return await asyncio.wait_for(self._loop.sock_recv(self._sock, 65535), left)
        while True:
            if self._drained:
                await self._ready  # readable, or TimeoutError at the deadline
                self._ready = self._loop.create_future()
                self._drained = False
            try:
                return self._sock.recv(65535)
            except BlockingIOError:
                self._drained = True

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._loop.remove_reader(self._sock.fileno())
        if self._ready.done() and not self._ready.cancelled():
            self._ready.exception()  # a timeout no one awaited (cancelled): not "never retrieved"

    def _wake(self) -> None:
        if not self._ready.done():
            self._ready.set_result(None)

    def _expire(self) -> None:
        if not self._ready.done():
            self._ready.set_exception(TimeoutError())


async def _tcp(
    qname: dns.name.Name, rdtype: str, ident: int, address: str, port: int, timeout: float
) -> reply.Reply:
    """The question again over TCP, for a truncated answer (RFC 7766)."""
    response = await dns.asyncquery.tcp(
        _query(qname, rdtype, ident), address, timeout=max(timeout, 0.001), port=port
    )
    return reply.of_message(response, qname, dns.rdatatype.from_text(rdtype))
