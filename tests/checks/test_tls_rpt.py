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
