"""dmarc.look-alike fixes (issue 18): alone, the record meant is published corrected, merged
with that record's own fixes (and it is the fix for dmarc.missing too); beside a valid
record, the ignored look-alike is deleted."""

from __future__ import annotations

from typing import Any

import pytest

from deliverability.change import joined_txt


def changes_by_code(check: Any, domain: str) -> dict[str, list[dict[str, Any]]]:
    report = check(domain, "--select", "dmarc").json()
    return {f["code"]: f["changes"] for f in report["checks"]["dmarc"]["findings"]}


@pytest.mark.parametrize(("domain", "record"), [
    ("lookalike.dmarc.test", "v=DMARC1; p=reject; rua=mailto:d@lookalike.dmarc.test"),
    ("leading-space.dmarc.test", "v=DMARC1; p=reject; rua=mailto:d@leading-space.dmarc.test"),
    # p=none corrected goes to testing mode at once: one record for the name
    ("lookalike-none.dmarc.test",
     "v=DMARC1; p=quarantine; rua=mailto:d@lookalike-none.dmarc.test; t=y"),
])
def test_a_look_alike_alone_is_replaced_by_the_record_meant(check, domain: str, record: str) -> None:
    found = changes_by_code(check, domain)
    [change] = found["dmarc.look-alike"]
    assert change["verified"] and change["action"] == "replace"
    assert joined_txt(change["new"]) == record
    assert found["dmarc.missing"] == [change]  # one record fixes both


def test_a_look_alike_beside_the_record_is_deleted(check) -> None:
    found = changes_by_code(check, "lookalike-beside.dmarc.test")
    [change] = found["dmarc.look-alike"]
    assert change["verified"] and change["action"] == "remove" and change["new"] is None
    assert joined_txt(change["old"]) == "p=none; v=DMARC1"
