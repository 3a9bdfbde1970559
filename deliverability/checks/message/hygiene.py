"""Bulk-sender hygiene the message shows: unsubscribe headers, Message-ID, Date, identities.

Gmail and Yahoo require bulk senders (since February 2024) to offer one-click
unsubscribe (RFC 8058: `List-Unsubscribe` with an https URI plus
`List-Unsubscribe-Post: List-Unsubscribe=One-Click`, both covered by a valid DKIM
signature). RFC 5322 3.6 wants one Date and, in practice, one Message-ID.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, timedelta

from deliverability.checks.message.parse import ParsedMessage
from deliverability.checks.message.signatures import Signature
from deliverability.finding import Finding, Severity

_MSGID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
_BULK_HEADERS = ("list-id", "list-unsubscribe", "feedback-id", "list-unsubscribe-post")
MAX_DATE_SKEW = timedelta(hours=24)


def looks_bulk(message: ParsedMessage, bulk_verdict: bool) -> bool:
    """Mailing-list or campaign headers, Precedence: bulk/list, or a receiver's bulk verdict."""
    precedence = (message.first("Precedence") or "").strip().lower()
    has_list = any(message.named(name) for name in _BULK_HEADERS)
    return bulk_verdict or has_list or precedence in ("bulk", "list")


def unsubscribe(
    message: ParsedMessage, bulk: bool, signatures: list[Signature], subject: str
) -> list[Finding]:
    """RFC 8058 one-click unsubscribe, for mail that looks like bulk."""
    listed = message.first("List-Unsubscribe")
    post = message.first("List-Unsubscribe-Post")
    evidence = tuple(
        f"{n}: {v}" for n, v in (("List-Unsubscribe", listed), ("List-Unsubscribe-Post", post)) if v
    )
    if listed is None:
        if not bulk:
            return []
        return [
            _finding(
                "message.unsubscribe-missing",
                Severity.WARNING,
                subject,
                "The message looks like bulk mail but has no List-Unsubscribe header",
                evidence,
                (
                    "Add `List-Unsubscribe: <https://...>, <mailto:...>` and "
                    "`List-Unsubscribe-Post: List-Unsubscribe=One-Click`.",
                ),
            )
        ]
    one_click = post is not None and post.strip().lower() == "list-unsubscribe=one-click"
    if not one_click or "<https://" not in listed.lower():
        return [
            _finding(
                "message.one-click-missing",
                Severity.WARNING,
                subject,
                "List-Unsubscribe is present but not RFC 8058 one-click",
                evidence,
                (
                    "Give an https URI in List-Unsubscribe and add "
                    "`List-Unsubscribe-Post: List-Unsubscribe=One-Click`.",
                ),
            )
        ]
    covering = [
        s
        for s in signatures
        if {"list-unsubscribe", "list-unsubscribe-post"} <= set(s.signed_headers)
    ]
    if not any(s.result == "pass" for s in covering):
        if any(s.result == "unknown" for s in covering):  # headers only, key lookup failed
            return [
                _finding(
                    "message.one-click-unverified",
                    Severity.UNKNOWN,
                    subject,
                    "One-click unsubscribe is signed, but the signature could not be verified",
                    evidence,
                    ("Give the whole message, or run again when the DKIM key lookup works.",),
                )
            ]
        return [
            _finding(
                "message.one-click-unsigned",
                Severity.WARNING,
                subject,
                "One-click unsubscribe is not covered by a valid DKIM signature",
                evidence,
                (
                    "Sign List-Unsubscribe and List-Unsubscribe-Post "
                    "(add both to the DKIM h= list) (RFC 8058 section 4).",
                ),
            )
        ]
    return [
        _finding(
            "message.unsubscribe-ok",
            Severity.OK,
            subject,
            "RFC 8058 one-click unsubscribe is present and signed",
            evidence,
            (),
        )
    ]


def message_id(message: ParsedMessage, subject: str) -> list[Finding]:
    """One Message-ID of the form <left@right>."""
    values = message.named("Message-ID")
    if len(values) == 1 and _MSGID.match(values[0].value.strip()):
        return []
    what = "no Message-ID" if not values else f"Message-ID {values[0].value!r} is not <id@domain>"
    if len(values) > 1:
        what = f"{len(values)} Message-ID fields"
    return [
        _finding(
            "message.message-id-invalid",
            Severity.WARNING,
            subject,
            f"The message has {what}",
            tuple(f"Message-ID: {v.value}" for v in values),
            ("Have the sending application write one Message-ID: <unique@your-domain>.",),
        )
    ]


def date(message: ParsedMessage, received_at: datetime | None, subject: str) -> list[Finding]:
    """One parseable Date, not far from when the first server received the message."""
    values = message.named("Date")
    sent = _parse_date(values[0].value) if len(values) == 1 else None
    if sent is None:
        what = "no Date" if not values else "an unreadable or repeated Date"
        return [
            _finding(
                "message.date-invalid",
                Severity.WARNING,
                subject,
                f"The message has {what}",
                tuple(f"Date: {v.value}" for v in values),
                ("Have the sending application write one RFC 5322 Date field.",),
            )
        ]
    if received_at is not None and abs(received_at - sent) > MAX_DATE_SKEW:
        return [
            _finding(
                "message.date-skewed",
                Severity.WARNING,
                subject,
                f"Date is {abs(received_at - sent)} away from the first Received time",
                (f"Date: {values[0].value}", f"first received: {received_at}"),
                ("Fix the clock (or time zone) of the sending host or application.",),
            )
        ]
    return []


def _parse_date(text: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # -0000: zone unknown


def _finding(
    code: str,
    severity: Severity,
    subject: str,
    summary: str,
    evidence: tuple[str, ...],
    remediation: tuple[str, ...],
) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        subject=subject,
        summary=summary,
        evidence=evidence,
        remediation=remediation,
    )
