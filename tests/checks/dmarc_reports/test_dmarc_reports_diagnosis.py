"""Each category diagnosed against the loopback DNS world (tests/world/rua.test.zone,
esp-mail.test.zone, 100.51.198.in-addr.arpa.zone): codes and severities per source."""

from __future__ import annotations

import pytest

from conftest import CliResult, run_cli
from dmarc_report_files import REPORTS, data
from dnsserver import DnsServer


def diagnose(world: DnsServer, *names: str) -> CliResult:
    return run_cli("dmarc-reports", *(str(REPORTS / n) for n in names), "--resolver",
                   world.address, "--timeout", "1", "--format", "json")


def findings(result: CliResult) -> set[tuple[str, str, str]]:
    check = result.json()["checks"]["dmarc-reports"]
    return {(f["code"], f["severity"], f["subject"]) for f in check["findings"]}


EXPECTED = [  # (code, severity, subject)
    ("dmarc-reports.authorized-unaligned", "warning", "198.51.100.20 as rua.test"),
    ("dmarc-reports.unauthorized", "warning", "203.0.113.66 as rua.test"),
    ("dmarc-reports.forwarded", "info", "198.51.100.77 as rua.test"),
    ("dmarc-reports.spf-fixed", "info", "192.0.2.30 as rua.test"),
    ("dmarc-reports.unauthorized", "warning", "203.0.113.80 as rua.test"),
    ("dmarc-reports.dkim-key-missing", "error", "gone._domainkey.rua.test"),
    ("dmarc-reports.readiness", "warning", "rua.test"),
    ("dmarc-reports.summary", "info", "rua.test"),
    ("dmarc-reports.selectors", "info", "rua.test"),
]


@pytest.mark.parametrize("expected", EXPECTED)
def test_each_category_is_diagnosed(world: DnsServer, expected: tuple[str, str, str]) -> None:
    assert expected in findings(diagnose(world, "google.xml", "diagnosis.xml"))


def test_no_unknowns_when_dns_answers(world: DnsServer) -> None:
    result = diagnose(world, "google.xml", "diagnosis.xml")
    assert not [f for f in findings(result) if f[1] == "unknown"]
    assert result.code == 1  # the revoked key is an error


CATEGORIES = {"192.0.2.10": "aligned", "198.51.100.20": "authorized-unaligned",
              "203.0.113.66": "unauthorized", "198.51.100.77": "forwarded"}


def test_sources_carry_category_ptr_and_counts(world: DnsServer) -> None:
    sources = {s["ip"]: s for s in data(diagnose(world, "google.xml"))["sources"]}
    assert {ip: s["category"] for ip, s in sources.items()} == CATEGORIES
    assert sources["198.51.100.20"]["ptr"] == "o1.esp-mail.test"
    assert sources["192.0.2.10"]["ptr"] == "mail.example.com"
    assert sources["203.0.113.66"]["ptr"] is None
    esp = sources["198.51.100.20"]
    assert (esp["messages"], esp["dmarc_pass"], esp["dmarc_fail"]) == (40, 0, 40)
    assert esp["envelope_from"] == ["bounces.esp-mail.test"]
    assert esp["dkim"] == [{"domain": "esp-mail.test", "selector": "esp1", "result": "pass"}]
    assert esp["disposition"] == {"none": 40, "quarantine": 0, "reject": 0}


def test_lookups_are_shared_and_bounded(world: DnsServer) -> None:
    result = diagnose(world, "google.xml", "diagnosis.xml")
    assert result.json()["dns"]["queries"] < 60


def test_readiness_is_safe_without_authorized_unaligned(world: DnsServer) -> None:
    result = diagnose(world, "diagnosis.xml")
    assert ("dmarc-reports.readiness", "ok", "rua.test") in findings(result)
    ready = data(result)["readiness"]["rua.test"]
    assert ready["quarantine_safe"] and ready["affected"]["authorized-unaligned"] == 0


def test_a_failed_lookup_is_unknown_never_a_verdict(world: DnsServer) -> None:
    world.fault("servfail", name="rua.test", rdtype="TXT")
    result = diagnose(world, "diagnosis.xml")
    found = findings(result)
    assert ("dmarc-reports.diagnosis-unknown", "unknown", "192.0.2.30 as rua.test") in found
    assert ("dmarc-reports.spf-fixed", "info", "192.0.2.30 as rua.test") not in found
