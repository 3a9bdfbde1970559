"""No domain costs more than a few hundred queries, however its records are built (docs/limits.md).

Each hostile zone of tests/hostile_zones.py is served by its own loopback DNS server,
which counts every question it receives; `deliverability check DOMAIN` runs against
it with default options (every check) and with `--select spf` / `--select mx`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conftest import CliResult, run_cli
from dnsserver import DnsServer
from hostile_zones import hostile_world

FULL_CHECK_QUESTIONS = 300  # docs/limits.md, "Queries per domain"
SPF_QUESTIONS = 200  # the walk's 184, the record, SPF type 99, _dmarc, TCP retries of big TXT
MX_QUESTIONS = 2 * 21 + 1  # per domain, and the MX answer again over TCP when truncated
REPORT_BYTES = 250_000  # junk.test: its findings show its 5 KB record and edits of it; others < 100 KB
HOSTILE = ["mx-bomb.test", "many-mx.test", "deep.test", "fan.test", "mx-fan.test", "junk.test",
           "cname-loops.test", "voids.test", "many-a.test"]


@pytest.fixture(scope="module")
def hostile() -> Iterator[DnsServer]:
    server = DnsServer(hostile_world()).start()
    yield server
    server.stop()


@pytest.fixture
def run(hostile: DnsServer):  # type: ignore[no-untyped-def]
    """check(DOMAIN, *flags) -> (result, questions the server received)."""

    def check(domain: str, *flags: str) -> tuple[CliResult, int]:
        hostile.reset()
        result = run_cli("check", domain, *flags, "--resolver", hostile.address,
                         "--timeout", "5", "--format", "json")
        assert result.code in (0, 1), result.stderr
        return result, hostile.count()

    return check


@pytest.mark.parametrize("domain", HOSTILE)
@pytest.mark.parametrize(("flags", "bound"), [
    ((), FULL_CHECK_QUESTIONS),
    (("--select", "spf"), SPF_QUESTIONS),
    (("--select", "mx"), MX_QUESTIONS),
], ids=["full", "spf", "mx"])
def test_a_hostile_domain_costs_a_bounded_number_of_queries(run, domain, flags, bound) -> None:  # type: ignore[no-untyped-def]
    result, questions = run(domain, *flags)
    assert questions <= bound
    assert len(result.stdout) <= REPORT_BYTES


def spf_data(result: CliResult) -> dict:  # type: ignore[type-arg]
    return result.json()["checks"]["spf"]["data"]  # type: ignore[no-any-return]


def test_past_the_budget_terms_are_counted_and_the_finding_says_the_walk_stopped(run) -> None:  # type: ignore[no-untyped-def]
    result, _ = run("mx-bomb.test", "--select", "spf")
    data = spf_data(result)
    # 60 includes, and the 400 mx: terms of each of the 20 followed
    assert (data["lookups"], data["lookups_exact"], data["truncated"]) == (60 + 20 * 400, False, True)
    finding = next(f for f in result.json()["checks"]["spf"]["findings"]
                   if f["code"] == "spf.too-many-lookups")
    assert f"at least {60 + 20 * 400}" in finding["summary"]
    assert any("40 include/redirect terms not followed" in line for line in finding["evidence"])
    assert len(finding["evidence"]) < 50


def test_a_deep_chain_stops_at_the_budget(run) -> None:  # type: ignore[no-untyped-def]
    result, questions = run("deep.test", "--select", "spf")
    data = spf_data(result)
    assert data["truncated"] and not data["lookups_exact"]
    assert data["lookups"] > 20
    assert ("spf.too-many-lookups", "error") in result.codes()


def test_mx_checks_the_hosts_of_lowest_preference_and_counts_the_rest(run) -> None:  # type: ignore[no-untyped-def]
    result, questions = run("many-mx.test", "--select", "mx")
    data = result.json()["checks"]["mx"]["data"]
    assert [h["host"] for h in data["hosts"]] == [f"mx{k}.many-mx.test" for k in range(10)]
    assert data["hosts_left_out"] == 1990
    ok = next(f for f in result.json()["checks"]["mx"]["findings"] if f["code"] == "mx.ok")
    assert any("1990 more MX hosts" in line for line in ok["evidence"])


def test_the_host_budget_goes_to_the_first_mx_terms_whichever_answers_first(run, hostile) -> None:  # type: ignore[no-untyped-def]
    prompt, _ = run("mx-fan.test", "--select", "spf")
    for t in range(4):  # the four terms the budget of 40 hosts covers answer last
        hostile.fault("delay", name=f"m{t}.mx-fan.test", rdtype="MX", seconds=0.3)
    delayed, _ = run("mx-fan.test", "--select", "spf")
    terms = {n["term"] for n in spf_data(delayed)["networks"]}
    assert terms == {f"mx:m{t}.mx-fan.test" for t in range(4)}
    assert spf_data(delayed) == spf_data(prompt)


def test_which_includes_are_followed_does_not_depend_on_answer_order(run, hostile) -> None:  # type: ignore[no-untyped-def]
    prompt, _ = run("mx-bomb.test", "--select", "spf")
    for n in range(3):
        hostile.fault("delay", name=f"i{n}.mx-bomb.test", rdtype="TXT", seconds=0.3)
    delayed, _ = run("mx-bomb.test", "--select", "spf")
    assert spf_data(delayed) == spf_data(prompt)


def test_a_record_of_a_thousand_bad_terms_is_a_few_findings(run) -> None:  # type: ignore[no-untyped-def]
    result, _ = run("junk.test", "--select", "spf")
    findings = result.json()["checks"]["spf"]["findings"]
    per_code = {code: sum(f["code"] == code for f in findings) for code in {f["code"] for f in findings}}
    assert per_code["spf.syntax"] == 10 and per_code["spf.broad-range"] == 10
    assert any("more spf.syntax findings" in line for f in findings for line in f["evidence"])


def test_cname_loops_are_probed_up_to_the_budget_in_walking_order(run) -> None:  # type: ignore[no-untyped-def]
    result, questions = run("cname-loops.test", "--select", "spf")
    data = spf_data(result)
    assert data["void_lookups"] == 4  # the first four a: terms: receivers skip a loop (5.5)
    unresolved = [f["subject"] for f in result.json()["checks"]["spf"]["findings"]
                  if f["code"] == "spf.unresolved"]
    assert "cname-loops.test a:c4x0.cname-loops.test" in unresolved
    assert "cname-loops.test a:c0x0.cname-loops.test" not in unresolved


def test_no_fix_is_verified_by_walking_past_the_budget(run, hostile) -> None:  # type: ignore[no-untyped-def]
    result, _ = run("voids.test", "--select", "spf")
    assert spf_data(result)["void_lookups"] == 20
    asked = {name for name, rdtype in hostile.queries if rdtype == "A"}
    assert asked == {f"v{n}.voids.test" for n in range(20)}  # the walk's 20 terms, no more


def test_a_name_of_thousands_of_addresses_is_listed_in_part_and_says_so(run) -> None:  # type: ignore[no-untyped-def]
    result, _ = run("many-a.test", "--select", "spf", "--select", "mx")
    data = spf_data(result)
    assert len(data["networks"]) == 500 and data["truncated"]
    assert len(result.json()["checks"]["mx"]["data"]["hosts"][0]["addresses"]) == 16
