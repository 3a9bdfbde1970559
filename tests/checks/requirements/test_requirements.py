"""The requirements summary: each provider rule met, not met, or not decidable from DNS."""

from __future__ import annotations

import pytest

CHECKS = ("--select", "requirements", "--select", "spf", "--select", "dkim", "--select", "dmarc",
          "--select", "alignment", "--select", "rdns")


def _rules(result) -> dict[str, str]:
    data = result.json()["checks"]["requirements"]["data"]
    return {rule["id"]: rule["status"] for rule in data["rules"]}


def _requirement_codes(result) -> set[tuple[str, str]]:
    return {c for c in result.codes() if c[0].startswith("requirements.")}


def test_a_compliant_sender_meets_every_rule_dns_can_show(check) -> None:
    result = check("good.requirements.test", "--ip", "192.0.2.15", *CHECKS)
    rules = _rules(result)
    assert {rules[r] for r in rules if r.endswith((".tls", ".spam-rate", ".message-format",
                                                  ".one-click-unsubscribe"))} == {"not-visible"}
    assert {s for r, s in rules.items() if not r.endswith(
        (".tls", ".spam-rate", ".message-format", ".one-click-unsubscribe"))} == {"met"}
    assert _requirement_codes(result) == {("requirements.met", "ok"),
                                          ("requirements.not-visible", "info")}


@pytest.mark.parametrize(("rule", "status"), [
    ("gmail.all.spf-or-dkim", "not-visible"),  # no SPF, and DKIM cannot be ruled out
    ("outlook.bulk.spf", "not-met"),
    ("outlook.bulk.dkim", "not-visible"),
    ("gmail.all.fcrdns", "not-met"),
    ("gmail.bulk.dmarc", "not-met"),
    ("yahoo.bulk.alignment", "not-visible"),
    ("gmail.all.tls", "not-visible"),
])
def test_a_bare_domain(check, rule: str, status: str) -> None:
    assert _rules(check("bare.requirements.test", "--ip", "192.0.2.11", *CHECKS))[rule] == status


def test_a_bare_domain_reports_errors_for_all_sender_rules(check) -> None:
    codes = _requirement_codes(check("bare.requirements.test", "--ip", "192.0.2.11", *CHECKS))
    assert {("requirements.not-met", "error"), ("requirements.not-met", "warning")} <= codes


@pytest.mark.parametrize(("rule", "status"), [
    ("gmail.all.dkim-key-size", "not-met"),
    ("gmail.bulk.dmarc", "met"),  # p=none is the minimum the providers ask for
    ("gmail.all.fcrdns", "not-visible"),  # no --ip
])
def test_a_small_key_and_monitoring_policy(check, rule: str, status: str) -> None:
    assert _rules(check("small.requirements.test", *CHECKS))[rule] == status


def test_rules_resting_on_checks_not_run_say_so(check) -> None:
    result = check("good.requirements.test", "--select", "requirements")
    statuses = set(_rules(result).values())
    assert statuses == {"not-checked", "not-visible"}
    assert _requirement_codes(result) == {("requirements.not-checked", "info"),
                                          ("requirements.not-visible", "info")}


def test_every_rule_has_a_stable_id_and_the_documented_keys(check) -> None:
    data = check("good.requirements.test", *CHECKS).json()["checks"]["requirements"]["data"]
    assert all(set(rule) == {"id", "provider", "applies_to", "status", "detail"}
               for rule in data["rules"])
    ids = [rule["id"] for rule in data["rules"]]
    assert len(ids) == len(set(ids)) == 23
    assert {rule["provider"] for rule in data["rules"]} == {"gmail", "yahoo", "outlook"}
