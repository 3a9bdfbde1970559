"""The dnsbl check, scenario by scenario, against list zones served on loopback.

tests/world serves every catalog list under its real zone name (our own server on
127.0.0.1); tests/world/public-resolver is what a public resolver is told instead.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator

import pytest

from deliverability.checks.dnsbl.lists import (
    BlocklistSpec, ListKind, catalog_date, load_catalog, parse_profile_lists,
)
from deliverability.checks.dnsbl.check import Health, Reading, Status, judge_health, result_status
from deliverability.validation import BadInput
from deliverability.profile import SenderProfile
from deliverability.finding import Target
from deliverability.net.zones import ZoneSet
from deliverability.net.zonefile import load_zone_file
from conftest import run_cli
from direct import codes_of, run_direct
from dnsserver import DnsServer
from paths import TESTS

OK, NO_IP = ("dnsbl.not-listed", "ok"), ("dnsbl.no-ip", "info")
SCENARIOS = [
    # (domain, flags) -> the codes a user sees
    (("clean.dnsbl.test", "--ip", "192.0.2.1"), {OK}),
    (("clean.dnsbl.test",), {OK, NO_IP}),
    (("clean.dnsbl.test", "--ip", "192.0.2.99"), {("dnsbl.listed", "error"), OK}),  # ZEN: XBL+PBL
    (("clean.dnsbl.test", "--ip", "203.0.113.7"), {("dnsbl.listed", "warning"), OK}),  # PSBL: minor
    (("clean.dnsbl.test", "--ip", "2001:db8::99"), {("dnsbl.listed", "error"), OK}),  # IPv6 nibbles
    (("spammy.test",), {("dnsbl.listed", "error"), NO_IP}),  # DBL
    (("news.parent-listed.test",), {("dnsbl.listed", "error"), OK, NO_IP}),  # registrable domain
    (("refused-target.test",), {("dnsbl.query-refused", "unknown"), OK, NO_IP}),  # one answer
    (("clean.dnsbl.test", "--ip", "198.51.100.250"), {("dnsbl.unexpected-answer", "unknown"), OK}),
    (("clean.dnsbl.test", "--ip", "198.51.100.251"), {("dnsbl.unexpected-answer", "unknown"), OK}),
    (("clean.dnsbl.test", "--blocklists", "none"), {("dnsbl.none-selected", "info")}),
    (("clean.dnsbl.test", "--ip", "203.0.113.7", "--blocklists", "uceprotect-2"),
     {("dnsbl.listed", "info")}),  # informational list, only when named
]


@pytest.mark.parametrize(("args", "expected"), SCENARIOS)
def test_dnsbl_scenarios(check, args: tuple[str, ...], expected: set[tuple[str, str]]) -> None:
    assert check(*args, "--select", "dnsbl").codes() == expected


def test_listed_result_carries_codes_and_meaning(check) -> None:
    data = check("clean.dnsbl.test", "--ip", "192.0.2.99", "--select", "dnsbl").json()
    results = data["checks"]["dnsbl"]["data"]["results"]
    zen = next(r for r in results if r["list"] == "spamhaus-zen")
    assert zen["status"] == "listed" and zen["codes"] == ["127.0.0.4", "127.0.0.10"]
    assert "XBL" in zen["meaning"] and "PBL" in zen["meaning"]
    assert {r["status"] for r in results if r["list"] != "spamhaus-zen"} == {"not_listed"}
    assert data["checks"]["dnsbl"]["data"]["catalog_checked"] == catalog_date()


def test_all_lists_are_asked_side_by_side(check, world) -> None:
    world.latency = 0.2
    check("clean.dnsbl.test", "--ip", "192.0.2.1", "--select", "dnsbl")
    assert world.max_in_flight >= 9 * 2  # every list's probes at once, not one list after another


@pytest.fixture(scope="module")
def public_resolver() -> Iterator[DnsServer]:
    """What a resolver such as 8.8.8.8 is answered: Spamhaus and URIBL refuse, PSBL is dead."""
    folder = TESTS / "world" / "public-resolver"
    server = DnsServer(ZoneSet([load_zone_file(p) for p in sorted(folder.glob("*.zone"))])).start()
    yield server
    server.stop()


def test_public_resolver_is_refused_not_listed_nor_clean(public_resolver) -> None:
    target = Target(domain="clean.dnsbl.test", ips=("192.0.2.1",))
    options = {"dnsbl": {"lists": "spamhaus-zen,spamhaus-dbl,uribl-multi,psbl"}}
    report = run_direct(public_resolver.address, target, only=("dnsbl",), check_options=options)
    assert codes_of(report) == {("dnsbl.query-refused", "unknown"),
                                ("dnsbl.list-not-answering", "unknown")}
    results = report["checks"]["dnsbl"]["data"]["results"]
    assert {r["status"] for r in results} == {"unknown"}
    zen = next(r for r in results if r["list"] == "spamhaus-zen")
    assert "public" in zen["reason"]


def test_a_list_timing_out_is_unknown(check, world) -> None:
    world.fault("drop", name="bl.spamcop.net")
    result = check("clean.dnsbl.test", "--ip", "192.0.2.1", "--blocklists", "spamcop",
                   "--select", "dnsbl,mx")  # mx: some lookup is answered, so DNS is not dead
    assert {c for c in result.codes() if c[0].startswith("dnsbl.")} == {
        ("dnsbl.query-failed", "unknown")}
    assert "timed out" in result.stdout
    assert result.json()["checks"]["dnsbl"]["data"]["results"][0]["status"] == "unknown"


def test_one_target_timing_out_is_unknown_for_that_target_only(check, world) -> None:
    world.fault("drop", name="1.2.0.192.bl.spamcop.net")
    result = check("clean.dnsbl.test", "--ip", "192.0.2.1", "--ip", "203.0.113.9",
                   "--blocklists", "spamcop", "--select", "dnsbl")
    assert result.codes() == {("dnsbl.query-failed", "unknown"), OK}


CORP = {"name": "corp-rbl", "zone": "corp.dnsbl.test", "kind": "ip", "test_entry": "127.0.0.2",
        "codes": {"127.0.0.2": "spam source"}}
CUSTOM = [
    (CORP, "192.0.2.99", {("dnsbl.listed", "error")}),
    (CORP, "192.0.2.1", {OK}),
    ({**CORP, "zone": "dead.dnsbl.test"}, "192.0.2.1", {("dnsbl.list-not-answering", "unknown")}),
    ({**CORP, "zone": "everything.dnsbl.test"}, "192.0.2.1", {("dnsbl.list-broken", "unknown")}),
    ({k: v for k, v in CORP.items() if k != "test_entry"}, "192.0.2.1",
     {("dnsbl.unverified", "unknown")}),
    ({k: v for k, v in CORP.items() if k != "test_entry"}, "192.0.2.99",
     {("dnsbl.unverified", "unknown"), ("dnsbl.listed", "error")}),
]


@pytest.mark.parametrize(("table", "ip", "expected"), CUSTOM)
def test_profile_lists(world, table: dict, ip: str, expected: set[tuple[str, str]]) -> None:
    profile = SenderProfile(path="deliverability.toml",
                            blocklists=parse_profile_lists([table], "deliverability.toml"))
    report = run_direct(world.address, Target(domain="clean.dnsbl.test", ips=(ip,)),
                        only=("dnsbl",), profile=profile,
                        check_options={"dnsbl": {"lists": "corp-rbl"}})
    assert codes_of(report) == expected
    result = report["checks"]["dnsbl"]["data"]["results"][0]
    assert result["status"] != "not_listed" or expected == {OK}


KEY = "dqstestkey0123456789abcdef"


@pytest.mark.parametrize("fault", [None, "drop"])
def test_dqs_key_never_appears_anywhere(check, world, caplog, fault: str | None) -> None:
    caplog.set_level(logging.DEBUG)
    if fault:
        world.fault(fault, name="zen.dq.spamhaus.net")
    args = ("clean.dnsbl.test", "--ip", "192.0.2.99", "--blocklists", "spamhaus-zen",
            "--spamhaus-key", KEY, "--verbose", "--select", "dnsbl,mx")  # mx: DNS not dead
    outputs = [check(*args), run_cli("check", *args, "--resolver", world.address, "--timeout", "1")]
    expected = {("dnsbl.query-failed", "unknown")} if fault else {("dnsbl.listed", "error")}
    assert {c for c in outputs[0].codes() if c[0].startswith("dnsbl.")} == expected
    assert world.count(f"2.0.0.127.{KEY}.zen.dq.spamhaus.net", "A") >= 1  # the DQS zone was used
    for text in [o.stdout + o.stderr for o in outputs] + [caplog.text]:
        assert KEY not in text.lower()


def test_bad_input_is_one_line_and_exit_2(check) -> None:
    for flags in (["--blocklists", "spamhaus-zen,sorbs"], ["--spamhaus-key", "not a key!"]):
        result = check("clean.dnsbl.test", *flags)
        assert result.code == 2 and result.stderr.count("\n") == 1 and not result.stdout
    assert "not a key" not in check("clean.dnsbl.test", "--spamhaus-key", "not a key!").stderr


BAD_TABLES = [
    ({**CORP, "kind": "url"}, "kind"),
    ({**CORP, "zone": "not a zone"}, "zone"),
    ({**CORP, "codes": {"10.0.0.2": "x"}}, "codes"),
    ({**CORP, "errors": {"127.0.0.9": ""}}, "errors"),
    ({**CORP, "test_entry": "not-an-ip"}, "test_entry"),
    ({**CORP, "ipv6": "yes"}, "ipv6"),
    ({**CORP, "name": "spamhaus-zen"}, "name"),
    ({**CORP, "colour": "red"}, "colour"),
    ({k: v for k, v in CORP.items() if k != "zone"}, "zone"),
]


@pytest.mark.parametrize(("table", "key"), BAD_TABLES)
def test_profile_list_errors_name_the_key(table: dict, key: str) -> None:
    with pytest.raises(BadInput, match=key) as caught:
        parse_profile_lists([table], "deliverability.toml")
    assert "\n" not in str(caught.value) and "deliverability.toml" in str(caught.value)


def test_domain_list_test_entry_may_be_a_single_label() -> None:
    table = {"name": "corp-dbl", "zone": "dbl.example.net", "kind": "domain", "test_entry": "test"}
    assert parse_profile_lists([table], "p")[0].test_entry == "test"


SPEC = BlocklistSpec(name="x", zone="x.example", kind=ListKind.IP, test_entry="127.0.0.2")
PROBE = [Reading(status=s, codes=("127.0.0.2",) if s is Status.LISTED else ()) for s in Status]


@pytest.mark.parametrize(("test", "negative", "target"),
                         list(itertools.product([None, *PROBE], PROBE, PROBE)))
def test_not_listed_only_from_nxdomain_of_a_verified_list(test, negative, target) -> None:
    spec = SPEC if test is not None else BlocklistSpec(name="x", zone="x.example", kind=ListKind.IP)
    health: Health = judge_health(spec, test, negative)
    status, _ = result_status(health, target)
    trusted = (test is not None and test.status is Status.LISTED
               and negative.status is Status.NOT_LISTED and target.status is Status.NOT_LISTED)
    assert (status == "not_listed") == trusted


def test_catalog_lists_are_complete_and_alive() -> None:
    catalog = load_catalog()
    assert {s.name for s in catalog if s.default} >= {
        "spamhaus-zen", "spamhaus-dbl", "barracuda", "spamcop", "psbl", "mailspike",
        "uceprotect-1", "surbl-multi", "uribl-multi"}
    for spec in catalog:
        assert spec.test_entry and spec.delist_url and spec.source.startswith("https://"), spec.name
        assert "sorbs" not in spec.zone  # closed 2024-06-05
    assert catalog_date()


PROFILE = """
[sender]
dkim_domains = ["spammy.test"]

[[blocklists]]
name = "corp-rbl"
zone = "corp.dnsbl.test"
kind = "ip"
test_entry = "127.0.0.2"
codes = { "127.0.0.2" = "spam source" }
"""


def test_profile_lists_and_dkim_domains_through_the_cli(check, tmp_path: Path) -> None:
    profile = tmp_path / "deliverability.toml"
    profile.write_text(PROFILE)
    result = check("clean.dnsbl.test", "--ip", "192.0.2.99", "--profile", str(profile),
                   "--blocklists", "corp-rbl,spamhaus-dbl", "--select", "dnsbl")
    listed = {f["subject"] for f in result.json()["checks"]["dnsbl"]["findings"]
              if f["code"] == "dnsbl.listed"}
    assert listed == {"192.0.2.99 corp-rbl", "spammy.test spamhaus-dbl"}


def test_a_bad_profile_list_is_one_line_and_exit_2(check, tmp_path: Path) -> None:
    profile = tmp_path / "deliverability.toml"
    profile.write_text(PROFILE.replace('kind = "ip"', 'kind = "url"'))
    result = check("clean.dnsbl.test", "--profile", str(profile), "--select", "dnsbl")
    assert result.code == 2 and result.stderr.count("\n") == 1 and "kind" in result.stderr
