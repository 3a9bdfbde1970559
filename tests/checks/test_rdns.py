"""The rdns check: IP -> codes and severities it must report."""

from __future__ import annotations

import pytest

SCENARIOS = [
    (["--ip", "192.0.2.15"], {("rdns.ok", "ok")}),
    (["--ip", "2001:db8::25"], {("rdns.ok", "ok")}),
    (["--ip", "192.0.2.11"], {("rdns.missing", "error")}),
    (["--ip", "192.0.2.12"], {("rdns.not-confirmed", "error")}),
    (["--ip", "192.0.2.16"], {("rdns.not-confirmed", "error")}),
    (["--ip", "192.0.2.13"], {("rdns.ok", "ok"), ("rdns.multiple-ptr", "warning")}),
    (["--ip", "192.0.2.14"], {("rdns.ok", "ok"), ("rdns.generic", "warning")}),
    (["--ip", "::ffff:192.0.2.15"], {("rdns.ok", "ok")}),  # IPv4-mapped: the IPv4 sender
    (["--ip", "192.0.2.15", "--helo", "mail.ok.rdns.test"],
     {("rdns.ok", "ok"), ("rdns.helo-match", "ok")}),
    (["--ip", "192.0.2.15", "--helo", "mx.elsewhere.test"],
     {("rdns.ok", "ok"), ("rdns.helo-mismatch", "warning")}),
    ([], {("rdns.no-ip", "info")}),
]


@pytest.mark.parametrize(("flags", "expected"), SCENARIOS)
def test_rdns_scenarios(check, flags: list[str], expected: set[tuple[str, str]]) -> None:
    assert check("rdns.test", *flags, "--select", "rdns").codes() == expected


def test_rdns_data_is_keyed_by_canonical_ip(check) -> None:
    data = check("rdns.test", "--ip", "2001:DB8:0::25", "--select", "rdns").json()
    facts = data["checks"]["rdns"]["data"]["2001:db8::25"]
    assert facts["ptr"] == ["mail6.ok.rdns.test"]
    assert facts["fcrdns"] is True


def test_one_ip_failing_leaves_the_others_judged(check, world) -> None:
    world.fault("servfail", name="11.2.0.192.in-addr.arpa")
    codes = check("rdns.test", "--ip", "192.0.2.11", "--ip", "192.0.2.15",
                  "--select", "rdns").codes()
    assert codes == {("rdns.lookup-failed", "unknown"), ("rdns.ok", "ok")}


FORWARD_FAILURES = [
    # (fault, flags) -> a failed forward lookup is unknown, never "not confirmed"
    (("servfail", "mail.ok.rdns.test", "A"), ["--ip", "192.0.2.15"],
     {("rdns.lookup-failed", "unknown")}),
    (("drop", "mail.ok.rdns.test", "A"), ["--ip", "192.0.2.15", "--helo", "mail.ok.rdns.test"],
     {("rdns.lookup-failed", "unknown")}),
    (("servfail", "mail.ok.rdns.test", "A"), ["--ip", "192.0.2.15", "--helo", "other.rdns.test"],
     {("rdns.lookup-failed", "unknown"), ("rdns.helo-mismatch", "warning")}),
    (("servfail", "a.multi.rdns.test", "A"), ["--ip", "192.0.2.13"],
     {("rdns.ok", "ok"), ("rdns.multiple-ptr", "warning")}),
]


@pytest.mark.parametrize(("fault", "flags", "expected"), FORWARD_FAILURES)
def test_forward_lookup_failure_is_unknown(check, world, fault, flags, expected) -> None:
    kind, name, rdtype = fault
    world.fault(kind, name=name, rdtype=rdtype)
    assert check("rdns.test", *flags, "--select", "rdns").codes() == expected


def test_forward_lookup_failure_leaves_fcrdns_requirement_unknown(check, world) -> None:
    world.fault("servfail", name="mail.ok.rdns.test", rdtype="A")
    report = check("rdns.test", "--ip", "192.0.2.15", "--select", "rdns",
                   "--select", "requirements").json()
    assert report["checks"]["rdns"]["data"]["192.0.2.15"]["fcrdns"] is None
    rules = {r["id"]: r["status"] for r in report["checks"]["requirements"]["data"]["rules"]}
    assert rules["gmail.all.fcrdns"] == "unknown"


@pytest.mark.parametrize(
    ("name", "ip", "generic"),
    [
        ("192-0-2-14.dyn.isp.test", "192.0.2.14", True),
        ("14.2.0.192.static.isp.test", "192.0.2.14", True),
        ("c000020e.isp.test", "192.0.2.14", True),
        ("dsl-pool7.isp.test", "192.0.2.14", True),
        ("mail.example.com", "192.0.2.14", False),
        ("smtp-out-3.example.com", "192.0.2.14", False),
    ],
)
def test_generic_names(name: str, ip: str, generic: bool) -> None:
    from deliverability.checks.rdns import looks_generic

    assert looks_generic(name, ip) is generic


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "json"])
def test_hostile_ptr_name_comes_out_inert(world, fmt: str) -> None:
    from conftest import run_cli

    result = run_cli("check", "rdns.test", "--ip", "192.0.2.66", "--select", "rdns",
                     "--resolver", world.address, "--format", fmt)
    assert result.code == 1  # not forward-confirmed
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout


@pytest.mark.parametrize(("flags", "name"), [
    ((), "mail.rdns.test"),  # a host of the domain being checked, not example.com
    (("--helo", "out.rdns.test"), "out.rdns.test"),  # the server's own name
])
@pytest.mark.parametrize(("ip", "code"), [("192.0.2.11", "rdns.missing"),
                                          ("192.0.2.14", "rdns.generic")])
def test_the_suggested_ptr_name_is_the_senders_own(check, flags, name: str, ip: str,
                                                   code: str) -> None:
    report = check("rdns.test", "--ip", ip, *flags, "--select", "rdns").json()
    [finding] = [f for f in report["checks"]["rdns"]["findings"] if f["code"] == code]
    assert f"e.g. {name}." in finding["remediation"][0]
