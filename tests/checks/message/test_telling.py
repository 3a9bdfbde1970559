"""How `message` tells its findings: one verdict per receiver, causes first, no artifacts."""

from __future__ import annotations

import json

import pytest
from conftest import run_cli
from paths import TESTS

from deliverability.checks.message.findings import duration

MESSAGES = TESTS / "messages"
ARTIFACTS = ("1 hops", "COMPAUTH setup", "envelope sender ;", "dmarc=nothing")


def findings(name: str) -> list[dict]:
    result = run_cli("message", MESSAGES / name, "--offline", "--format", "json")
    return result.json()["checks"]["message"]["findings"]


@pytest.mark.parametrize(("message", "spam_verdicts", "cause"), [
    ("microsoft-junk.eml", 1, "message.auth-fail"),
    ("barracuda.eml", 1, "message.dkim-none"),
    ("spamassassin-spam.eml", 1, "message.dkim-none"),
    ("gmail.eml", 0, None),
])
def test_one_spam_verdict_per_receiver_after_its_cause(message: str, spam_verdicts: int,
                                                       cause: str | None) -> None:
    found = findings(message)
    spam = [f for f in found if f["code"] == "message.marked-spam"]
    assert len(spam) == spam_verdicts
    assert all(f.get("caused_by") == cause for f in spam)


@pytest.mark.parametrize("message", sorted(p.name for p in MESSAGES.glob("*.eml")))
def test_no_template_artifacts_and_dkim_absence_told_once(message: str) -> None:
    found = findings(message)
    text = json.dumps(found)
    assert not any(artifact in text for artifact in ARTIFACTS)
    codes = [(f["code"], f["subject"]) for f in found]
    assert not ({("message.dkim-none", "dkim"), ("message.auth-none", "dkim")} <= set(codes))


@pytest.mark.parametrize(("seconds", "told"), [
    (0.5, "0.5s"), (4, "4s"), (59, "59s"), (60, "1m 0s"), (185, "3m 5s"), (3725, "1h 2m 5s"),
])
def test_delays_read_in_hours_minutes_seconds(seconds: float, told: str) -> None:
    assert duration(seconds) == told


@pytest.mark.parametrize(("rule", "explained"), [
    ("RCVD_IN_XBL", True), ("RDNS_NONE", True), ("FREEMAIL_FROM", True),
])
def test_documented_spamassassin_rules_are_explained(rule: str, explained: bool) -> None:
    spam = next(f for f in findings("spamassassin-spam.eml") if f["code"] == "message.marked-spam")
    assert any(line.startswith(f"{rule}: ") for line in spam["evidence"]) is explained


def test_every_explained_rule_has_a_meaning_and_a_fix() -> None:
    from deliverability.checks.message.telling import load_rules

    rules = load_rules()
    assert "RCVD_IN_PBL" in rules
    assert all(r.get("meaning") and r.get("fix") for r in rules.values())
