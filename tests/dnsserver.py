"""A real DNS server on loopback for tests and benchmarks: zone files in, faults on demand.

It listens on 127.0.0.1 (UDP and TCP, one free port), answers like a recursive
resolver from a `ZoneSet` (CNAMEs followed across zones, names outside every zone
NXDOMAIN), and can misbehave per name and type: delay, drop, SERVFAIL, REFUSED, or
truncate over UDP (so the client must retry over TCP), for every matching question
or a seeded fraction of them. It counts every query.

    server = DnsServer(ZoneSet([...])).start()
    server.fault("drop", name="slow.example.com")
    server.fault("drop", fraction=0.5, seed=1)       # half the question names, always the same
    ... DnsClient(nameservers=[server.address]) ...
    server.stop()
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from deliverability.net.zones import Rcode, ZoneSet

FAULT_KINDS = ("delay", "drop", "servfail", "refused", "truncate")
MAX_KEPT_REPLIES = 200_000  # replies kept for repeated questions (~50 MB at most)


@dataclass(frozen=True, kw_only=True)
class Fault:
    """Misbehaviour for questions matching `name` (and its subdomains) and `rdtype`."""

    kind: str
    name: str | None = None
    rdtype: str | None = None
    seconds: float = 0.0
    # Only this fraction of the names, chosen by a seeded hash: with `name`, of the names
    # directly below it (each with all below it: whole domains misbehave); without, of the
    # question names. The same names every run and every retry.
    fraction: float = 1.0
    seed: int = 0

    def matches(self, qname: dns.name.Name, rdtype: str) -> bool:
        """Whether this fault applies to the question."""
        if self.rdtype and self.rdtype.upper() != rdtype:
            return False
        if self.name is None:
            return self._chosen(qname)
        under = dns.name.from_text(self.name)
        if not qname.is_subdomain(under):
            return False
        child = qname.split(len(under) + 1)[1] if len(qname) > len(under) else qname
        return self._chosen(child)

    def _chosen(self, name: dns.name.Name) -> bool:
        if self.fraction >= 1.0:
            return True
        text = f"{self.seed}:{name.to_text().lower()}".encode()
        return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") < self.fraction * 2**64


class DnsServer:
    """See the module docstring."""

    def __init__(self, zones: ZoneSet, *, latency: float = 0.0, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        assert host.startswith("127."), "loopback only"
        self.host = host  # the benchmark binds 127.0.0.2:53 for tools that cannot take a port
        self._wanted_port = port  # 0: a free one
        self._zones = zones
        self._replies: dict[tuple[bytes, bool], tuple[tuple[str, str], bytes]] = {}
        self.latency = latency  # seconds added to every answer
        self.faults: list[Fault] = []
        self.queries: Counter[tuple[str, str]] = Counter()
        self.dropped: set[tuple[str, str]] = set()  # (name, type) of questions left unanswered
        self.arrivals: list[float] = []
        self.tcp_queries = 0
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._in_flight = 0
        self.max_in_flight = 0  # the most questions being answered at once

    @property
    def zones(self) -> ZoneSet:
        """What the server answers from (setting it forgets the kept replies)."""
        return self._zones

    @zones.setter
    def zones(self, zones: ZoneSet) -> None:
        self._zones = zones
        self._replies = {}

    @property
    def address(self) -> str:
        """`HOST:PORT`, as --resolver takes it."""
        return f"{self.host}:{self.port}"

    def start(self) -> DnsServer:
        """Bind a free port for UDP and TCP and serve in a background thread."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._bind(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        """Stop serving and close the sockets."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def fault(self, kind: str, name: str | None = None, rdtype: str | None = None,
              seconds: float = 0.0, fraction: float = 1.0, seed: int = 0) -> None:
        """Make questions for `name` (and below) of `rdtype` misbehave (a `fraction` of the
        names: see Fault)."""
        assert kind in FAULT_KINDS, kind
        self.faults = [*self.faults, Fault(kind=kind, name=name, rdtype=rdtype, seconds=seconds,
                                           fraction=fraction, seed=seed)]

    def reset(self) -> None:
        """Forget faults, latency and counts."""
        self.faults = []
        self.latency = 0.0
        self.queries = Counter()
        self.dropped = set()
        self.arrivals: list[float] = []  # time.monotonic() of each question, for rate tests
        self.tcp_queries = 0
        self.max_in_flight = 0

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until no question is being answered: a client that gave up on a delayed
        query leaves it here, and it must not count towards the next test's in-flight."""
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            time.sleep(0.02)

    def count(self, name: str | None = None, rdtype: str | None = None) -> int:
        """Questions received (UDP and TCP) for `name` and `rdtype`; None means any."""
        name = name.rstrip(".").lower() if name else None
        return sum(
            n for (qname, qtype), n in self.queries.items()
            if (name is None or qname == name) and (rdtype is None or qtype == rdtype.upper())
        )

    def answer_now(self, wire: bytes) -> bytes | None:
        """answer() for callers on other threads (a DNS-over-HTTPS front end)."""
        future = asyncio.run_coroutine_threadsafe(self.answer(wire, tcp=True), self._loop)
        return future.result(timeout=30)

    async def _bind(self) -> None:
        for _ in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((self.host, self._wanted_port))
            port = udp.getsockname()[1]
            try:
                tcp_server = await asyncio.start_server(self._serve_tcp, self.host, port)
            except OSError:
                udp.close()
                continue
            self.port = port
            self._tcp = tcp_server
            await self._loop.create_datagram_endpoint(lambda: _Udp(self), sock=udp)
            return
        raise RuntimeError("no free port for the test DNS server")

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length = struct.unpack("!H", await reader.readexactly(2))[0]
                wire = await reader.readexactly(length)
                self.tcp_queries += 1
                reply = await self.answer(wire, tcp=True)
                if reply is not None:
                    writer.write(struct.pack("!H", len(reply)) + reply)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def answer(self, wire: bytes, *, tcp: bool) -> bytes | None:
        """The reply to one query in wire format, or None to stay silent.

        Without faults the same question (all but the ID) gets the same bytes: they are
        kept, so a benchmark's server takes little CPU from the tool it serves on the
        same machine (~0.3 ms a question otherwise)."""
        faults = self.faults  # replaced, never changed in place: what _reply will see
        hit = None if faults else self._replies.get((wire[2:], tcp))
        if hit is None:
            try:
                query = dns.message.from_wire(wire)
                question = query.question[0]
            except (dns.exception.DNSException, IndexError):
                return None
            qname, rdtype = question.name, dns.rdatatype.to_text(question.rdtype)
            counted = (qname.to_text().rstrip(".").lower(), rdtype)
        else:
            counted = hit[0]
        self.queries[counted] += 1
        self.arrivals.append(time.monotonic())
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if hit is not None:
                if self.latency:
                    await asyncio.sleep(self.latency)
                return wire[:2] + hit[1]
            reply = await self._reply(query, qname, rdtype, tcp)
            if reply is not None and not faults:
                if len(self._replies) >= MAX_KEPT_REPLIES:
                    self._replies.clear()
                self._replies[(wire[2:], tcp)] = (counted, reply[2:])
            return reply
        finally:
            self._in_flight -= 1

    async def _reply(self, query: dns.message.Message, qname: dns.name.Name, rdtype: str,
                     tcp: bool) -> bytes | None:
        faults = [f for f in self.faults if f.matches(qname, rdtype)]
        delay = self.latency + sum(f.seconds for f in faults if f.kind == "delay")
        if delay:
            await asyncio.sleep(delay)
        kinds = {f.kind for f in faults}
        if "drop" in kinds:
            self.dropped.add((qname.to_text().rstrip(".").lower(), rdtype))
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.RA
        if kinds & {"servfail", "refused"}:
            response.set_rcode(dns.rcode.SERVFAIL if "servfail" in kinds else dns.rcode.REFUSED)
            return response.to_wire()
        if "truncate" in kinds and not tcp:
            response.flags |= dns.flags.TC
            return response.to_wire()
        found = self.zones.resolve(qname, dns.rdatatype.from_text(rdtype))
        rcode = {Rcode.NOERROR: dns.rcode.NOERROR, Rcode.NXDOMAIN: dns.rcode.NXDOMAIN,
                 Rcode.SERVFAIL: dns.rcode.SERVFAIL}[found.rcode]
        if found.continue_at is not None:
            rcode = dns.rcode.NXDOMAIN  # the chain leads out of every zone we serve
        response.set_rcode(rcode)
        response.answer = list(found.rrsets)
        limit = 65535 if tcp else max(query.payload if query.edns >= 0 else 512, 512)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            response.answer = []
            response.flags |= dns.flags.TC
            return response.to_wire()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: DnsServer) -> None:
        self.server = server

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        asyncio.ensure_future(self._respond(data, addr))

    async def _respond(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self.server.answer(data, tcp=False)
        if reply is not None:
            self.transport.sendto(reply, addr)  # type: ignore[attr-defined]
