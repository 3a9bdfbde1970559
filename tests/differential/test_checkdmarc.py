"""Differential test: checkdmarc's SPF and DMARC parsers against ours, over the world's zones.

checkdmarc is fed our DNS layer's answers (replay.ReplayResolver: never a packet), and
both tools judge every SPF record and every DMARC record in tests/world. Where they
disagree, DISAGREEMENTS below says why our answer is the standard's; the test fails on
any disagreement not in the table, and on any entry of the table that no longer holds.
docs/conformance.md carries the same table.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import checkdmarc.dmarc
import checkdmarc.spf
import dns.rdatatype
import pytest
from conftest import world_zones
from replay import ReplayResolver, replaying

from deliverability.context import Session
from deliverability.engine import EngineOptions, run_checks
from deliverability.finding import Severity, Target
from deliverability.net.dns import DnsClient
from deliverability.registry import load_checks

ZONES = world_zones()
# Our findings that make an SPF record unusable (permerror) or absent.
SPF_BROKEN = {"spf.missing", "spf.multiple", "spf.syntax", "spf.too-many-lookups",
              "spf.too-many-void-lookups", "spf.loop", "spf.include-no-record",
              "spf.mx-too-many", "spf.invalid-domain"}
DMARC_BROKEN = {"dmarc.missing", "dmarc.multiple", "dmarc.invalid-value"}


def owners(prefix: str) -> list[str]:
    """Every name in the world's zones with a TXT record starting with `prefix`."""
    found = set()
    for zone in ZONES.zones:
        for name, node in zone.zone.nodes.items():
            rdataset = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT)
            texts = [b"".join(r.strings).decode("utf-8", "replace") for r in rdataset or []]
            if any(t.lower().lstrip().startswith(prefix) for t in texts):
                found.add(name.derelativize(zone.zone.origin).to_text().rstrip(".").lower())
    return sorted(found)


SPF_DOMAINS = [d for d in owners("v=spf1") if "*" not in d]
DMARC_DOMAINS = [d.removeprefix("_dmarc.") for d in owners("v=dmarc1") if d.startswith("_dmarc.")]


def offline_client() -> DnsClient:
    return DnsClient(zones=ZONES, offline=True, timeout=1)


@pytest.fixture(scope="module")
def resolver() -> Iterator[ReplayResolver]:
    with replaying(offline_client) as replay:
        yield replay


def our_run(domain: str, check: str) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    """Our check's (code, severity) pairs and its data for `domain`."""
    session = Session(target=Target(domain=domain), dns=offline_client())
    specs = [spec for spec in load_checks() if spec.name == check]
    report = asyncio.run(run_checks(specs, session, EngineOptions(raise_crashes=True)))
    return {(f.code, f.severity.value) for f in report.findings}, report.checks[0].data


def our_codes(domain: str, check: str) -> set[tuple[str, str]]:
    return our_run(domain, check)[0]


def ours_spf(domain: str) -> str:
    codes, data = our_run(domain, "spf")
    if any(s == Severity.UNKNOWN.value for _, s in codes):
        return "unknown"
    if {c for c, _ in codes} & SPF_BROKEN:
        return "invalid"
    return f"valid, {data.get('lookups')} lookups"


def theirs_spf(domain: str, resolver: ReplayResolver) -> str:
    result = checkdmarc.spf.check_spf(domain, resolver=resolver, timeout=2, retries=0)
    error = str(result.get("error") or "")
    if "timed out" in error or "nameserver" in error.lower():
        return "unknown"
    if not result.get("valid"):
        return "invalid"
    return f"valid, {result.get('dns_lookups')} lookups"


def ours_dmarc(domain: str) -> str:
    codes, data = our_run(domain, "dmarc")
    broken = {c for c, _ in codes} & DMARC_BROKEN or ("dmarc.look-alike", "error") in codes
    return "invalid" if broken else f"valid, p={data.get('policy')}"


def theirs_dmarc(domain: str, resolver: ReplayResolver) -> str:
    result = checkdmarc.dmarc.check_dmarc(domain, resolver=resolver, timeout=2, retries=0)
    if not result.get("valid"):
        return "invalid"
    return f"valid, p={result.get('tags', {}).get('p', {}).get('value')}"


# (kind, domain) -> (ours, checkdmarc's, why ours is the standard's answer)
DISAGREEMENTS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("dmarc", "no-p.dmarc.test"): (
        "invalid", "valid, p=none",
        "v=DMARC1; adkim=s: no p= and no rua=, so receivers apply no DMARC at all "
        "(RFC 7489 6.6.3 step 6); checkdmarc reads the missing p= as p=none"),
    ("dmarc", "nop.message.test"): (
        "invalid", "valid, p=none", "the same record shape as no-p.dmarc.test"),
    ("dmarc", "syntax.dmarc.test"): (
        "valid, p=reject", "invalid",
        "a stray 'garbage' part: RFC 7489 6.3 says syntax errors in the rest of the record "
        "are ignored, so receivers still apply p=reject (we warn: dmarc.syntax); checkdmarc "
        "rejects the whole record"),
    ("dmarc", "unrelated.dmarc.test"): (
        "valid, p=reject", "invalid",
        "a v=spf1 record beside the DMARC one at _dmarc: records that do not start with "
        "v=DMARC1 are discarded (RFC 7489 6.6.3, RFC 9989 4.10 step 2), so the DMARC record "
        "applies (we note it: dmarc.unrelated-txt); checkdmarc fails the name"),
    ("dmarc", "lookalike-beside.dmarc.test"): (
        "valid, p=reject", "invalid",
        "'p=none; v=DMARC1' beside the DMARC record: it does not start with v=DMARC1, so "
        "receivers discard it (RFC 9989 4.10 step 2) and p=reject applies (we warn: "
        "dmarc.look-alike); checkdmarc fails the name"),
    ("spf", "mx-hostless.spf.test"): (
        "invalid", "valid, 1 lookups",
        "v=spf1 mx -all whose three MX hosts have no address: each host's address lookup "
        "that finds nothing is a void lookup, and a third is a permerror (RFC 7208 4.6.4; "
        "pyspf says permerror); checkdmarc does not count the hosts' lookups"),
    ("spf", "include-empty-cidr.spf.test"): (
        "invalid", "unknown",
        "include:/24 has no domain-spec, which RFC 7208 5.2 and 12 require: a syntax error "
        "(pyspf: permerror); checkdmarc looks up the name '/24'"),
}
CASES = [("spf", d) for d in SPF_DOMAINS] + [("dmarc", d) for d in DMARC_DOMAINS]


@pytest.mark.parametrize(("kind", "domain"), CASES, ids=[f"{k}:{d}" for k, d in CASES])
def test_checkdmarc_agrees_or_the_table_says_why(resolver, kind: str, domain: str) -> None:
    ours, theirs = (
        (ours_spf(domain), theirs_spf(domain, resolver))
        if kind == "spf"
        else (ours_dmarc(domain), theirs_dmarc(domain, resolver))
    )
    known = DISAGREEMENTS.get((kind, domain))
    assert (ours, theirs) == (known[:2] if known else (theirs, theirs))


def test_checkdmarc_made_no_lookup_of_its_own(resolver) -> None:
    """Every name checkdmarc asked went through the replaying resolver."""
    theirs_spf("ok.spf.test", resolver)
    assert ("ok.spf.test", "TXT") in resolver.asked


def test_the_world_has_cases_for_both_parsers() -> None:
    assert len(SPF_DOMAINS) > 40 and len(DMARC_DOMAINS) > 30
