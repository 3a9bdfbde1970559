"""The tls-rpt check, scenario by scenario: domain -> codes and severities."""

from __future__ import annotations

import pytest

SCENARIOS = [
    ("ok.tls-rpt.test", {("tls-rpt.ok", "ok")}),
    ("two-uris.tls-rpt.test", {("tls-rpt.ok", "ok")}),
    ("split.tls-rpt.test", {("tls-rpt.ok", "ok")}),  # TXT strings joined
    ("multiple.tls-rpt.test", {("tls-rpt.multiple", "warning")}),
    ("no-rua.tls-rpt.test", {("tls-rpt.invalid", "warning")}),
    ("bad-scheme.tls-rpt.test", {("tls-rpt.invalid", "warning")}),
    ("bad-mail.tls-rpt.test", {("tls-rpt.invalid", "warning")}),
    ("other.tls-rpt.test", {("tls-rpt.missing", "info")}),
    ("missing.tls-rpt.test", {("tls-rpt.missing", "info")}),
]


@pytest.mark.parametrize(("domain", "expected"), SCENARIOS)
def test_tls_rpt_scenarios(check, domain: str, expected: set[tuple[str, str]]) -> None:
    assert check(domain, "--select", "tls-rpt").codes() == expected


def test_rua_uris_in_data(check) -> None:
    data = check("two-uris.tls-rpt.test", "--select", "tls-rpt").json()["checks"]["tls-rpt"]["data"]
    assert data["rua"] == ["mailto:tls@example.com", "https://reports.example.com/tlsrpt"]


def test_a_timeout_is_unknown_not_missing(check, world) -> None:
    world.fault("drop", name="_smtp._tls.ok.tls-rpt.test")
    # mx too: a run in which no lookup at all is answered is exit 2 (dead DNS), not a report
    codes = check("ok.tls-rpt.test", "--select", "tls-rpt,mx").codes()
    assert {c for c in codes if c[0].startswith("tls-rpt.")} == {("tls-rpt.lookup-failed", "unknown")}


def changes(report: dict, code: str) -> list[dict]:
    return [c for f in report["checks"]["tls-rpt"]["findings"] if f["code"] == code
            for c in f["changes"]]


@pytest.mark.parametrize(("domain", "address"), [
    ("receives.tls-rpt.test", "tls-reports@tls-rpt.test"),  # where its DMARC reports go
    ("service.tls-rpt.test", "tls-reports@service.tls-rpt.test"),  # not the report service's
    ("missing.tls-rpt.test", "tls-reports@missing.tls-rpt.test"),  # implicit MX: receives
])
def test_a_missing_record_gets_a_verified_record_at_a_domain_that_receives_mail(
        check, domain: str, address: str) -> None:
    [change] = changes(check(domain, "--select", "tls-rpt,mx").json(), "tls-rpt.missing")
    assert change["verified"] and change["action"] == "add"
    assert change["new"] == f'"v=TLSRPTv1; rua=mailto:{address}"'


@pytest.mark.parametrize("domain", ["null.tls-rpt.test", "other.tls-rpt.test"])
def test_a_domain_that_receives_no_mail_is_advised_no_report_address(check, domain: str) -> None:
    report = check(domain, "--select", "tls-rpt").json()
    [finding] = report["checks"]["tls-rpt"]["findings"]
    assert finding["changes"] == [] and finding["remediation"] == []
    assert domain.split(".")[0] in finding["summary"] and "needs none" in finding["summary"]


def test_several_records_merge_into_one_with_every_valid_uri(check) -> None:
    replace, remove = changes(check("multiple.tls-rpt.test", "--select", "tls-rpt").json(),
                              "tls-rpt.multiple")
    assert replace["verified"] and remove["verified"] and remove["action"] == "remove"
    assert replace["new"] == '"v=TLSRPTv1; rua=mailto:a@example.com,mailto:b@example.com"'


def test_an_invalid_record_on_a_domain_without_mail_names_no_address_there(check) -> None:
    report = check("bad-mail.tls-rpt.test", "--select", "tls-rpt").json()
    [finding] = report["checks"]["tls-rpt"]["findings"]
    assert finding["changes"] == [] and "@bad-mail" not in " ".join(finding["remediation"])


def test_the_profiles_contact_domain_is_the_last_resort(check, tmp_path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text('[sender]\nsupport_contact = "help@tls-rpt.test"\n')
    report = check("bad-mail.tls-rpt.test", "--select", "tls-rpt", "--profile", profile).json()
    [change] = changes(report, "tls-rpt.invalid")
    assert change["verified"] and change["new"] == '"v=TLSRPTv1; rua=mailto:tls-reports@tls-rpt.test"'
