"""The test world: a loopback DNS server serving tests/world, and a CLI runner.

Every DNS-touching test runs the real resolver code against this server. Faults
set by a test are cleared after it.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from deliverability.cli import main
from deliverability.net.zones import ZoneSet
from deliverability.net.zonefile import load_zone_file
from dnsserver import DnsServer

WORLD = Path(__file__).parent / "world"


def world_zones() -> ZoneSet:
    """Every zone file of tests/world."""
    return ZoneSet([load_zone_file(path) for path in sorted(WORLD.glob("*.zone"))])


@pytest.fixture(scope="session")
def dns_server() -> Iterator[DnsServer]:
    """The loopback DNS server, shared by the session, reset after each test."""
    server = DnsServer(world_zones()).start()
    yield server
    server.stop()


@pytest.fixture
def world(dns_server: DnsServer) -> Iterator[DnsServer]:
    """The DNS server, clean for this test (no faults, counts at zero)."""
    dns_server.reset()
    yield dns_server
    dns_server.reset()
    dns_server.wait_idle()  # no delayed answer of this test may overlap the next one


@pytest.fixture(autouse=True)
def _raise_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    # A crashing check should fail its test, not hide as an `unknown` finding.
    monkeypatch.setenv("DELIVERABILITY_RAISE_CRASHES", "1")


@dataclass
class CliResult:
    """What one CLI run printed and returned."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)

    def codes(self) -> set[tuple[str, str]]:
        """(code, severity) of every finding in a JSON report on stdout."""
        report = self.json()
        return {
            (f["code"], f["severity"])
            for check in report["checks"].values()
            for f in check["findings"]
        }


def run_cli(*args: str) -> CliResult:
    """Run `deliverability ARGS` in this process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return CliResult(code=code, stdout=out.getvalue(), stderr=err.getvalue())


@pytest.fixture
def check(world: DnsServer):  # type: ignore[no-untyped-def]
    """Run `deliverability check` against the world in JSON: check(DOMAIN, *flags)."""

    def run(*args: str) -> CliResult:
        return run_cli("check", *args, "--resolver", world.address, "--timeout", "1",
                       "--format", "json")

    return run


_LOOPBACK = ("127.", "::1", "localhost")


def _is_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return not isinstance(host, str) or host.startswith(_LOOPBACK) or host.startswith("/")


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Safety net: a test that tries to reach beyond loopback fails instead of sending."""
    for method in ("connect", "connect_ex"):
        original = getattr(socket.socket, method)

        def guarded(self, address, _original=original):  # type: ignore[no-untyped-def]
            if not _is_loopback(address):
                raise AssertionError(f"test tried to connect to {address!r} (loopback only)")
            return _original(self, address)

        monkeypatch.setattr(socket.socket, method, guarded)
    original_sendto = socket.socket.sendto

    def guarded_sendto(self, data, *args):  # type: ignore[no-untyped-def]
        if not _is_loopback(args[-1]):
            raise AssertionError(f"test tried to send to {args[-1]!r} (loopback only)")
        return original_sendto(self, data, *args)

    monkeypatch.setattr(socket.socket, "sendto", guarded_sendto)
