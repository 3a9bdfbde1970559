"""SARIF 2.1.0 output: rules from docs/checks.md, results with zone-file locations, stable fingerprints."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from conftest import run_cli
from paths import TESTS
from deliverability.catalog import catalog_text, documented_codes
from deliverability.finding import CheckResult, Finding, Location, Report, Severity, Target
from deliverability.render import renderer

ZONE = """\
$ORIGIN sarif.test.
$TTL 300
@   MX 0 .
"""


def report(*findings: Finding) -> Report:
    return Report(
        tool_version="0.0.test", target=Target(domain="sarif.test", mail_from="a@sarif.test"),
        checks=(CheckResult(name="mx", findings=findings, duration_ms=1),),
    )


def sarif(*findings: Finding) -> dict:
    rule_docs = documented_codes(catalog_text())  # what the CLI reads and hands over
    return json.loads(renderer("sarif")(report(*findings), rule_docs=rule_docs))


NULL = Finding(code="mx.null", severity=Severity.ERROR, subject="sarif.test", summary="null MX",
               remediation=("Publish an MX record.",),
               location=Location(file="zones/sarif.test.zone", line=3))
FAILED = Finding(code="mx.lookup-failed", severity=Severity.UNKNOWN, subject="sarif.test",
                 summary="timed out")


def test_log_is_sarif_2_1_0_with_one_rule_per_code_documented_in_the_catalog() -> None:
    log = sarif(NULL, FAILED)
    assert log["version"] == "2.1.0"
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["mx.null", "mx.lookup-failed"]
    assert "RFC 7505" in rules[0]["fullDescription"]["text"]  # from docs/checks.md
    assert "DNS lookup" in rules[1]["fullDescription"]["text"]  # the engine's <check>.* entry


def test_results_point_at_the_zone_file_line_and_the_rest_are_notifications() -> None:
    run = sarif(NULL, FAILED)["runs"][0]
    assert [(r["ruleId"], r["level"], r["kind"], r["ruleIndex"]) for r in run["results"]] == [
        ("mx.null", "error", "fail", 0)]
    physical = run["results"][0]["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "zones/sarif.test.zone"},
                        "region": {"startLine": 3}}
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert (note["associatedRule"], note["level"]) == ({"id": "mx.lookup-failed", "index": 1}, "note")


def test_fingerprint_follows_identity_not_text() -> None:
    reworded = Finding(code="mx.null", severity=Severity.ERROR, subject="sarif.test",
                       summary="reworded", location=NULL.location)
    other = Finding(code="mx.null", severity=Severity.ERROR, subject="other.test", summary="x",
                    location=NULL.location)
    prints = [sarif(f)["runs"][0]["results"][0]["partialFingerprints"] for f in (NULL, reworded, other)]
    assert prints[0] == prints[1] != prints[2]


def test_check_writes_sarif_pointing_at_the_proposed_zone(tmp_path: Path) -> None:
    zone = tmp_path / "sarif.test.zone"
    zone.write_text(ZONE)
    result = run_cli("check", "sarif.test", "--offline", "--zone-file", zone, "--select", "mx",
                     "--format", "sarif")
    assert result.code == 1
    (found,) = json.loads(result.stdout)["runs"][0]["results"]
    assert found["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == zone.as_uri()


def applied(text: str, replacements: list[dict]) -> str:
    """`text` with SARIF replacements applied (3.57: line/column regions, code points)."""
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    spans = sorted(((offset(r["deletedRegion"]["startLine"], r["deletedRegion"].get("startColumn", 1)),
                     offset(r["deletedRegion"]["endLine"], r["deletedRegion"]["endColumn"]),
                     r["insertedContent"]["text"]) for r in replacements), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


@pytest.mark.parametrize(("domain", "zone", "code"), [
    ("long.spf.test", "spf.test.zone", "spf.too-long"),  # a record replaced, two added
    ("spf-type.spf.test", "spf.test.zone", "spf.spf-rr-type"),  # a record removed
    ("lookalike-beside.dmarc.test", "dmarc.test.zone", "dmarc.look-alike"),
])
def test_a_verified_change_is_a_fix_at_the_zone_file_lines(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, domain: str, zone: str, code: str) -> None:
    shutil.copy(TESTS / "world" / zone, tmp_path / zone)
    monkeypatch.chdir(tmp_path)

    def check() -> dict:
        out = run_cli("check", domain, "--offline", "--zone-file", zone, "--format", "sarif")
        return json.loads(out.stdout)["runs"][0]

    results = [r for r in check()["results"] if r["ruleId"] == code]
    [fix] = results[0]["fixes"]
    [change] = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": zone} and fix["description"]["text"]
    before = (tmp_path / zone).read_text()
    after = applied(before, change["replacements"])
    (tmp_path / zone).write_text(after)
    assert code not in {r["ruleId"] for r in check()["results"]}
    kept = [line for line in before.splitlines() if line in after.splitlines()]
    assert len(kept) >= len(before.splitlines()) - 1  # only the record's own line changes


def test_a_change_to_live_dns_is_no_fix() -> None:
    from deliverability.change import txt_change

    change = txt_change("sarif.test", None, "v=spf1 -all")
    verified = Finding(code="mx.null", severity=Severity.ERROR, subject="sarif.test", summary="x",
                       location=NULL.location, changes=(dataclasses.replace(change, verified=True),))
    assert "fixes" not in sarif(verified)["runs"][0]["results"][0]  # no zone text handed over
