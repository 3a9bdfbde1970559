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


def test_three_dmarc_findings_offer_one_combined_testing_mode_record(check) -> None:
    report = check("three.dmarc.test", "--select", "dmarc").json()
    changes = [c for code in ("dmarc.policy-none", "dmarc.unknown-tag", "dmarc.removed-tag")
               for c in changes_of(report, code)]
    assert len(changes) == 3 and len({c["new"] for c in changes}) == 1 and changes[0]["verified"]
    tags = dict(t.strip().split("=", 1) for t in joined_txt(changes[0]["new"]).split(";"))
    assert tags["p"] == "quarantine" and tags["t"] == "y" and "pct" not in tags and "foo" not in tags


@pytest.fixture
def fix(world):  # type: ignore[no-untyped-def]
    from conftest import run_cli

    def run(*args: str):  # type: ignore[no-untyped-def]
        return run_cli("fix", *args, "--resolver", world.address, "--timeout", "2")

    return run


@pytest.mark.parametrize(("domain", "flags", "code"), [
    ("pass-all.spf.test", ("--ip", "198.51.100.7"), 1),  # mx.none, dmarc: no DNS fix of ours
    ("none.dmarc.test", ("--select", "dmarc"), 0),
    ("bad..domain", (), 2),
])
def test_fix_exit_codes(fix, domain, flags, code) -> None:
    assert fix(domain, *flags, "--format", "json").code == code


def test_fix_with_nothing_to_change_says_so(fix) -> None:
    result = fix("ok.mx.test", "--select", "mx")
    assert result.code == 0
    assert result.stdout.splitlines()[1:] == [
        "; nothing to change: no problem found that a DNS change would fix"
    ]


def test_fix_json_lists_verified_changes_and_what_to_decide(fix) -> None:
    out = fix("broad.spf.test", "--format", "json").json()
    assert set(out) == {"domain", "changes", "unresolved"}
    assert {"spf.broad-range"} <= {u["code"] for u in out["unresolved"]}
    assert all(c["verified"] for c in out["changes"])


WORLD = Path(__file__).parent / "world"
# scenario -> its zone file: every one has a problem with a verified change
PATCHED = [
    ("pass-all.spf.test", "spf.test.zone", "spf.pass-all"),
    ("neutral-all.spf.test", "spf.test.zone", "spf.neutral-all"),
    ("no-all.spf.test", "spf.test.zone", "spf.no-all"),
    ("after-all.spf.test", "spf.test.zone", "spf.after-all"),
    ("redirect-ignored.spf.test", "spf.test.zone", "spf.redirect-ignored"),
    ("multiple.spf.test", "spf.test.zone", "spf.multiple"),
    ("soft-twice.spf.test", "spf.test.zone", "spf.multiple"),
    ("void.spf.test", "spf.test.zone", "spf.too-many-void-lookups"),
    ("spf-type.spf.test", "spf.test.zone", "spf.spf-rr-type"),
    ("none.dmarc.test", "dmarc.test.zone", "dmarc.policy-none"),
    ("three.dmarc.test", "dmarc.test.zone", "dmarc.unknown-tag"),
    ("norua.dmarc.test", "dmarc.test.zone", "dmarc.no-rua"),
    ("unknown-tag.dmarc.test", "dmarc.test.zone", "dmarc.unknown-tag"),
]


@pytest.mark.parametrize(("domain", "zone", "code"), PATCHED)
def test_the_patch_applied_to_the_zone_file_fixes_the_finding_and_breaks_nothing(
        fix, check, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, domain: str, zone: str,
        code: str) -> None:
    import shutil
    import subprocess

    copy = tmp_path / zone
    shutil.copy(WORLD / zone, copy)
    monkeypatch.chdir(tmp_path)
    before = check(domain, "--zone-file", copy, "--select", "spf,dmarc")
    patch = fix(domain, "--zone-file", zone, "--format", "patch", "--select", "spf,dmarc")
    assert code in {c for c, _s in before.codes()}
    applied = subprocess.run(["patch", "-p0", "-s"], input=patch.stdout, text=True, cwd=tmp_path,
                             capture_output=True)
    assert applied.returncode == 0, applied.stderr + patch.stdout
    after = check(domain, "--zone-file", copy, "--select", "spf,dmarc")
    assert code not in {c for c, _s in after.codes()}
    bad = {(c, s) for c, s in after.codes() if s in ("error", "warning")}
    assert bad <= {(c, s) for c, s in before.codes()}
    assert after.json()["checks"]["spf"]["data"]["results"] == before.json()["checks"]["spf"]["data"]["results"]


def test_write_applies_the_change_in_place_and_backup_keeps_the_old_file(fix, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "dmarc.test.zone"
    shutil.copy(WORLD / "dmarc.test.zone", copy)
    result = fix("none.dmarc.test", "--zone-file", copy, "--write", "--backup", "--select", "dmarc")
    assert result.code == 0
    assert (tmp_path / "dmarc.test.zone.bak").read_text() == (WORLD / "dmarc.test.zone").read_text()
    assert "p=quarantine" in copy.read_text() and "p=none; rua=mailto:dmarc@none" not in copy.read_text()


@pytest.mark.parametrize(("rdtype", "old", "new", "spf"), [
    ("TXT", None, '"v=DMARC1; p=quarantine; t=y"', False),
    ("TXT", '"v=DMARC1; p=none"', '"v=DMARC1; p=quarantine"', False),
    ("TXT", None, '"v=TLSRPTv1; rua=mailto:tls@example.com"', False),
    ("TXT", '"v=spf1 +all"', '"v=spf1 ip4:192.0.2.1 -all"', True),
    ("TXT", '" v=spf1 -all"', '"v=spf1 -all"', True),  # a look-alike made a record
    ("TXT", '"V=SPF1 mx" " -all"', None, True),
    ("SPF", '"v=spf1 -all"', None, True),
    ("MX", None, "10 mx.example.com.", True),  # an mx term resolves it
    ("A", "192.0.2.1", None, True),  # an a term resolves it
])
def test_only_an_edit_spf_may_read_needs_the_senders_checked(
    rdtype: str, old: str | None, new: str | None, spf: bool
) -> None:
    from deliverability.change import Action, Change
    from deliverability.remedy import _changes_spf

    action = Action.REPLACE if old and new else Action.ADD if new else Action.REMOVE
    change = Change(name="example.com", type=rdtype, action=action, old=old, new=new)
    assert _changes_spf(change) is spf
