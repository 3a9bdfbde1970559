"""Regressions fail a baseline gate whatever their severity: weaker policies, checks gone bad."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from deliverability.finding import Severity
from deliverability.regressions import regressions

ZONE = """\
$ORIGIN regress.test.
$TTL 300
@       MX    10 mx1
@       TXT   "{spf}"
_dmarc  TXT   "{dmarc}"
mx1     A     192.0.2.25
"""
STRONG = {"spf": "v=spf1 ip4:192.0.2.0/24 -all", "dmarc": "v=DMARC1; p=reject; sp=reject"}


def run(tmp_path: Path, name: str, *args: str, **records: str):  # type: ignore[no-untyped-def]
    zone = tmp_path / f"{name}.zone"
    zone.write_text(ZONE.format(**{**STRONG, **records}))
    return run_cli("check", "regress.test", "--offline", "--zone-file", zone, "--select",
                   "spf,dmarc,mx", *args)


@pytest.mark.parametrize(("records", "kinds"), [
    ({"dmarc": "v=DMARC1; p=none; sp=reject"}, {"dmarc.p-lowered"}),
    ({"dmarc": "v=DMARC1; p=reject; sp=quarantine"}, {"dmarc.sp-lowered", "dmarc.np-lowered"}),
    ({"dmarc": "v=DMARC1; p=reject; sp=reject; t=y"}, {"dmarc.testing-added"}),
    ({"spf": "v=spf1 ip4:192.0.2.0/24 ~all"}, {"spf.all-weakened"}),
    ({"spf": "v=spf1 ip4:192.0.2.0/24 ?all"}, {"spf.all-weakened"}),
    ({}, set()),
])
def test_a_weaker_zone_fails_check_baseline_and_diff_at_default_settings(
    tmp_path: Path, records: dict, kinds: set
) -> None:
    saved = tmp_path / "base.json"
    saved.write_text(run(tmp_path, "old", "--format", "json").stdout)
    gated = run(tmp_path, "new", "--format", "json", "--baseline", saved, **records)
    assert {r["kind"] for r in gated.json()["baseline"]["regressed"]} >= kinds
    assert gated.code == (1 if kinds else 0)
    later = tmp_path / "new.json"
    later.write_text(run(tmp_path, "new", "--format", "json", **records).stdout)
    diff = run_cli("diff", saved, later, "--format", "json")
    assert {r["kind"] for r in json.loads(diff.stdout)["regressed"]} >= kinds
    assert diff.code == (1 if kinds else 0)


def test_reject_to_none_fails_the_default_gate_in_terminal_output_too(tmp_path: Path) -> None:
    saved = tmp_path / "base.json"
    saved.write_text(run(tmp_path, "old", "--format", "json").stdout)
    result = run(tmp_path, "new", "--baseline", saved, dmarc="v=DMARC1; p=none")
    assert result.code == 1 and "dmarc.p-lowered" in result.stdout


def facts(status: str, **data: object) -> dict:
    return {"x": (Severity(status), data)}


@pytest.mark.parametrize(("old", "new", "kinds"), [
    (facts("ok"), facts("warning"), ["check.no-longer-ok"]),
    (facts("info"), facts("error"), ["check.no-longer-ok"]),
    (facts("warning"), facts("error"), []),  # already not ok: the new findings gate it
    (facts("ok"), facts("ok"), []),
])
def test_a_check_that_was_ok_and_is_no_longer_ok_regressed(old, new, kinds) -> None:  # type: ignore[no-untyped-def]
    assert [r.kind for r in regressions(old, new)] == kinds


def test_a_dkim_key_found_before_and_missing_now_regressed() -> None:
    old = {"dkim": (Severity.OK, {"selectors": {"s1": {"valid": True}, "s2": {"valid": True}}})}
    new = {"dkim": (Severity.OK, {"selectors": {"s1": {"valid": True}, "s2": {"valid": False}}})}
    assert [(r.kind, r.subject) for r in regressions(old, new)] == [("dkim.key-missing", "s2")]


def test_failed_lookups_are_not_a_weaker_policy() -> None:
    old = {"dmarc": (Severity.OK, {"policy": "reject"})}
    new = {"dmarc": (Severity.UNKNOWN, {"policy": None})}
    assert [r.kind for r in regressions(old, new)] == ["check.no-longer-ok"]
