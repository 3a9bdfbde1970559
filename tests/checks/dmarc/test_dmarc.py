"""The dmarc check, scenario by scenario, and the RFC 9989 Tree Walk behind it."""

from __future__ import annotations

import asyncio

import pytest

from deliverability.checks.dmarc.parse import Policy, parse_dmarc
from deliverability.net.dns import DnsClient
from deliverability.checks.dmarc.tree import tree_walk, walk_targets

OK = ("dmarc.ok", "ok")
SCENARIOS = [
    ("reject.dmarc.test", {OK}),
    ("none.dmarc.test", {("dmarc.policy-none", "warning")}),
    ("missing.dmarc.test", {("dmarc.missing", "error")}),
    ("sub.inherit.dmarc.test", {OK, ("dmarc.inherited", "info")}),
    ("sub.loose.dmarc.test", {("dmarc.inherited", "info"), ("dmarc.policy-none", "warning")}),
    ("loose.dmarc.test", {OK, ("dmarc.subdomain-policy-none", "info")}),
    ("multiple.dmarc.test", {("dmarc.multiple", "error"), ("dmarc.missing", "error")}),
    ("lookalike.dmarc.test", {("dmarc.look-alike", "error"), ("dmarc.missing", "error")}),
    # RFC 7489 6.6.3: a leading space: receivers discard the record
    ("leading-space.dmarc.test", {("dmarc.look-alike", "error"), ("dmarc.missing", "error")}),
    ("wrongplace.dmarc.test", {("dmarc.wrong-place", "warning"), ("dmarc.missing", "error")}),
    ("unrelated.dmarc.test", {OK, ("dmarc.unrelated-txt", "info")}),
    ("syntax.dmarc.test", {("dmarc.syntax", "warning")}),
    ("invalid-p.dmarc.test", {("dmarc.invalid-value", "error"), ("dmarc.policy-none", "warning")}),
    ("no-p.dmarc.test", {("dmarc.invalid-value", "error"), ("dmarc.no-rua", "warning")}),
    ("legacy.dmarc.test", {OK, ("dmarc.removed-tag", "info")}),
    ("unknown-tag.dmarc.test", {("dmarc.unknown-tag", "warning")}),
    ("testing.dmarc.test", {("dmarc.testing", "warning")}),
    ("norua.dmarc.test", {("dmarc.no-rua", "warning")}),
    ("baduri.dmarc.test", {("dmarc.bad-uri", "warning"), ("dmarc.no-rua", "warning")}),
    ("many.dmarc.test", {OK, ("dmarc.many-uris", "info")}),
    ("ext-ok.dmarc.test", {OK}),
    ("ext-missing.dmarc.test", {("dmarc.report-unauthorized", "warning")}),
    ("ext-wild.dmarc.test", {OK}),
    ("x.org.psdn.dmarc.test", {OK, ("dmarc.inherited", "info")}),
]


@pytest.mark.parametrize(("domain", "expected"), SCENARIOS)
def test_dmarc_scenarios(check, domain: str, expected: set[tuple[str, str]]) -> None:
    assert check(domain, "--select", "dmarc").codes() == expected


@pytest.mark.parametrize(("domain", "found_at", "policy", "subdomain", "effective"), [
    ("reject.dmarc.test", "_dmarc.reject.dmarc.test", "reject", "reject", "reject"),
    ("sub.inherit.dmarc.test", "_dmarc.inherit.dmarc.test", "reject", "quarantine", "quarantine"),
    ("ghost.inherit.dmarc.test", "_dmarc.inherit.dmarc.test", "reject", "quarantine", "reject"),
    ("invalid-p.dmarc.test", "_dmarc.invalid-p.dmarc.test", "none", "none", "none"),
    ("missing.dmarc.test", None, None, None, None),
])
def test_dmarc_data(check, domain, found_at, policy, subdomain, effective) -> None:
    data = check(domain, "--select", "dmarc").json()["checks"]["dmarc"]["data"]
    assert (data["found_at"], data["policy"], data["subdomain_policy"], data["effective_policy"]) \
        == (found_at, policy, subdomain, effective)


def test_dmarc_data_lists_rua(check) -> None:
    data = check("reject.dmarc.test", "--select", "dmarc").json()["checks"]["dmarc"]["data"]
    assert data["record"] == "v=DMARC1; p=reject; rua=mailto:dmarc@reject.dmarc.test"
    assert data["rua"] == ["mailto:dmarc@reject.dmarc.test"]


def test_unauthorized_report_names_the_record_to_publish(check) -> None:
    report = check("ext-missing.dmarc.test", "--select", "dmarc").json()
    finding = report["checks"]["dmarc"]["findings"][0]
    assert 'ext-missing.dmarc.test._report._dmarc.dmarc-reports.test. TXT "v=DMARC1"' in \
        finding["remediation"][0]


def test_a_failing_own_lookup_is_unknown_not_missing(check, world) -> None:
    world.fault("servfail", name="_dmarc.reject.dmarc.test")
    assert check("reject.dmarc.test", "--select", "dmarc").codes() == {
        ("dmarc.lookup-failed", "unknown")}


def test_a_failing_parent_lookup_is_unknown_not_missing(check, world) -> None:
    world.fault("servfail", name="_dmarc.dmarc.test")
    assert check("missing.dmarc.test", "--select", "dmarc").codes() == {
        ("dmarc.walk-failed", "unknown")}
    assert check("reject.dmarc.test", "--select", "dmarc").codes() == {
        OK, ("dmarc.walk-failed", "info")}


def test_a_failing_authorization_lookup_is_unknown(check, world) -> None:
    world.fault("drop", name="ext-missing.dmarc.test._report._dmarc.dmarc-reports.test")
    result = check("ext-missing.dmarc.test", "--select", "dmarc")
    assert result.codes() == {OK, ("dmarc.report-lookup-failed", "unknown")}
    assert "timed out" in result.stdout


@pytest.mark.parametrize(("domain", "targets"), [
    ("example.com", ["example.com", "com"]),
    ("a.mail.example.com", ["a.mail.example.com", "mail.example.com", "example.com", "com"]),
    ("1.2.3.4.5.6.7.8.example.com", [
        "1.2.3.4.5.6.7.8.example.com", "4.5.6.7.8.example.com", "5.6.7.8.example.com",
        "6.7.8.example.com", "7.8.example.com", "8.example.com", "example.com", "com"]),
    ("2.3.4.5.6.7.example.com", [
        "2.3.4.5.6.7.example.com", "3.4.5.6.7.example.com", "4.5.6.7.example.com",
        "5.6.7.example.com", "6.7.example.com", "7.example.com", "example.com", "com"]),
])
def test_tree_walk_targets_follow_rfc_9989(domain: str, targets: list[str]) -> None:
    assert walk_targets(domain) == targets
    assert len(walk_targets(domain)) <= 8


def _org(world, domain: str) -> str:
    async def walk() -> str:
        client = DnsClient(nameservers=[world.address], timeout=1)
        return (await tree_walk(client, domain)).organizational_domain
    return asyncio.run(walk())


@pytest.mark.parametrize(("domain", "org"), [
    ("sub.inherit.dmarc.test", "inherit.dmarc.test"),
    ("x.org.psdn.dmarc.test", "org.psdn.dmarc.test"),  # psd=n stops the walk
    ("mail.brand.psdy.dmarc.test", "brand.psdy.dmarc.test"),  # one label below psd=y
    ("missing.dmarc.test", "missing.dmarc.test"),  # no record: the domain itself
])
def test_organizational_domain_by_tree_walk(world, domain: str, org: str) -> None:
    assert _org(world, domain) == org


@pytest.mark.parametrize(("text", "policy", "sub", "nonexistent"), [
    ("v=DMARC1; p=reject", Policy.REJECT, Policy.REJECT, Policy.REJECT),
    ("v=DMARC1; p=reject; sp=none", Policy.REJECT, Policy.NONE, Policy.NONE),
    ("v=DMARC1; p=quarantine; np=reject", Policy.QUARANTINE, Policy.QUARANTINE, Policy.REJECT),
    ("v=DMARC1; p=bogus; rua=mailto:a@example.com", Policy.NONE, Policy.NONE, Policy.NONE),
    ("v=DMARC1; p=bogus", None, None, None),
    ("V = DMARC1 ; P = Reject", Policy.REJECT, Policy.REJECT, Policy.REJECT),
])
def test_policy_tags_and_their_defaults(text, policy, sub, nonexistent) -> None:
    record = parse_dmarc(text)
    assert (record.policy, record.subdomain_policy, record.nonexistent_policy) == (
        policy, sub, nonexistent)


@pytest.mark.parametrize(("uri", "domain"), [
    ("mailto:dmarc@example.com", "example.com"),
    ("mailto:dmarc@Reports.Example.NET!10m", "reports.example.net"),
    ("mailto:d%40x@example.org", "example.org"),
])
def test_report_uris_name_their_domain(uri: str, domain: str) -> None:
    record = parse_dmarc(f"v=DMARC1; p=none; rua={uri}")
    assert [u.domain for u in record.rua] == [domain]
