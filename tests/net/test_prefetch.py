"""The console script's prefetch: the first questions asked before the tool has loaded,
each answer used once by the DnsClient, nothing asked twice, nothing asked that the run
would not ask, and any doubt falls back to the ordinary lookup."""

from __future__ import annotations

import asyncio
import json
import os
import struct
import subprocess
import sys
import time

import pytest
import typer.main
from dnsserver import DnsServer
from paths import ROOT

from deliverability.cli import app
from deliverability.launch import FLAG_OPTIONS, VALUE_OPTIONS, prefetch_plan, second_wave
from deliverability.net import prefetch
from deliverability.net.dns import DnsClient
from deliverability.net.zones import ZoneSet
from deliverability.net.zonefile import parse_zone_text


@pytest.fixture(autouse=True)
def _no_prefetch_left() -> None:
    prefetch.stop()
    yield
    prefetch.stop()


def _started(world, domain: str, ips: list[str] = ()) -> None:  # type: ignore[no-untyped-def]
    """As the console script starts it (launch.py), second wave included."""
    prefetch.start(("127.0.0.1", world.port), 2.0, domain, list(ips),
                   later=lambda: second_wave(domain))


def _wait_for(world, count: int, *names: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Until the server has seen `count` questions and each of `names`."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (
        sum(world.queries.values()) < count or not all(world.count(*n) for n in names)
    ):
        time.sleep(0.01)


def _ask(client: DnsClient, *questions: tuple[str, str]):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        return await asyncio.gather(*(client.query(n, t) for n, t in questions))

    return asyncio.run(go())


def test_the_first_wave_and_the_spf_chain_are_asked_before_the_run_and_used_once(world) -> None:
    _started(world, "example.com", ["192.0.2.10"])
    _wait_for(world, 5, ("_spf.example.com", "TXT"))  # TXT, MX, _dmarc, the PTR, the include
    assert world.count("_spf.example.com", "TXT") == 1
    assert world.count("10.2.0.192.in-addr.arpa", "PTR") == 1
    client = DnsClient(nameservers=[world.address], timeout=2.0)
    txt, include, mx = _ask(
        client, ("example.com", "TXT"), ("_spf.example.com", "TXT"), ("example.com", "MX")
    )
    assert any(t.startswith("v=spf1") for t in txt.texts())
    assert include.texts() and mx.values()
    # the run's own questions were the prefetched ones: none asked a second time
    assert world.count("example.com", "TXT") == 1
    assert world.count("_spf.example.com", "TXT") == 1
    assert client.queries == 3


@pytest.mark.parametrize("domain", ["example.com", "nxdomain.example.com"])
def test_a_prefetched_answer_is_what_the_resolver_would_have_given(world, domain: str) -> None:
    plain = DnsClient(nameservers=[world.address], timeout=2.0)
    [expected] = _ask(plain, (domain, "TXT"))
    world.reset()
    _started(world, domain)
    _wait_for(world, 3)
    early = DnsClient(nameservers=[world.address], timeout=2.0)
    [got] = _ask(early, (domain, "TXT"))
    assert (got.records, got.nxdomain, got.cnames) == (
        expected.records,
        expected.nxdomain,
        expected.cnames,
    )
    assert world.count(domain, "TXT") == 1  # an NXDOMAIN is an answer too: not asked again


def test_a_failed_prefetch_is_asked_again_the_usual_way(world) -> None:
    world.fault("servfail", name="example.com", rdtype="MX")
    _started(world, "example.com")
    _wait_for(world, 3)
    world.reset()  # the resolver recovers
    client = DnsClient(nameservers=[world.address], timeout=2.0)
    [mx] = _ask(client, ("example.com", "MX"))
    assert mx.values()  # not the SERVFAIL: asked again
    assert world.count("example.com", "MX") == 1


def test_a_client_of_another_resolver_does_not_take_the_prefetch(world) -> None:
    _started(world, "example.com")
    _wait_for(world, 3)
    assert prefetch.take(["127.0.0.1:1"], "example.com", "TXT") is None
    assert prefetch.take([], "example.com", "TXT") is None  # the system resolver's
    assert prefetch.take([world.address], "example.com", "TXT") is not None


def test_only_a_plain_one_domain_check_is_prefetched() -> None:
    plan = prefetch_plan(["check", "Example.COM.", "--ip", "192.0.2.1", "--timeout=2"])
    assert plan == (None, 2.0, "example.com", ["192.0.2.1"])
    assert prefetch_plan(["check", "a.example", "--resolver", "[::1]:5353", "-q"]) == (
        ("::1", 5353),
        5.0,
        "a.example",
        [],
    )
    for argv in (
        ["guide", "a.example"],
        ["check", "a.example", "b.example"],
        ["check", "a.example", "--select", "spf"],
        ["check", "a.example", "--zone-file", "z"],
        ["check", "a.example", "--offline"],
        ["check", "a.example", "--resolver", "https://dns.example/dns-query"],
        ["check", "a.example", "--resolver", "192.0.2.1", "--resolver", "192.0.2.2"],
        ["check", "a.example", "--ip", "not-an-ip"],
        ["check", "a.example", "--something-new"],
        ["check", "a.example", "--help"],
        ["check", "--from-file", "list.txt"],
    ):
        assert prefetch_plan(argv) is None, argv


def test_the_option_tables_are_check_s_own() -> None:
    command = typer.main.get_command(app).commands["check"]  # type: ignore[attr-defined]
    flags = {o for p in command.params if getattr(p, "is_flag", False) for o in p.opts}
    values = {
        o for p in command.params if p.param_type_name == "option" and not p.is_flag for o in p.opts
    }
    assert FLAG_OPTIONS == flags
    assert VALUE_OPTIONS == values


def test_hostile_datagrams_are_not_taken_for_answers() -> None:
    question = prefetch.encode_question("example.com", "TXT")
    other = prefetch.encode_question("example.org", "TXT")
    header = struct.pack("!HHHHHH", 7, 0x8180, 1, 0, 0, 0)
    assert prefetch.is_answer_to(header + question, question)
    assert not prefetch.is_answer_to(header + other, question)
    assert not prefetch.is_answer_to(struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0) + question,
                                     question)  # a query, not a response
    truncated = struct.pack("!HHHHHH", 7, 0x8380, 1, 0, 0, 0) + question
    assert not prefetch.usable(truncated)
    for garbage in (header + question + b"\xc0", header[:6] + b"\xff\xff" + header[8:] + question):
        assert prefetch.spf_targets(garbage) == []


def _txt_answer(*texts: str) -> bytes:
    question = prefetch.encode_question("example.com", "TXT")
    records = b""
    for text in texts:
        data = text.encode()
        rdata = bytes([len(data)]) + data
        records += b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 300, len(rdata)) + rdata
    return struct.pack("!HHHHHH", 1, 0x8180, 1, len(texts), 0, 0) + question + records


def test_only_the_one_spf_record_s_plain_includes_are_followed() -> None:
    wire = _txt_answer("v=spf1 include:A.example redirect=b.example include:%{i}.x.example -all")
    assert prefetch.spf_targets(wire) == ["a.example", "b.example"]
    assert prefetch.spf_targets(_txt_answer("v=spf1 include:a.example", "v=spf1 -all")) == []
    assert prefetch.spf_targets(_txt_answer("v=spf10 include:a.example")) == []


def _run(args: list[str], **env: str) -> tuple[dict, int]:  # type: ignore[type-arg]
    result = subprocess.run(
        [sys.executable, "-m", "deliverability", *args],
        capture_output=True,
        text=True,
        cwd=ROOT.parent,  # no configuration file nearby
        env={**os.environ, **env},
        timeout=60,
    )
    return json.loads(result.stdout), result.returncode


@pytest.mark.parametrize("domain", ["example.com", "nodmarc.test"])  # nodmarc: NXDOMAINs
def test_a_prefetched_check_reports_what_an_unprefetched_one_does(world, domain: str) -> None:
    args = ["check", domain, "--ip", "192.0.2.10", "--resolver", world.address,
            "--format", "json", "--fail-on", "never", "--timeout", "2"]
    plain, code = _run(args, DELIVERABILITY_NO_PREFETCH="1")
    plain_questions = dict(world.queries)
    world.reset()
    early, early_code = _run(args)
    assert (early_code, early["checks"].keys()) == (code, plain["checks"].keys())
    for name, result in plain["checks"].items():
        codes = [(f["code"], f["subject"]) for f in result["findings"]]
        assert [(f["code"], f["subject"]) for f in early["checks"][name]["findings"]] == codes
    assert dict(world.queries) == plain_questions  # the same questions: none twice, none extra
    assert early["dns"]["queries"] == plain["dns"]["queries"]


def test_a_question_taken_before_its_answer_came_gets_it_when_it_comes(world) -> None:
    world.fault("delay", name="example.com", rdtype="MX", seconds=0.3)
    _started(world, "example.com")
    client = DnsClient(nameservers=[world.address], timeout=2.0)
    [mx] = _ask(client, ("example.com", "MX"))  # asked at once: the answer is 0.3 s away
    assert mx.values()
    assert world.count("example.com", "MX") == 1


def test_the_second_wave_is_asked_at_once_and_taken_by_the_checks(world) -> None:
    """The DKIM selector guesses and the DMARC walk above the domain go out with the
    first wave; the checks' own questions are then answered from them."""
    _started(world, "example.com")
    _wait_for(world, 5, ("_dmarc.com", "TXT"), ("zendesk2._domainkey.example.com", "TXT"))
    client = DnsClient(nameservers=[world.address], timeout=2.0)
    s1, walk = _ask(client, ("s1._domainkey.example.com", "TXT"), ("_dmarc.com", "TXT"))
    assert s1.texts() and walk.nxdomain  # the world's key; no _dmarc.com
    assert world.count("s1._domainkey.example.com", "TXT") == 1  # taken, not asked again
    assert world.count("_dmarc.com", "TXT") == 1


def test_only_the_domain_s_own_spf_chain_is_followed() -> None:
    """A `v=spf1 include:` published at a DKIM selector or `_dmarc` name is not an SPF
    record of the domain: the run would never ask its targets, so neither does this."""
    zone = """$ORIGIN hostile.test.
@ 300 IN SOA ns.hostile.test. admin.hostile.test. 1 3600 600 86400 300
@ 300 IN NS ns.hostile.test.
@ 300 IN TXT "v=spf1 include:first.hostile.test -all"
first 300 IN TXT "v=spf1 -all"
s1._domainkey 300 IN TXT "v=spf1 include:via-dkim.hostile.test -all"
_dmarc 300 IN TXT "v=spf1 include:via-dmarc.hostile.test -all"
"""
    server = DnsServer(ZoneSet([parse_zone_text(zone, "hostile.zone", "hostile.test.")])).start()
    try:
        prefetch.start(("127.0.0.1", server.port), 2.0, "hostile.test", [],
                       later=lambda: second_wave("hostile.test"))
        _wait_for(server, 5, ("first.hostile.test", "TXT"), ("s1._domainkey.hostile.test", "TXT"))
        prefetch.stop()  # its thread has ended: everything it would ask is counted
        assert server.count("via-dkim.hostile.test") == 0
        assert server.count("via-dmarc.hostile.test") == 0
        assert server.count("first.hostile.test", "TXT") == 1
    finally:
        server.stop()


def test_a_question_the_run_asked_first_is_not_prefetched_after(world) -> None:
    """A thread starved until the run has asked its second wave itself must not ask it
    again: what the run took before the prefetch knew of it, the prefetch leaves alone."""
    early = prefetch.Prefetch(server=("127.0.0.1", world.port), system=False, timeout=2.0)
    assert early.take(("s1._domainkey.example.com", "TXT")) is None  # asked by the run
    prefetch._current = early
    early.start([("example.com", "TXT")], later=lambda: second_wave("example.com"))
    prefetch.stop()
    assert world.count("s1._domainkey.example.com", "TXT") == 0
    assert world.count("s2._domainkey.example.com", "TXT") == 1


PYPROJECTS = {
    "the documented table": '[project]\nname = "x"\n\n[tool.deliverability.check]\ntimeout = 3\n',
    "a [tool] table": '[tool]\ndeliverability = { check = { timeout = 3 } }\n',
    "a dotted key": 'tool.deliverability.check.timeout = 3\n',
    "a quoted key": '[tool."deliverability".check]\ntimeout = 3\n',
    "with a byte-order mark": '\ufeff[tool.deliverability]\n',
    "a dependency only": '[project]\nname = "x"\ndependencies = ["deliverability>=1"]\n',
    "another tool's table": '[tool.ruff]\nline-length = 100\n',
    "broken TOML naming us": '[tool.deliverability\n',
}


@pytest.mark.parametrize("text", PYPROJECTS.values(), ids=PYPROJECTS.keys())
def test_the_prefetch_sees_a_configuration_file_where_the_run_does(tmp_path, text: str) -> None:
    """A configuration file may change the resolver or the checks: the console script
    must not prefetch where settings.find_config finds one, nor skip where it finds none."""
    from deliverability.launch import _config_nearby
    from deliverability.settings import find_config

    (tmp_path / ".git").mkdir()  # the walk stops here, as in a checkout
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    ours = list(PYPROJECTS.values()).index(text) < 5  # the first five name our table
    assert _config_nearby(tmp_path) == (find_config(tmp_path) is not None) == ours
