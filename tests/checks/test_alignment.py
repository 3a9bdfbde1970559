"""The alignment check: From vs the SPF and DKIM domains, strict and relaxed."""

from __future__ import annotations

import pytest

SCENARIOS = [
    ("signed.alignment.test", "b@signed.alignment.test",
     {("alignment.spf-aligned", "ok"), ("alignment.dkim-aligned", "ok")}),
    ("signed.alignment.test", "b@bounce.signed.alignment.test",
     {("alignment.spf-aligned", "ok"), ("alignment.dkim-aligned", "ok")}),
    ("strict.alignment.test", "b@bounce.strict.alignment.test",
     {("alignment.spf-not-aligned", "warning"), ("alignment.dkim-aligned", "ok")}),
    ("plain.alignment.test", "b@esp.dkim.test",
     {("alignment.spf-not-aligned", "warning"), ("alignment.dkim-not-aligned", "warning"),
      ("alignment.none", "error"), ("alignment.orgdomain-differs", "info")}),
    ("plain.alignment.test", "b@plain.alignment.test",
     {("alignment.spf-aligned", "ok"), ("alignment.dkim-unknown", "info")}),
    ("mail.nodmarc.test", "b@bounce.nodmarc.test",
     {("alignment.spf-not-aligned", "warning"), ("alignment.dkim-unknown", "info"),
      ("alignment.orgdomain-differs", "warning")}),
]


@pytest.mark.parametrize(("domain", "mail_from", "expected"), SCENARIOS)
def test_alignment_scenarios(check, domain: str, mail_from: str, expected: set) -> None:
    result = check(domain, "--mail-from", mail_from, "--select", "alignment", "--select", "dkim")
    codes = {c for c in result.codes() if c[0].startswith("alignment.")}
    assert codes == expected


def test_tree_walk_and_public_suffix_list_answers_are_both_reported(check) -> None:
    result = check("mail.nodmarc.test", "--mail-from", "b@bounce.nodmarc.test",
                   "--select", "alignment")
    data = result.json()["checks"]["alignment"]["data"]
    assert data["organizational_domains"]["mail.nodmarc.test"] == {
        "tree_walk": "mail.nodmarc.test", "psl": "nodmarc.test"}
    assert data["spf"] == {"domain": "bounce.nodmarc.test", "strict": False, "relaxed": False,
                           "relaxed_psl": True, "aligned": False}
    assert data["dkim"] is None  # the dkim check did not run


def test_strict_mode_remediation_names_the_relaxed_record(check) -> None:
    result = check("strict.alignment.test", "--mail-from", "b@bounce.strict.alignment.test",
                   "--select", "alignment.spf-not-aligned")
    finding = result.json()["checks"]["alignment"]["findings"][0]
    assert finding["remediation"] == [
        'Change the record to _dmarc.strict.alignment.test. TXT "v=DMARC1; p=reject; '
        'adkim=s; rua=mailto:d@alignment.test" (relaxed alignment would pass).']


def test_a_timed_out_alignment_leaves_no_orphaned_walk(world) -> None:
    # Cancelled while it waits for dkim, the check must not leave its DMARC walk behind:
    # at exit asyncio would print "_GatheringFuture exception was never retrieved".
    import asyncio
    import gc
    import types

    from deliverability.checks import alignment
    from deliverability.context import Session
    from deliverability.net.dns import DnsClient
    from deliverability.engine import EngineOptions, run_checks
    from deliverability.finding import Target
    from deliverability.registry import validate_check

    async def slow_dkim(ctx):  # type: ignore[no-untyped-def]
        await asyncio.sleep(5)
        return []

    dkim = types.ModuleType("dkim")
    dkim.NAME, dkim.CODES, dkim.run = "dkim", {"dkim.ok": "fine"}, slow_dkim
    specs = [validate_check("dkim", dkim), validate_check("alignment", alignment)]
    world.fault("drop", name="_dmarc.alignment.test")
    problems: list[dict] = []

    async def go() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, ctx: problems.append(ctx))
        dns_client = DnsClient(nameservers=[world.address], timeout=2.0)
        session = Session(target=Target(domain="alignment.test"), dns=dns_client)
        await run_checks(specs, session, EngineOptions(check_timeout=0.2))

    asyncio.run(go())
    gc.collect()
    assert problems == []


def test_failed_dkim_lookups_are_unknown_not_no_key(check, world) -> None:
    world.fault("drop", name="_domainkey.example.com")
    codes = check("example.com", "--select", "dkim,alignment,requirements").codes()
    assert ("alignment.dkim-unknown", "unknown") in codes
    assert not any(code == "dkim.no-selector-found" for code, _ in codes)
    assert ("dkim.probe-failed", "unknown") in codes
    assert ("requirements.unknown", "unknown") in codes
