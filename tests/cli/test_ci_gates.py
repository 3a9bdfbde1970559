"""Gates that cannot pass by accident: dead DNS is exit 2; several DOMAINs run as one bulk run."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from conftest import run_cli

HEALTHY = """\
$ORIGIN gate.test.
$TTL 300
@       MX    10 mx1
@       TXT   "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc  TXT   "v=DMARC1; p=reject"
mx1     A     192.0.2.25
"""


def closed_port() -> int:
    """A loopback UDP port with nothing listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("resolver", ["127.0.0.1:1", "closed"])
def test_no_resolver_listening_is_exit_2_in_one_line(resolver: str) -> None:
    address = f"127.0.0.1:{closed_port()}" if resolver == "closed" else resolver
    result = run_cli("check", "ok.mx.test", "--resolver", address, "--timeout", "0.3",
                     "--select", "mx,spf", "--format", "json")
    assert result.code == 2
    assert result.stderr.count("\n") == 1 and address in result.stderr
    assert "lookups failed" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("fault", ["drop", "refused", "servfail"])
def test_a_resolver_that_answers_nothing_is_exit_2(world, fault: str) -> None:  # type: ignore[no-untyped-def]
    world.fault(fault)
    result = run_cli("check", "ok.mx.test", "--resolver", world.address, "--timeout", "0.3",
                     "--select", "mx,spf")
    assert result.code == 2 and result.stderr.count("\n") == 1 and world.address in result.stderr


def test_more_than_half_failed_opens_the_report_and_json_counts_them(world) -> None:  # type: ignore[no-untyped-def]
    world.fault("drop", rdtype="A")
    world.fault("drop", rdtype="AAAA")
    world.fault("drop", rdtype="TXT")
    result = run_cli("check", "ok.mx.test", "--resolver", world.address, "--timeout", "0.3",
                     "--select", "mx,spf", "--format", "json")
    dns = result.json()["dns"]
    assert result.code != 2 and dns["failed"] > dns["answered"] > 0
    assert dns["resolvers"] == [world.address] and dns["trouble"]
    for fmt, opening in (("markdown", "> **DNS trouble"), ("terminal", "! DNS trouble")):
        text = run_cli("check", "ok.mx.test", "--resolver", world.address, "--timeout", "0.3",
                       "--select", "mx,spf", "--format", fmt).stdout
        assert text.lstrip().startswith(opening)


def test_offline_runs_with_zone_files_are_not_dead_dns(tmp_path: Path) -> None:
    zone = tmp_path / "gate.test.zone"
    zone.write_text(HEALTHY)
    result = run_cli("check", "gate.test", "--offline", "--zone-file", zone, "--select", "mx",
                     "--format", "json")
    assert result.code == 0 and result.json()["dns"]["queries"] == 0


def test_several_domains_run_like_from_file_in_input_order(world) -> None:  # type: ignore[no-untyped-def]
    names = ["null-mixed.mx.test", "ok.mx.test", "not a domain", "partial.mx.test"]
    result = run_cli("check", *names, "--resolver", world.address, "--timeout", "1",
                     "--select", "mx", "--format", "json", "--quiet")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x.get("target", {}).get("domain", x.get("domain")) for x in lines] == names
    assert [x["line"] for x in lines] == [1, 2, 3, 4]
    assert result.code == 1


def test_every_resolver_dead_in_a_bulk_run_is_exit_2() -> None:
    result = run_cli("check", "ok.mx.test", "null.mx.test", "--resolver", "127.0.0.1:1",
                     "--timeout", "0.3", "--select", "mx", "--format", "json", "--quiet")
    assert result.code == 2 and "127.0.0.1:1" in result.stderr
