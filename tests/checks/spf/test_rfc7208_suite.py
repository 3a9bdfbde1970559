"""The RFC 7208 test suite (tests/data/rfc7208-tests.yml, as pyspf ships it) through `deliverability check`.

Each scenario section's `zonedata` becomes a zone world served by its own loopback
DNS server; every test runs `deliverability check --ip HOST --mail-from MAILFROM
--helo HELO --select spf` in-process and asserts `checks.spf.data.results[HOST]` is
one of the acceptable results. A null MAIL FROM checks the HELO identity
(RFC 7208 2.4), as the suite expects.

How zone data is served (the conventions of the suite's own driver, pyspf's
test/testspf.py): an `SPF:` entry also gives a TXT record unless the name has TXT
entries of its own; `TXT: NONE` means no TXT record; `TIMEOUT` makes every type with
no record listed before it go unanswered (a `drop` fault on exactly that name and
type); names not listed do not exist.

Tests that cannot pass: none at present. A TXT record with no strings at all (in
`null-text`) cannot be written in a zone file and is left out; the test does not
depend on it.

The YAML is (C) its authors (see tests/data/rfc7208-tests.LICENSE) and redistributed
under that licence.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
import pytest
import yaml

from conftest import run_cli
from deliverability.net.zones import ZoneSet
from deliverability.net.zonefile import parse_zone_text
from dnsserver import DnsServer, Fault
from paths import TESTS

SUITE = TESTS / "data" / "rfc7208-tests.yml"
TYPES = ("A", "AAAA", "MX", "PTR", "TXT", "SPF", "CNAME")
DOMAIN = "rfc7208.test"  # the From domain; the spf check reads --mail-from / --helo
XFAIL: dict[str, str] = {}  # test name -> why it cannot pass


class ExactFault(Fault):
    """A fault for exactly one name, not its subdomains (the suite's TIMEOUT is per name)."""

    def matches(self, qname: dns.name.Name, rdtype: str) -> bool:
        """Whether the question is for this very name and type."""
        return rdtype == self.rdtype and qname == dns.name.from_text(self.name or ".")


def load_sections() -> list[dict[str, Any]]:
    """The scenario sections of the suite, in file order."""
    with SUITE.open("rb") as handle:
        return list(yaml.safe_load_all(handle))


SECTIONS = load_sections()
CASES = [
    pytest.param(index, name, test, id=f"{index}-{name}",
                 marks=[pytest.mark.xfail(reason=XFAIL[name], strict=True)] if name in XFAIL else [])
    for index, section in enumerate(SECTIONS)
    for name, test in section["tests"].items()
]


def entries_of(entries: list[Any]) -> list[tuple[str, Any]]:
    """(type, value) in order, TXT generated from SPF as the suite's driver does."""
    found: list[tuple[str, Any]] = []
    generated: list[tuple[str, Any]] = []
    has_txt = False
    for entry in entries:
        if entry == "TIMEOUT":
            found.append(("TIMEOUT", None))
            continue
        ((rdtype, value),) = entry.items()
        if rdtype in ("TXT", "SPF") and isinstance(value, str):
            value = [value]
        has_txt = has_txt or rdtype == "TXT"
        if rdtype == "SPF":
            generated.append(("TXT", value))
        if value != ["NONE"]:
            found.append((rdtype, value))
    return found + ([] if has_txt else generated)


def zone_line(owner: str, rdtype: str, value: Any) -> str | None:
    """One zone-file line, or None for what a zone file cannot hold."""
    if rdtype in ("TXT", "SPF"):
        if not value:
            return None  # a TXT record with no strings at all
        rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT,
                                        [s.encode("utf-8") for s in value])
        text = rdata.to_text()
    elif rdtype == "MX":
        text = f"{value[0]} {str(value[1]).rstrip('.')}."
    elif rdtype in ("PTR", "CNAME"):
        text = f"{str(value).rstrip('.')}."
    else:
        text = str(value)
    return f"{owner} 300 IN {rdtype} {text}"


def world_of(zonedata: dict[str, list[Any]]) -> tuple[ZoneSet, list[Fault]]:
    """The zone (rooted at '.') and the faults that serve one section's zonedata."""
    lines = [". 300 IN SOA ns.rfc7208.test. hostmaster.rfc7208.test. 1 3600 600 86400 300",
             ". 300 IN NS ns.rfc7208.test."]
    faults: list[Fault] = []
    for name, entries in zonedata.items():
        try:
            owner = dns.name.from_text(name.rstrip(".") + ".").to_text()
        except dns.exception.DNSException:
            continue  # a name DNS cannot carry is simply absent
        seen: set[str] = set()
        for rdtype, value in entries_of(entries):
            if rdtype == "TIMEOUT":
                faults += [ExactFault(kind="drop", name=owner, rdtype=t) for t in TYPES if t not in seen]
                break
            seen.add(rdtype)
            line = zone_line(owner, rdtype, value)
            if line:
                lines.append(line)
    zone = parse_zone_text("\n".join(lines) + "\n", "rfc7208.zone", origin=".")
    return ZoneSet([zone]), faults


@pytest.fixture(scope="module")
def servers() -> Iterator[Any]:
    """One loopback DNS server per section, started when first needed."""
    started: dict[int, DnsServer] = {}

    def server_for(index: int) -> DnsServer:
        if index not in started:
            zones, faults = world_of(SECTIONS[index]["zonedata"])
            started[index] = DnsServer(zones).start()
            started[index].faults = faults
        return started[index]

    yield server_for
    for server in started.values():
        server.stop()


@pytest.mark.parametrize(("index", "name", "test"), CASES)
def test_rfc7208(servers: Any, index: int, name: str, test: dict[str, Any]) -> None:
    server = servers(index)
    # a section that drops questions (the suite's TIMEOUT) needs a short timeout to be
    # quick; the rest get a generous one, so a busy machine cannot turn pass into temperror
    timeout = "0.4" if server.faults else "3"
    result = run_cli("check", DOMAIN, "--ip", test["host"], "--mail-from", test["mailfrom"],
                     "--helo", test["helo"], "--select", "spf", "--resolver", server.address,
                     "--timeout", timeout, "--format", "json")
    assert result.code in (0, 1), result.stderr
    expected = test["result"] if isinstance(test["result"], list) else [test["result"]]
    ip = str(ipaddress.ip_address(test["host"]))
    assert result.json()["checks"]["spf"]["data"]["results"][ip] in expected
