"""The spf check, scenario by scenario: domain (and flags) -> codes and severities it must report."""

from __future__ import annotations


import pytest

from conftest import run_cli
from deliverability.change import joined_txt
from deliverability.checks.spf.parse import parse_record
from paths import TESTS

OWN = "192.0.2.10"  # authorized by most scenario records
STRANGER = "192.0.2.50"

# Record findings only: no --ip.
RECORDS = [
    ("ok.spf.test", {("spf.ok", "ok")}),
    ("split.spf.test", {("spf.ok", "ok")}),
    ("long.spf.test", {("spf.too-long", "warning")}),
    ("redirect.spf.test", {("spf.ok", "ok")}),
    ("none.spf.test", {("spf.missing", "error")}),
    ("multiple.spf.test", {("spf.multiple", "error")}),
    ("lookalike.spf.test", {("spf.missing", "error"), ("spf.lookalike", "warning")}),
    ("spf-type.spf.test", {("spf.ok", "ok"), ("spf.spf-rr-type", "info")}),
    ("spf-only.spf.test", {("spf.missing", "error"), ("spf.spf-rr-type", "info")}),
    ("syntax.spf.test", {("spf.syntax", "error")}),
    ("pass-all.spf.test", {("spf.pass-all", "error")}),
    ("neutral-all.spf.test", {("spf.neutral-all", "warning")}),
    ("no-all.spf.test", {("spf.no-all", "warning")}),
    ("after-all.spf.test", {("spf.after-all", "warning")}),
    ("redirect-ignored.spf.test", {("spf.redirect-ignored", "warning")}),
    ("broad.spf.test", {("spf.broad-range", "warning")}),
    ("everyone.spf.test", {("spf.broad-range", "error")}),
    ("softfail.spf.test", {("spf.ok", "ok"), ("spf.softfail-dmarc-none", "info")}),
    ("too-many.spf.test", {("spf.too-many-lookups", "error")}),
    ("void.spf.test", {("spf.too-many-void-lookups", "error"), ("spf.include-no-record", "error")}),
    ("void-one.spf.test", {("spf.void-lookup", "warning")}),
    ("loop.spf.test", {("spf.loop", "error")}),
    ("include-none.spf.test", {("spf.include-no-record", "error")}),
    ("mx-many.spf.test", {("spf.mx-too-many", "error")}),
    ("ptr.spf.test", {("spf.ptr", "warning"), ("spf.unflattenable", "info")}),
    ("macro.spf.test", {("spf.ok", "ok"), ("spf.unflattenable", "info")}),
    ("cname-loop.spf.test", {("spf.void-lookup", "warning")}),
    ("mx-hostless.spf.test", {("spf.too-many-void-lookups", "error")}),
    ("mx-hostless-two.spf.test", {("spf.void-lookup", "warning")}),
    ("include-empty.spf.test", {("spf.syntax", "error")}),
    ("include-empty-cidr.spf.test", {("spf.syntax", "error")}),
    ("bad..domain", set()),  # rejected by the CLI, see test_invalid_domain_is_bad_input
]

# Verdicts per IP: domain, ip -> the result word and the term that matched.
VERDICTS = [
    ("ok.spf.test", OWN, "pass", "ip4:192.0.2.10"),
    ("ok.spf.test", "198.51.100.77", "pass", "include:_spf.vendor.spf.test"),
    ("ok.spf.test", "2001:db8:10::1", "pass", "include:_spf.vendor.spf.test"),
    ("ok.spf.test", STRANGER, "fail", "-all"),
    ("redirect.spf.test", OWN, "pass", "ip4:192.0.2.10"),
    ("softfail.spf.test", STRANGER, "softfail", "~all"),
    ("neutral-all.spf.test", STRANGER, "neutral", "?all"),
    ("no-all.spf.test", STRANGER, "neutral", None),
    ("none.spf.test", OWN, "none", None),
    ("spf-only.spf.test", OWN, "none", None),  # RFC 7208 3.1: only TXT counts
    ("multiple.spf.test", OWN, "permerror", None),
    ("syntax.spf.test", OWN, "permerror", None),
    ("loop.spf.test", OWN, "permerror", None),
    ("void.spf.test", OWN, "permerror", None),
    ("too-many.spf.test", OWN, "permerror", None),
    ("mx-many.spf.test", OWN, "permerror", None),
    ("mx-hostless.spf.test", OWN, "permerror", None),  # three void host lookups
    ("mx-hostless-two.spf.test", OWN, "pass", "ip4:192.0.2.10"),  # two are tolerated
    ("include-empty.spf.test", OWN, "permerror", None),
    ("include-empty-cidr.spf.test", OWN, "permerror", None),
    ("macro.spf.test", OWN, "pass", "exists:%{i}._spf.macro.spf.test"),
    ("macro.spf.test", STRANGER, "fail", "-all"),
    # RFC 7208 5.5: the looping name is skipped; the next term still matches
    ("cname-loop.spf.test", STRANGER, "pass", "ip4:192.0.2.50"),
]

IP_CODES = {"pass": ("spf.ip-pass", "ok"), "fail": ("spf.ip-fail", "error"),
            "softfail": ("spf.ip-softfail", "warning"), "neutral": ("spf.ip-neutral", "warning"),
            "none": ("spf.ip-none", "error"), "permerror": ("spf.ip-permerror", "error"),
            "temperror": ("spf.ip-temperror", "unknown")}


@pytest.mark.parametrize(("domain", "expected"), [r for r in RECORDS if r[1]])
def test_record_scenarios(check, domain: str, expected: set[tuple[str, str]]) -> None:
    result = check(domain, "--select", "spf")
    assert result.codes() == expected


@pytest.mark.parametrize(("domain", "ip", "word", "term"), VERDICTS)
def test_verdict_per_ip(check, domain: str, ip: str, word: str, term: str | None) -> None:
    result = check(domain, "--ip", ip, "--select", "spf")
    data = result.json()["checks"]["spf"]["data"]
    assert (data["results"], data["matched"]) == ({ip: word}, {ip: term})
    assert IP_CODES[word] in result.codes()


def test_data_keys_and_networks_with_their_include_chain(check) -> None:
    data = check("redirect.spf.test", "--select", "spf").json()["checks"]["spf"]["data"]
    assert data["record"] == "v=spf1 redirect=ok.spf.test"
    assert (data["lookups"], data["void_lookups"]) == (2, 0)
    assert {(n["network"], tuple(n["via"])) for n in data["networks"]} == {
        ("192.0.2.10/32", ("redirect=ok.spf.test",)),
        ("198.51.100.0/24", ("redirect=ok.spf.test", "include:_spf.vendor.spf.test")),
        ("2001:db8:10::/48", ("redirect=ok.spf.test", "include:_spf.vendor.spf.test")),
    }


def test_lookups_are_counted_per_term_over_every_branch(check) -> None:
    result = check("too-many.spf.test", "--select", "spf")
    data = result.json()["checks"]["spf"]["data"]
    assert data["lookups"] == 11
    assert data["lookup_breakdown"]["include:four.too-many.spf.test"] == 5


def test_void_lookups_name_each_term(check) -> None:
    report = check("void.spf.test", "--select", "spf").json()
    finding = next(f for f in report["checks"]["spf"]["findings"]
                   if f["code"] == "spf.too-many-void-lookups")
    assert report["checks"]["spf"]["data"]["void_lookups"] == 3
    for term in ("a:gone1.void.spf.test", "mx:gone2.void.spf.test", "include:gone3.void.spf.test"):
        assert any(term in line for line in finding["evidence"])


def test_mail_from_domain_is_the_one_checked(check) -> None:
    data = check("ok.mx.test", "--mail-from", "bounces@ok.spf.test", "--ip", OWN,
                 "--select", "spf").json()["checks"]["spf"]["data"]
    assert (data["domain"], data["results"]) == ("ok.spf.test", {OWN: "pass"})


def test_helo_identity_is_checked_too(check) -> None:
    result = check("ok.spf.test", "--ip", OWN, "--ip", STRANGER, "--helo", "mail.ok.spf.test",
                   "--select", "spf")
    assert result.json()["checks"]["spf"]["data"]["helo_results"] == {OWN: "pass", STRANGER: "fail"}
    assert {("spf.helo-pass", "ok"), ("spf.helo-not-pass", "warning")} <= result.codes()


@pytest.mark.parametrize(("mail_from", "domain"), [
    ("", "mail.ok.spf.test"),  # the null sender: RFC 7208 2.4, the HELO name
    ("<>", "mail.ok.spf.test"),  # the same, written as SMTP writes it
    (" <> ", "mail.ok.spf.test"),
    ("<bounces@ok.spf.test>", "ok.spf.test"),  # a reverse-path with its brackets
])
def test_null_sender_uses_the_helo_name(check, mail_from: str, domain: str) -> None:
    result = check("ok.spf.test", "--mail-from", mail_from, "--helo", "mail.ok.spf.test",
                   "--ip", OWN, "--select", "spf", "--select", "mx")
    data = result.json()["checks"]["spf"]["data"]
    assert (data["domain"], data["results"]) == (domain, {OWN: "pass"})
    subjects = {f["subject"] for c in result.json()["checks"].values() for f in c["findings"]}
    assert not [s for s in subjects if "<" in s]  # no check took "<>" for a domain


def test_ipv6_results_use_the_canonical_form(check) -> None:
    data = check("ok.spf.test", "--ip", "2001:DB8:10:0::1", "--select", "spf").json()
    assert data["checks"]["spf"]["data"]["results"] == {"2001:db8:10::1": "pass"}


@pytest.mark.parametrize("fault", ["drop", "servfail"])
def test_include_failing_is_unknown_and_temperror_never_fail(check, world, fault: str) -> None:
    world.fault(fault, name="slow.slow-include.spf.test")
    result = check("slow-include.spf.test", "--ip", STRANGER, "--select", "spf")
    assert result.codes() == {("spf.unresolved", "unknown"), ("spf.ip-temperror", "unknown")}
    assert result.json()["checks"]["spf"]["data"]["results"] == {STRANGER: "temperror"}


def test_a_name_failing_is_unknown_but_an_earlier_match_still_passes(check, world) -> None:
    world.fault("servfail", name="host.slow-a.spf.test")
    result = check("slow-a.spf.test", "--ip", STRANGER, "--select", "spf")
    assert result.codes() == {("spf.unresolved", "unknown"), ("spf.ip-temperror", "unknown")}


def test_the_record_itself_failing_is_unknown_not_missing(check, world) -> None:
    world.fault("servfail", name="broken.spf.test", rdtype="TXT")
    result = check("broken.spf.test", "--ip", OWN, "--select", "spf")
    assert result.codes() == {("spf.lookup-failed", "unknown"), ("spf.ip-temperror", "unknown")}


def test_a_failing_spf_rr_type_lookup_changes_nothing(check, world) -> None:
    world.fault("servfail", name="ok.spf.test", rdtype="SPF")
    result = check("ok.spf.test", "--ip", OWN, "--select", "spf")
    assert result.codes() == {("spf.ok", "ok"), ("spf.ip-pass", "ok")}


def test_every_name_is_asked_once_even_with_several_ips(check, world) -> None:
    check("ok.spf.test", "--ip", OWN, "--ip", STRANGER, "--ip", "2001:db8::9",
          "--helo", "ok.spf.test", "--select", "spf")
    assert world.count("ok.spf.test", "TXT") == 1
    assert world.count("_spf.vendor.spf.test", "TXT") == 1


def test_every_finding_has_a_remediation_naming_a_record(check) -> None:
    for domain, _expected in RECORDS[:-1]:
        report = check(domain, "--ip", STRANGER, "--helo", "none.spf.test", "--select", "spf").json()
        for finding in report["checks"]["spf"]["findings"]:
            if finding["severity"] in ("ok", "unknown"):
                continue
            assert any("TXT" in line or "record" in line for line in finding["remediation"]), finding


# +all / ?all: the fix ends in ~all (no sender goes from pass or neutral to fail at once)
@pytest.mark.parametrize(("domain", "code", "proposed"), [
    ("pass-all.spf.test", "spf.pass-all", ["ip4:192.0.2.10", "~all"]),
    ("neutral-all.spf.test", "spf.neutral-all", ["ip4:192.0.2.10", "~all"]),
    ("pass-all-first.spf.test", "spf.pass-all", ["ip4:192.0.2.10", "~all"]),
    ("neutral-all-first.spf.test", "spf.neutral-all", ["ip4:192.0.2.10", "~all"]),
])
def test_all_remediation_proposes_one_final_softfail(check, domain, code, proposed) -> None:
    report = check(domain, "--select", "spf").json()
    [finding] = [f for f in report["checks"]["spf"]["findings"] if f["code"] == code]
    [change] = finding["changes"]
    assert change["verified"] is True
    assert [t.text for t in parse_record(joined_txt(change["new"])).terms] == proposed


def test_invalid_domain_is_bad_input(check) -> None:
    assert check("bad..domain", "--select", "spf").code == 2


# The parser alone: record -> (position, term) of every term it flags.
SYNTAX = [
    ("v=spf1 ip4:192.0.2.1 ip6:2001:db8::/32 a mx/24//64 include:_spf.example.com -all", set()),
    ("v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} redirect=_spf.example.com", set()),
    ("v=spf1 a:foo-bar -all", {(1, "a:foo-bar")}),
    ("v=spf1 a:mail.example...com -all", {(1, "a:mail.example...com")}),
    ("v=spf1 ip4:192.0.2.1/33 ip4:192.0.2 ip6:2001:db8::/129", {(1, "ip4:192.0.2.1/33"),
                                                               (2, "ip4:192.0.2"),
                                                               (3, "ip6:2001:db8::/129")}),
    ("v=spf1 mx/33 a//129 -all", {(1, "mx/33"), (2, "a//129")}),
    ("v=spf1 -redirect=example.com", {(1, "-redirect=example.com")}),
    ("v=spf1 redirect=a.example redirect=b.example", {(2, "redirect=b.example")}),
    ("v=spf1 -all:foo", {(1, "-all:foo")}),
    ("v=spf1 ?all/8", {(1, "?all/8")}),
    ("v=spf1 moo -all", {(1, "moo")}),
    ("v=spf1 include -all", {(1, "include")}),
    ("v=spf1 ptr/0 -all", {(1, "ptr/0")}),
    ("v=spf1 a:%{c}.example.com -all", {(1, "a:%{c}.example.com")}),
    ("v=spf1 exists:%{z}.example.com -all", {(1, "exists:%{z}.example.com")}),
    ("v=spf1 a:100%.example.com -all", {(1, "a:100%.example.com")}),
    ("v=spf1 ip4:192.0.2.5\n -all", {(1, "ip4:192.0.2.5\n")}),
]


@pytest.mark.parametrize(("text", "flagged"), SYNTAX)
def test_syntax_errors_name_term_and_position(text: str, flagged: set[tuple[int, str]]) -> None:
    assert {(p.position, p.term) for p in parse_record(text).problems} == flagged


def test_findings_on_a_zone_file_point_at_its_line() -> None:
    zone = TESTS / "world" / "spf.test.zone"
    line = next(i for i, text in enumerate(zone.read_text().splitlines(), 1) if text.startswith("syntax "))
    report = run_cli("check", "syntax.spf.test", "--offline", "--zone-file", zone,
                     "--select", "spf", "--format", "json").json()
    assert {f["location"]["line"] for f in report["checks"]["spf"]["findings"]} == {line}
