"""DNS-controlled URLs reach only public unicast addresses on port 443, within a deadline.

Refusals are proven with a loopback listener that records whether anything connected:
a refused fetch must not even open a TCP connection.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from httpserver import HttpsServer

from deliverability.net.addresses import not_public
from deliverability.net.dns import DnsClient
from deliverability.net.https import FetchFailed, FetchProblem, HttpSettings, HttpsFetcher
from deliverability.net.zones import ZoneSet
from deliverability.net.zonefile import parse_zone_text

HOSTS = {
    "loop": "A 127.0.0.1",
    "private": "A 10.1.2.3",
    "metadata": "A 169.254.169.254",
    "cgnat": "A 100.64.0.9",
    "multicast": "A 224.0.0.251",
    "reserved": "A 240.0.0.1",
    "docs": "A 192.0.2.10",
    "zero": "A 0.0.0.0",
    "loop6": "AAAA ::1",
    "mapped": "AAAA ::ffff:127.0.0.1",
    "compat": "AAAA ::127.0.0.1",
    "sixtofour": "AAAA 2002:7f00:1::1",
    "nat64": "AAAA 64:ff9b::a9fe:a9fe",
    "ula": "AAAA fd00::1",
    "linklocal6": "AAAA fe80::1",
}


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def fetcher(settings: HttpSettings) -> HttpsFetcher:
    lines = [f"{name} {record}" for name, record in HOSTS.items()]
    zone = parse_zone_text("\n".join(lines) + "\n", "hostile.test", origin="hostile.test")
    return HttpsFetcher(DnsClient(zones=ZoneSet([zone]), offline=False), settings)


def fetch(settings: HttpSettings, url: str) -> FetchFailed:
    async def go() -> FetchFailed:
        client = fetcher(settings)
        try:
            await client.fetch(url, max_bytes=1024, content_types=("text/plain",))
        except FetchFailed as exc:
            return exc
        finally:
            await client.close()
        raise AssertionError(f"{url} was fetched")

    return asyncio.run(go())


@pytest.mark.parametrize("host", sorted(HOSTS))
def test_non_public_addresses_are_refused_without_connecting(listener, host: str) -> None:
    settings = HttpSettings(port=listener.port, timeout=2)
    failed = fetch(settings, f"https://{host}.hostile.test/x")
    assert (failed.problem, listener.accepted) == (FetchProblem.REFUSED, 0)


@pytest.mark.parametrize("allow_loopback", [False, True])
def test_a_port_other_than_443_is_refused_without_connecting(listener, allow_loopback) -> None:
    settings = HttpSettings(allow_loopback_for_tests=allow_loopback, timeout=2)
    failed = fetch(settings, f"https://loop.hostile.test:{listener.port}/logo.svg")
    assert (failed.problem, listener.accepted) == (FetchProblem.REFUSED, 0)


def test_the_test_opt_in_reaches_loopback(listener) -> None:
    settings = HttpSettings(allow_loopback_for_tests=True, port=listener.port, timeout=2)
    failed = fetch(settings, "https://loop.hostile.test/x")
    assert (failed.problem, listener.accepted) == (FetchProblem.UNREACHABLE, 1)


@pytest.mark.parametrize("url", [
    "https://loop.hostile.test/logo\x07.svg",
    "https://loop.hostile.test\r\nX-Evil: 1/",
    "https://[::1/logo.svg",
    "https:///logo.svg",
    "ftp://loop.hostile.test/logo.svg",
])
def test_malformed_urls_are_invalid_not_crashes(listener, url: str) -> None:
    settings = HttpSettings(allow_loopback_for_tests=True, port=listener.port, timeout=2)
    failed = fetch(settings, url)
    assert (failed.problem, listener.accepted) == (FetchProblem.INVALID_URL, 0)


@pytest.mark.parametrize(("address", "refused"), [
    ("8.8.8.8", False), ("2606:4700::1111", False), ("::ffff:8.8.8.8", False),
    ("64:ff9b::808:808", False), ("100.63.255.255", False), ("100.64.0.0", True),
    ("198.18.0.1", True), ("255.255.255.255", True), ("ff02::1", True), ("2001:db8::1", True),
    ("64:ff9b:1::1", True), ("::ffff:192.168.0.1", True), ("not-an-ip", True),
])
def test_public_unicast_table(address: str, refused: bool) -> None:
    assert (not_public(address) is not None) == refused


def test_a_trickled_body_is_cut_at_the_deadline() -> None:
    server = HttpsServer(hosts=["loop.hostile.test"]).start()
    server.route("loop.hostile.test", "/slow", body=b"x" * 40, trickle=0.5)
    settings = HttpSettings(allow_loopback_for_tests=True, port=server.port,
                            verify=server.client_context(), timeout=1.5)
    started = time.monotonic()
    try:
        failed = fetch(settings, "https://loop.hostile.test/slow")
    finally:
        server.stop()
    assert failed.problem is FetchProblem.UNREACHABLE
    assert time.monotonic() - started < 3
