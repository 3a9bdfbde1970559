"""spf.too-many-lookups and spf.too-long fixes (checks/spf/reduce.py): what adds nothing goes
first, then static includes are flattened (dated, naming what to re-check); a record that
would still pass 10 lookups or grow too long is never offered (issue 18)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from deliverability.change import MAX_STRING_BYTES, joined_txt
from deliverability.checks.spf.parse import parse_record


def only_change(check: Any, domain: str, code: str) -> dict[str, Any]:
    report = check(domain, "--select", "spf").json()
    [finding] = [f for f in report["checks"]["spf"]["findings"] if f["code"] == code]
    [change, *added] = finding["changes"]
    return {**change, "added": added}


    return sum(1 for t in parse_record(record).terms if t.queries_dns)


def terms(change: dict[str, Any]) -> list[str]:
    return [t.text for t in parse_record(joined_txt(change["new"])).terms]


def test_an_include_another_term_covers_is_dropped_first(check) -> None:
    change = only_change(check, "too-many.spf.test", "spf.too-many-lookups")
    assert change["verified"] and "include:four.too-many.spf.test" not in terms(change)
    assert "a:h1.too-many.spf.test" in change["note"]


def test_a_second_include_of_the_same_ranges_is_dropped(check) -> None:
    change = only_change(check, "twice.spf.test", "spf.too-many-lookups")
    assert change["verified"] and terms(change)[:2] == [
        "include:_spf.vendor.spf.test", "include:four.too-many.spf.test"]
    assert "include:copy.twice.spf.test" in change["note"]


def test_a_static_include_is_flattened_in_place_with_the_date_and_what_to_recheck(check) -> None:
    change = only_change(check, "flat.spf.test", "spf.too-many-lookups")
    assert change["verified"]
    assert terms(change)[:3] == ["ip4:198.51.100.0/24", "ip6:2001:db8:10::/48",
                                 "include:four.too-many.spf.test"]
    assert datetime.now(UTC).date().isoformat() in change["note"]
    assert "_spf.vendor.spf.test" in change["note"]
    after = check("flat.spf.test", "--select", "spf")  # the live record is unchanged
    assert after.json()["checks"]["spf"]["data"]["lookups"] == 11


@pytest.mark.parametrize("domain", [
    "fifteen.spf.test",  # flattening the static include still needs 14 lookups
    "wide11.spf.test",   # flattening gets to 10 lookups but a 600-byte record
])
def test_no_record_is_offered_when_no_edit_fits_the_limits(check, domain: str) -> None:
    change = only_change(check, domain, "spf.too-many-lookups")
    assert change["verified"] is False and change["new"] is None
    assert "move to a subdomain" in change["note"] and "costliest" in change["note"]


def test_fix_exits_1_and_names_the_decision_for_fifteen_lookups(world) -> None:
    from conftest import run_cli

    result = run_cli("fix", "fifteen.spf.test", "--resolver", world.address, "--timeout", "1",
                     "--select", "spf", "--format", "json")
    assert result.code == 1 and result.json()["changes"] == []
    [unresolved] = result.json()["unresolved"]
    assert unresolved["code"] == "spf.too-many-lookups" and "include:big.fifteen" in unresolved["note"]


def test_a_long_record_moves_its_ranges_into_spf_records_it_includes(check) -> None:
    change = only_change(check, "long.spf.test", "spf.too-long")
    assert change["verified"] and terms(change) == [
        "include:_spf.long.spf.test", "include:_spf2.long.spf.test", "-all"]
    published = [joined_txt(a["new"]) for a in change["added"]]
    assert [a["name"] for a in change["added"]] == ["_spf.long.spf.test", "_spf2.long.spf.test"]
    assert all(a["verified"] and a["action"] == "add" for a in change["added"])
    moved = [t for text in published for t in text.split() if t.startswith("ip4:")]
    assert len(moved) == 29 and all(len(text.encode()) <= 450 for text in published)
    for added in change["added"]:  # written as a zone file writes them
        assert all(len(s.encode()) <= MAX_STRING_BYTES + 2 for s in added["new"].split('" "'))
