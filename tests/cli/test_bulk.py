"""Bulk runs (`check --from-file`): many targets, one DNS cache, one line out per target."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import dns.name

from conftest import run_cli
from deliverability.net.dns import DnsClient
from deliverability.net.zones import ZoneSet
from deliverability.net.zonefile import parse_zone_text
from dnsserver import DnsServer

DOMAINS = """\
# customers
ok.mx.test
partial.mx.test   # second MX has no address
not a domain
null-mixed.mx.test
"""


@pytest.fixture
def bulk(world, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `check --from-file FILE` (the file's text given) against the world."""

    def run(text: str, *args: str):  # type: ignore[no-untyped-def]
        path = tmp_path / "targets.txt"
        path.write_text(text)
        return run_cli("check", "--from-file", path, "--resolver", world.address,
                       "--timeout", "1", "--select", "mx", *args)

    return run


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_json_lines_one_per_target_and_a_bad_line_does_not_stop_the_run(bulk) -> None:  # type: ignore[no-untyped-def]
    result = bulk(DOMAINS, "--format", "json")
    lines = json_lines(result.stdout)
    reports = {x["target"]["domain"]: x["checks"]["mx"]["status"] for x in lines if "checks" in x}
    assert reports == {"ok.mx.test": "ok", "partial.mx.test": "warning",
                       "null-mixed.mx.test": "error"}
    (failure,) = [x for x in lines if "failure" in x]
    assert failure["line"] == 4 and failure["domain"] == "not a domain"
    assert result.code == 1
    assert "4 targets" in result.stderr  # the summary goes to stderr, never stdout


def test_bytes_that_are_not_utf8_fail_their_line_only(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "targets.txt"
    path.write_bytes(b"ok.mx.test\nbad\xff.mx.test\n")
    result = run_cli("check", "--from-file", path, "--resolver", world.address, "--timeout", "1",
                     "--select", "mx", "--format", "json")
    lines = json_lines(result.stdout)
    assert [x.get("failure") is not None for x in sorted(lines, key=lambda x: "checks" in x)] == [
        True, False]


def test_csv_out_has_a_header_and_a_row_per_target(bulk) -> None:  # type: ignore[no-untyped-def]
    result = bulk(DOMAINS, "--format", "csv", "--quiet")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert sorted((r["domain"], r["status"], r["mx"]) for r in rows) == [
        ("not a domain", "failed", ""), ("null-mixed.mx.test", "error", "error"),
        ("ok.mx.test", "ok", "ok"), ("partial.mx.test", "warning", "warning")]
    assert result.stderr == ""  # --quiet: no summary


def test_csv_in_gives_each_target_its_ips_envelope_sender_and_selectors(bulk) -> None:  # type: ignore[no-untyped-def]
    text = ("domain,ip,mail-from,selectors\n"
            "example.com,192.0.2.10;192.0.2.11,bounces@ok.mx.test,s1 s2\n"
            "ok.mx.test,,,\n")
    targets = {x["target"]["domain"]: x["target"] for x in json_lines(bulk(text, "--format", "json").stdout)}
    assert targets["example.com"]["ips"] == ["192.0.2.10", "192.0.2.11"]
    assert targets["example.com"]["mail_from"] == "bounces@ok.mx.test"
    assert targets["example.com"]["selectors"] == ["s1", "s2"]
    assert targets["ok.mx.test"]["mail_from"] == "postmaster@ok.mx.test"


def test_targets_share_one_dns_cache_and_each_query_is_counted_once(bulk, world) -> None:  # type: ignore[no-untyped-def]
    text = "ok.mx.test\npartial.mx.test\nnull-mixed.mx.test\nbounce.mx.test\n"
    reports = json_lines(bulk(text, "--format", "json", "--verbose").stdout)
    assert world.count("mx1.ok.mx.test", "A") == 1  # every target's MX points there
    assert sum(r["dns"]["queries"] for r in reports) == world.count()
    assert sum(len(r["dns"]["trace"]) for r in reports) == world.count()


def test_a_capped_cache_forgets_the_oldest_answers(world) -> None:  # type: ignore[no-untyped-def]
    async def ask() -> None:
        dns = DnsClient(nameservers=[world.address], timeout=1, max_cached=2)
        for name in ("ok.mx.test", "null.mx.test", "implicit.mx.test", "ok.mx.test"):
            await dns.view().query(name, "MX")

    asyncio.run(ask())
    assert world.count("ok.mx.test", "MX") == 2  # forgotten once two newer answers came
    assert world.count("null.mx.test", "MX") == 1


def test_concurrency_bounds_the_targets_in_flight(bulk, world) -> None:  # type: ignore[no-untyped-def]
    text = "\n".join(f"{name}.mx.test" for name in ("ok", "none", "null", "implicit", "cname"))
    world.latency = 0.02
    bulk(text, "--format", "json", "--concurrency", "1")
    one_at_a_time = world.max_in_flight
    world.reset()
    world.latency = 0.02
    bulk(text, "--format", "json", "--concurrency", "5")
    assert one_at_a_time <= 2 < world.max_in_flight  # one target asks at most A+AAAA at once


@pytest.mark.parametrize(("args", "message"), [
    ((), "give a DOMAIN"),
    (("ok.mx.test", "--from-file", "targets.txt"), "not both"),
    (("--from-file", "no-such-file.txt"), "cannot read"),
    (("ok.mx.test", "other.mx.test", "--baseline", "targets.txt"), "give one DOMAIN"),
])
def test_bad_bulk_usage_is_a_one_line_error(tmp_path: Path, monkeypatch, args, message) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "targets.txt").write_text("ok.mx.test\n")
    (tmp_path / "columns.csv").write_text("domain,owner\nok.mx.test,me\n")
    result = run_cli("check", *args, "--offline")
    assert result.code == 2 and message in result.stderr and result.stderr.count("\n") == 1


def test_ctrl_c_stops_cleanly_and_keeps_what_finished(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "targets.txt"
    path.write_text("".join(f"host{i}.ok.mx.test\n" for i in range(50)))
    world.latency = 0.1
    proc = subprocess.Popen(
        [sys.executable, "-m", "deliverability", "check", "--from-file", str(path), "--resolver",
         world.address, "--select", "mx", "--concurrency", "1", "--format", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "DELIVERABILITY_RAISE_CRASHES": "0"},
    )
    first = proc.stdout.readline()  # a report is written the moment its target finishes
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err
    finished = [json.loads(line) for line in (first + rest).splitlines()]
    assert 1 <= len(finished) < 50
    assert "interrupted" in err and "Traceback" not in err


# Codes that say a record is absent: a lookup that timed out must never produce one.
ABSENT = {"spf.missing", "dmarc.missing", "mx.none", "mx.domain-missing", "mx.host-no-address",
          "mx.implicit", "spf.include-no-record", "spf.void-lookup", "spf.too-many-void-lookups"}


@pytest.fixture
def dropping_resolver():  # type: ignore[no-untyped-def]
    """24 complete senders d0..d23.drop.test; questions about a seeded half of them are
    never answered (benchmarks/dropping_resolver.py runs the same at scale)."""
    lines = ["$ORIGIN drop.test.", "@ SOA ns.drop.test. h.drop.test. 1 3600 600 86400 300"]
    for n in range(24):
        lines += [f'd{n} TXT "v=spf1 ip4:192.0.2.{n + 1} mx -all"',
                  f'_dmarc.d{n} TXT "v=DMARC1; p=reject; rua=mailto:dmarc@d{n}.drop.test"',
                  f"d{n} MX 10 mx.d{n}", f"mx.d{n} A 192.0.2.{n + 1}"]
    zones = ZoneSet([parse_zone_text("\n".join(lines) + "\n", "drop.test.zone")])
    server = DnsServer(zones).start()
    server.fault("drop", name="drop.test", fraction=0.5, seed=14)
    yield server
    server.stop()


def test_dropped_questions_leave_their_domains_unknown_and_the_rest_complete(
    dropping_resolver, tmp_path: Path
) -> None:
    dropped = {f"d{n}.drop.test" for n in range(24)
               if dropping_resolver.faults[0].matches(dns.name.from_text(f"d{n}.drop.test"), "TXT")}
    assert 4 <= len(dropped) <= 20  # the seed drops some, not all
    path = tmp_path / "targets.txt"
    path.write_text("".join(f"d{n}.drop.test\n" for n in range(24)))
    result = run_cli("check", "--from-file", path, "--resolver", dropping_resolver.address,
                     "--timeout", "1", "--select", "spf,dmarc,mx", "--format", "json",
                     "--fail-on", "never")
    reports = {r["target"]["domain"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert sorted(reports) == sorted(f"d{n}.drop.test" for n in range(24))
    for domain, report in reports.items():
        statuses = {name: check["status"] for name, check in report["checks"].items()}
        codes = {f["code"] for check in report["checks"].values() for f in check["findings"]}
        if domain in dropped:
            assert set(statuses.values()) == {"unknown"} and not codes & ABSENT, domain
        else:
            assert "unknown" not in statuses.values() and {"spf.ok", "mx.ok"} <= codes, domain
