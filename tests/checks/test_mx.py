"""The mx check, scenario by scenario: domain -> codes and severities it must report."""

from __future__ import annotations

import pytest

SCENARIOS = [
    ("ok.mx.test", {("mx.ok", "ok")}),
    ("none.mx.test", {("mx.none", "error")}),
    ("implicit.mx.test", {("mx.implicit", "warning")}),
    ("null.mx.test", {("mx.null", "error")}),
    ("null-mixed.mx.test", {("mx.null-mixed", "error")}),
    ("cname.mx.test", {("mx.ok", "ok"), ("mx.cname", "warning")}),
    ("ip-literal.mx.test", {("mx.ip-literal", "error")}),
    ("no-address.mx.test", {("mx.host-no-address", "error")}),
    ("partial.mx.test", {("mx.ok", "ok"), ("mx.host-no-address", "warning")}),
    ("missing.mx.test", {("mx.domain-missing", "error")}),
    ("ip-beside.mx.test", {("mx.ip-literal", "error")}),
]


@pytest.mark.parametrize(("domain", "expected"), SCENARIOS)
def test_mx_scenarios(check, domain: str, expected: set[tuple[str, str]]) -> None:
    result = check(domain, "--select", "mx")
    assert result.codes() == expected


def test_envelope_sender_domain_is_checked_too(check) -> None:
    result = check("ok.mx.test", "--mail-from", "bounces@null.mx.test", "--select", "mx")
    report = result.json()
    subjects = {f["subject"] for f in report["checks"]["mx"]["findings"]}
    assert subjects == {"ok.mx.test", "null.mx.test"}
    assert report["checks"]["mx"]["data"]["mail_from"]["null_mx"] is True
    assert result.code == 1


def test_mx_data_lists_hosts_with_addresses(check) -> None:
    data = check("ok.mx.test", "--select", "mx").json()["checks"]["mx"]["data"]
    assert data == {
        "hosts": [{"preference": 10, "host": "mx1.ok.mx.test",
                   "addresses": ["192.0.2.25", "2001:db8::25"]}],
        "null_mx": False,
        "implicit": False,
        "hosts_left_out": 0,
    }


def test_a_host_lookup_timing_out_is_unknown_not_missing(check, world) -> None:
    world.fault("drop", name="slow-host.slow.mx.test")
    result = check("slow.mx.test", "--select", "mx")
    assert ("mx.host-unresolved", "unknown") in result.codes()
    assert "timed out" in result.stdout


@pytest.mark.parametrize(("domain", "code", "action", "new"), [
    ("cname.mx.test", "mx.cname", "replace", "10 real.cname.mx.test."),  # the canonical name
    ("ip-beside.mx.test", "mx.ip-literal", "remove", None),  # mx1.ok has 192.0.2.25
    ("partial.mx.test", "mx.host-no-address", "remove", None),  # mx1.ok takes the mail
])
def test_a_clear_mx_fix_is_a_verified_change(check, domain: str, code: str, action: str,
                                             new: str | None) -> None:
    [finding] = [f for f in check(domain, "--select", "mx").json()["checks"]["mx"]["findings"]
                 if f["code"] == code]
    [change] = finding["changes"]
    assert change["verified"] and change["action"] == action and change["new"] == new


@pytest.mark.parametrize("domain", ["ip-literal.mx.test", "no-address.mx.test"])
def test_no_mx_record_is_invented_when_the_host_to_name_is_unknown(check, domain: str) -> None:
    findings = check(domain, "--select", "mx").json()["checks"]["mx"]["findings"]
    assert findings and all(f["changes"] == [] for f in findings)
