"""spf.helo-not-pass fixes (issue 18): `v=spf1 a -all` at the HELO name only when it is the
domain's own name, has no SPF record and resolves to the sending IP; otherwise a decision."""

from __future__ import annotations

from typing import Any

import pytest

from deliverability.change import joined_txt


def helo_changes(check: Any, ip: str, helo: str) -> list[dict[str, Any]]:
    report = check("helo.spf.test", "--ip", ip, "--helo", helo, "--select", "spf").json()
    [finding] = [f for f in report["checks"]["spf"]["findings"] if f["code"] == "spf.helo-not-pass"]
    return finding["changes"]


def test_the_helo_name_resolving_to_the_ip_gets_an_a_record_policy(check) -> None:
    [change] = helo_changes(check, "192.0.2.60", "mta.helo.spf.test")
    assert change["verified"] and change["action"] == "add" and change["name"] == "mta.helo.spf.test"
    assert joined_txt(change["new"]) == "v=spf1 a -all"


@pytest.mark.parametrize(("ip", "helo", "says"), [
    ("192.0.2.61", "other.helo.spf.test", "does not resolve to 192.0.2.61"),
    ("192.0.2.60", "mail.example.net", "not under helo.spf.test"),
    ("192.0.2.62", "helo.spf.test", "already publishes SPF"),
])
def test_otherwise_the_owner_decides(check, ip: str, helo: str, says: str) -> None:
    [change] = helo_changes(check, ip, helo)
    assert change["verified"] is False and change["new"] is None and says in change["note"]


def test_fix_publishes_it(world) -> None:
    from conftest import run_cli

    result = run_cli("fix", "helo.spf.test", "--ip", "192.0.2.60", "--helo", "mta.helo.spf.test",
                     "--select", "spf", "--resolver", world.address, "--timeout", "1")
    assert result.code == 0, result.stdout
    assert 'mta.helo.spf.test. IN TXT "v=spf1 a -all"' in result.stdout
