"""Verified remediation: each case of issue 18 gets a change that passes the three
conditions (target gone, nothing new, senders kept) or an honest decision, never a
record that breaks mail."""

from __future__ import annotations

from pathlib import Path

import pytest

from deliverability.change import MAX_STRING_BYTES, joined_txt, txt_value
from deliverability.checks.spf.parse import parse_record

TYPO_ZONES = {
    "typo.example.com.zone": '$ORIGIN typo.example.com.\n@ SOA ns hostmaster 1 3600 600 86400 300\n'
    '@ TXT "v=spf1 include:spf.protection.outlok.com -all"\n',
    "outlok.com.zone": "$ORIGIN outlok.com.\n@ SOA ns hostmaster 1 3600 600 86400 300\n",
    "protection.outlook.com.zone": "$ORIGIN protection.outlook.com.\n"
    "@ SOA ns hostmaster 1 3600 600 86400 300\n"
    'spf TXT "v=spf1 ip4:203.0.113.0/24 -all"\n',
}


def changes_of(report: dict, code: str) -> list[dict]:
    return [c for check in report["checks"].values() for f in check["findings"]
            if f["code"] == code for c in f["changes"]]


def new_terms(change: dict) -> list[str]:
    return [t.text for t in parse_record(joined_txt(change["new"])).terms]


@pytest.mark.parametrize(("text", "strings"), [
    ("v=spf1 -all", 1), ("a" * 255, 1), ("a" * 256, 2), ("é" * 200, 2), ("", 1),
])
def test_txt_values_are_split_into_strings_of_at_most_255_bytes(text: str, strings: int) -> None:
    value = txt_value(text)
    assert joined_txt(value) == text and value.count('" "') + 1 == strings
    assert all(len(s.encode()) <= MAX_STRING_BYTES + 2 for s in value.split('" "'))


def test_pass_all_keeps_the_sender_that_passed_only_through_it(check) -> None:
    report = check("pass-all.spf.test", "--ip", "198.51.100.7", "--select", "spf").json()
    [change] = changes_of(report, "spf.pass-all")
    assert change["verified"] and new_terms(change) == ["ip4:192.0.2.10", "ip4:198.51.100.7", "~all"]
    assert changes_of(report, "spf.ip-pass") == []


def test_two_softfail_records_merge_into_one_softfail_record(check) -> None:
    report = check("soft-twice.spf.test", "--select", "spf").json()
    replace, remove = changes_of(report, "spf.multiple")
    assert replace["verified"] and remove["verified"] and remove["action"] == "remove"
    assert new_terms(replace)[-1] == "~all" and "ip4:192.0.2.10" in new_terms(replace)


def test_sender_id_beside_spf_is_info_with_no_change(check) -> None:
    report = check("sender-id.spf.test", "--select", "spf")
    assert ("spf.lookalike", "info") in report.codes() and report.code == 0
    assert changes_of(report.json(), "spf.lookalike") == []


def test_a_mistyped_provider_include_is_corrected_not_removed(check, tmp_path: Path) -> None:
    flags = []
    for name, text in TYPO_ZONES.items():
        (tmp_path / name).write_text(text)
        flags += ["--zone-file", str(tmp_path / name)]
    report = check("typo.example.com", *flags, "--select", "spf").json()
    [change] = changes_of(report, "spf.include-no-record")
    assert change["verified"] and new_terms(change) == ["include:spf.protection.outlook.com", "-all"]


def test_every_finding_has_a_changes_list(check) -> None:
    report = check("broad.spf.test", "--select", "spf").json()
    findings = [f for c in report["checks"].values() for f in c["findings"]]
    assert findings and all(isinstance(f["changes"], list) for f in findings)
    [decision] = changes_of(report, "spf.broad-range")
    assert decision["verified"] is False and decision["new"] is None and decision["note"]
