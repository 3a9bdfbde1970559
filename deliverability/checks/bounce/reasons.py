"""Classify a recipient's failure into Sisimai's bounce-reason vocabulary, from data.

The table (`deliverability/data/bounce_reasons.toml`) holds ordered text rules, the
enhanced status codes of RFC 3463 and the bare reply codes of RFC 5321, each with its
source. Text first (receivers' own words are the most specific), then the status code,
then the reply code; `undefined` when none says anything.
"""

from __future__ import annotations

import functools
import re
import tomllib
from enum import StrEnum
from importlib import resources
from typing import Any

from deliverability.lean import dataclass


class Reason(StrEnum):
    """Sisimai's bounce reasons (https://libsisimai.org/en/reason/)."""

    AUTHFAILURE = "authfailure"
    BADREPUTATION = "badreputation"
    BLOCKED = "blocked"
    CONTENTERROR = "contenterror"
    EXCEEDLIMIT = "exceedlimit"
    EXPIRED = "expired"
    FAILEDSTARTTLS = "failedstarttls"
    FEEDBACK = "feedback"
    FILTERED = "filtered"
    HASMOVED = "hasmoved"
    HOSTUNKNOWN = "hostunknown"
    MAILBOXFULL = "mailboxfull"
    MAILERERROR = "mailererror"
    MESGTOOBIG = "mesgtoobig"
    NETWORKERROR = "networkerror"
    NORELAYING = "norelaying"
    NOTACCEPT = "notaccept"
    NOTCOMPLIANTRFC = "notcompliantrfc"
    ONHOLD = "onhold"
    POLICYVIOLATION = "policyviolation"
    REJECTED = "rejected"
    REQUIREPTR = "requireptr"
    SECURITYERROR = "securityerror"
    SPAMDETECTED = "spamdetected"
    SPEEDING = "speeding"
    SUPPRESSED = "suppressed"
    SUSPEND = "suspend"
    SYNTAXERROR = "syntaxerror"
    SYSTEMERROR = "systemerror"
    SYSTEMFULL = "systemfull"
    TOOMANYCONN = "toomanyconn"
    UNDEFINED = "undefined"
    USERUNKNOWN = "userunknown"
    VACATION = "vacation"
    VIRUSDETECTED = "virusdetected"
    DELIVERED = "delivered"


_NOT_FAILURES = frozenset({"feedback", "vacation", "suppressed", "delivered"})


@dataclass(frozen=True, kw_only=True)
class ReasonInfo:
    """What a reason means and which kind of next step it calls for."""

    meaning: str
    step: str


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Texts that mean one reason (one compiled alternation)."""

    reason: Reason
    pattern: re.Pattern[str]
    source: str


@dataclass(frozen=True, kw_only=True)
class ReasonTable:
    """The whole classification table, compiled."""

    info: dict[Reason, ReasonInfo]
    rules: tuple[Rule, ...]
    status: dict[str, Reason]  # "1.1" (subject.detail) -> reason
    subject: dict[str, Reason]  # "7" -> reason, for a detail the table does not hold
    reply: dict[str, Reason]
    raw: dict[str, Any]  # the parsed TOML, for the providers


@functools.cache  # read-only data, read on first use (never at import)
def load_table() -> ReasonTable:
    """The table shipped with the package."""
    text = (
        resources.files("deliverability")
        .joinpath("data/bounce_reasons.toml")
        .read_text(encoding="utf-8")
    )
    return parse_table(tomllib.loads(text))


def parse_table(data: dict[str, Any]) -> ReasonTable:
    """Compile the TOML table; an unknown reason name raises ValueError."""
    rules = tuple(
        Rule(
            reason=Reason(rule["reason"]),
            source=rule["source"],
            pattern=re.compile("|".join(f"(?:{p})" for p in rule["match"]), re.I),
        )
        for rule in data["rule"]
    )
    return ReasonTable(
        info={
            Reason(name): ReasonInfo(meaning=v["meaning"], step=v["step"])
            for name, v in data["reason"].items()
        },
        rules=rules,
        status={code: Reason(name) for code, name in data["status"].items()},
        subject={code: Reason(name) for code, name in data["status_subject"].items()},
        reply={code: Reason(name) for code, name in data["reply"].items()},
        raw=data,
    )


def classify(
    table: ReasonTable,
    *,
    text: str | None,
    status: str | None,
    reply: str | None,
    hint: str | None = None,
) -> Reason:
    """The reason for one recipient's failure. `hint` is what an ESP's own event type
    says: it decides for events that are not failures, and when nothing else does."""
    if hint in _NOT_FAILURES:
        return Reason(hint)
    if status and status.startswith("2."):
        return Reason.DELIVERED
    if text:
        for rule in table.rules:
            if rule.pattern.search(text):
                return rule.reason
    if hint:
        return Reason(hint)
    if status:
        detail = status.split(".", 1)[1]
        found = table.status.get(detail) or table.subject.get(detail.split(".", 1)[0])
        if found:
            return found
    return table.reply.get(reply or "", Reason.UNDEFINED)
