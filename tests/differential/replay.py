"""A dnspython resolver that replays our DNS layer's answers to checkdmarc: never a packet.

checkdmarc takes a `dns.resolver.Resolver` for its lookups. This one answers each
(name, type) by asking our DnsClient (offline, over the world's zone files) on an event
loop of its own, and turns our Answer into what dnspython would give: the rdata, or
NXDOMAIN / NoAnswer, or NoNameservers where our layer says the lookup failed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dns.resolver

from deliverability.net.dns import DnsClient, LookupFailed


class ReplayResolver(dns.resolver.Resolver):
    """checkdmarc's resolver: every answer comes from `client` on `loop`."""

    def __init__(self, client: DnsClient, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(configure=False)
        self.nameservers = ["127.0.0.1"]  # never used: resolve() is replaced
        self.client, self.loop = client, loop
        self.asked: list[tuple[str, str]] = []

    def resolve(self, qname: Any, rdtype: Any = "A", *args: Any, **kwargs: Any) -> Any:
        name, kind = str(qname).rstrip("."), str(rdtype).upper()
        self.asked.append((name, kind))
        future = asyncio.run_coroutine_threadsafe(self.client.query(name, kind), self.loop)
        try:
            answer = future.result(10)
        except LookupFailed:
            raise dns.resolver.NoNameservers() from None  # SERVFAIL, timeout: no answer
        if answer.nxdomain:
            raise dns.resolver.NXDOMAIN(qnames=[dns.name.from_text(name)])
        if not answer.records:
            raise dns.resolver.NoAnswer()
        return list(answer.records)


@contextmanager
def replaying(client_factory: Any) -> Iterator[ReplayResolver]:
    """A ReplayResolver whose DnsClient lives on a loop in a thread of its own."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    client = asyncio.run_coroutine_threadsafe(_make(client_factory), loop).result(10)
    try:
        yield ReplayResolver(client, loop)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def _make(factory: Any) -> DnsClient:
    return factory()  # the client's semaphore belongs to this loop
