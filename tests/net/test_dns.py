"""The DNS layer against the loopback server: caching, faults, NXDOMAIN vs NODATA."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

import dns.name
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deliverability.net.dns import DnsClient, LookupFailed
from deliverability.net.zones import ZoneSet
from deliverability.net.zonefile import parse_zone_text


def client(world, **kwargs) -> DnsClient:  # type: ignore[no-untyped-def]
    return DnsClient(nameservers=[world.address], timeout=kwargs.pop("timeout", 1.0), **kwargs)


def ask(dns_client: DnsClient, *questions: tuple[str, str]):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        return await asyncio.gather(*(dns_client.query(n, t) for n, t in questions),
                                    return_exceptions=True)
    return asyncio.run(go())


def test_concurrent_askers_share_one_query(world) -> None:
    c = client(world)
    answers = ask(c, *[("mx1.ok.mx.test", "A")] * 5, ("MX1.OK.MX.TEST.", "A"))
    assert {a.values()[0] for a in answers} == {"192.0.2.25"}
    assert world.count("mx1.ok.mx.test", "A") == 1
    assert len(c.trace) == 1


def test_two_checks_asking_the_same_name_cause_one_query(check, world) -> None:
    # mx checks mx1.ok.mx.test's addresses; asking for the From and envelope domain at once
    check("ok.mx.test", "--mail-from", "x@bounce.mx.test", "--select", "mx")
    assert world.count("mx1.ok.mx.test", "A") == 1


def test_dropped_query_is_a_timeout_not_a_missing_record(world) -> None:
    world.fault("drop", name="ok.mx.test")
    [failure] = ask(client(world, timeout=0.6), ("ok.mx.test", "MX"))
    assert isinstance(failure, LookupFailed)
    assert "timed out" in failure.reason


def test_servfail_and_refused_are_failures_that_say_so(world) -> None:
    world.fault("servfail", name="ok.mx.test")
    world.fault("refused", name="null.mx.test")
    servfail, refused = ask(client(world), ("ok.mx.test", "MX"), ("null.mx.test", "MX"))
    assert isinstance(servfail, LookupFailed) and "SERVFAIL" in servfail.reason
    assert isinstance(refused, LookupFailed) and "REFUSED" in refused.reason


def test_truncated_udp_answer_is_retried_over_tcp(world) -> None:
    world.fault("truncate", name="ok.mx.test")
    [answer] = ask(client(world, timeout=5.0), ("ok.mx.test", "MX"))
    assert answer.values() == ["mx1.ok.mx.test"]  # only TCP carries it
    assert world.tcp_queries >= 1  # a busy machine may send a second try within 5 s


def test_nxdomain_and_nodata_are_told_apart(world) -> None:
    nx, nodata = ask(client(world), ("missing.mx.test", "MX"), ("none.mx.test", "MX"))
    assert (nx.nxdomain, nx.nodata) == (True, False)
    assert (nodata.nxdomain, nodata.nodata) == (False, True)


def test_failures_are_cached_too(world) -> None:
    world.fault("servfail", name="ok.mx.test")
    c = client(world)
    ask(c, ("ok.mx.test", "MX"))
    ask(c, ("ok.mx.test", "MX"))
    assert world.count("ok.mx.test", "MX") == 1


def test_queries_in_flight_are_capped(world) -> None:
    world.latency = 0.05
    names = [(f"n{i}.mx.test", "A") for i in range(12)]
    ask(client(world, max_in_flight=3), *names)
    assert world.max_in_flight <= 3


def test_independent_lookups_run_concurrently(world) -> None:
    world.latency = 0.2
    names = [(f"n{i}.mx.test", "A") for i in range(10)]
    ask(client(world), *names)
    assert world.max_in_flight >= 10  # all at once (a slow machine may add retries)


def test_cname_is_visible_to_checks(world) -> None:
    [answer] = ask(client(world), ("alias.cname.mx.test", "A"))
    assert answer.cnames == ("real.cname.mx.test",)
    assert answer.values() == ["192.0.2.26"]


def test_offline_without_a_zone_fails_with_a_reason() -> None:
    [failure] = ask(DnsClient(offline=True), ("example.com", "MX"))
    assert isinstance(failure, LookupFailed) and "offline" in failure.reason


OVERLAY = """$ORIGIN proposed.test.
@        MX    10 mail
mail     A     192.0.2.40
*.wild   TXT   "wildcard"
a.b.ent  TXT   "deep"
out      CNAME mx1.ok.mx.test.
"""


@pytest.mark.parametrize(
    ("name", "rdtype", "values", "nxdomain"),
    [
        ("proposed.test", "MX", ["mail.proposed.test"], False),
        ("x.wild.proposed.test", "TXT", ['"wildcard"'], False),
        ("b.ent.proposed.test", "TXT", [], False),  # empty non-terminal: NODATA
        ("nothing.proposed.test", "A", [], True),
        ("out.proposed.test", "A", ["192.0.2.25"], False),  # alias leaves the file
    ],
)
def test_zone_overlay_answers_names_under_its_origin(world, name, rdtype, values, nxdomain) -> None:
    zones = ZoneSet([parse_zone_text(OVERLAY, "proposed.zone")])
    [answer] = ask(client(world, zones=zones), (name, rdtype))
    assert (answer.values(), answer.nxdomain) == (values, nxdomain)
    leaves_the_file = name.startswith("out")
    assert world.count() == (1 if leaves_the_file else 0)  # the file answered, not DNS


def test_zone_answers_carry_file_and_line(world) -> None:
    zones = ZoneSet([parse_zone_text(OVERLAY, "proposed.zone")])
    [answer] = ask(client(world, zones=zones), ("mail.proposed.test", "A"))
    assert (answer.location.file, answer.location.line) == ("proposed.zone", 3)


def test_txt_strings_are_joined_without_spaces(world) -> None:
    zones = ZoneSet([parse_zone_text('$ORIGIN s.test.\n@ TXT "v=spf1 " "-all"\n', "s.zone")])
    [answer] = ask(client(world, zones=zones), ("s.test", "TXT"))
    assert answer.texts() == ["v=spf1 -all"]


# Names from hostile input (a DKIM d= or s= in a message) that are not domain names: a
# LookupFailed saying so, never an exception that crashes the check; nothing is sent.
INVALID_NAMES = ["sel._domainkey.ex\u202eample.com", "sel._domainkey.ex\ufffdample.com",
                 "a" * 64 + ".example.com", "a..example.com", ("a" * 60 + ".") * 5 + "com"]


@pytest.mark.parametrize("name", INVALID_NAMES, ids=["bidi", "replacement", "long label",
                                                     "empty label", "long name"])
def test_a_name_that_is_not_a_domain_name_fails_the_lookup(world, name: str) -> None:
    c = client(world)
    [failure] = ask(c, (name, "TXT"))
    assert isinstance(failure, LookupFailed) and failure.reason == "not a valid domain name"
    assert world.count() == 0 and c.trace[0].outcome == "not a valid domain name"


def test_a_failed_lookup_nobody_awaits_any_more_is_not_logged(world) -> None:
    # A check that stops waiting (it finished, or timed out) leaves the shielded
    # lookup running; its failure must not end up on stderr as a traceback.
    world.fault("drop", name="orphan.example.com")
    problems: list[dict] = []

    async def go() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: problems.append(ctx))
        dns_client = client(world, timeout=0.3)
        waiter = asyncio.ensure_future(dns_client.query("orphan.example.com", "TXT"))
        await asyncio.sleep(0.05)
        waiter.cancel()
        await asyncio.sleep(0.8)  # the lookup fails with nobody awaiting it
        del dns_client, waiter
        gc.collect()

    asyncio.run(go())
    assert problems == []


def test_a_slow_answer_within_the_timeout_is_used(world) -> None:
    # every answer 2 s late, the default 5 s timeout: a late answer is an answer (#14)
    world.fault("delay", seconds=2.0)
    [answer] = ask(client(world, timeout=5.0), ("ok.mx.test", "MX"))
    assert not isinstance(answer, Exception) and answer.records


def test_a_dropped_first_try_is_retried_within_the_timeout(world) -> None:
    world.fault("drop", name="ok.mx.test")
    dns_client = client(world, timeout=0.9)
    ask(dns_client, ("ok.mx.test", "MX"))
    assert world.count("ok.mx.test", "MX") == 3 == dns_client.queries


_NAME_PIECES = ["a", "B", "-", "_", ".", "..", "\\", "\\046", "é", " ", "x" * 63, "y" * 64]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_NAME_PIECES), st.text(max_size=12)), max_size=12)
       .map("".join))
def test_a_name_asked_is_the_name_dnspython_reads(text: str) -> None:
    """The fast split of a plain name agrees with dns.name.from_text, refusals too."""
    from deliverability.net.dns import _absolute, normalize_name

    def outcome(read: Callable[[], dns.name.Name]) -> object:
        try:
            return read().labels
        except Exception as exc:  # noqa: BLE001 (the outcome under comparison)
            return type(exc)

    assert outcome(lambda: _absolute(text)) == outcome(
        lambda: dns.name.from_text(normalize_name(text) + "."))
