"""Reading the loosely typed JSON of sending services' events: every value checked for its
type before use, strings capped, lists of recipients capped."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from deliverability.checks.bounce.codes import (
    diagnostic_text,
    reply_code,
    status_code,
    valid_status,
)
from deliverability.checks.bounce.model import Bounce, Recipient

MAX_RECIPIENTS = 1000


def recipient(
    address: str | None,
    text: str | None,
    *,
    action: str | None = "failed",
    status: str | None = None,
    hard: bool | None = None,
    hint: str | None = None,
    remote: str | None = None,
) -> Recipient:
    """One recipient of an ESP event; status and reply code from the fields, else the text."""
    diagnostic = diagnostic_text(text)
    return Recipient(
        address=address,
        action=action,
        diagnostic=diagnostic,
        hard=hard,
        hint=hint,
        status=status_of(status) or status_code(diagnostic),
        reply_code=reply_code(diagnostic),
        remote_mta=remote,
    )


def status_of(value: str | None) -> str | None:
    """An ESP's status field; SendGrid's placeholder 5.0.0 / 4.0.0 says nothing more than the class."""
    return valid_status(value)


def with_format(bounce: Bounce, name: str) -> Bounce:
    """The bounce with another `format` name."""
    return replace(bounce, format=name)


def typed(value: Any) -> str | None:
    """A typed value without its type ("dsn; a8-30.smtp-out.amazonses.com")."""
    found = text(value)
    return found.partition(";")[2].strip() or found if found else None


def text(value: Any) -> str | None:
    """A string (or number) value, stripped and capped; None for anything else or empty."""
    return (
        str(value)[:4000].strip() or None if isinstance(value, str | int) and value != "" else None
    )


def first(value: Any) -> str | None:
    """The first of a list of strings (SES commonHeaders), or the value itself."""
    return text(value[0]) if isinstance(value, list) and value else text(value)


def mapping(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON array, at most MAX_RECIPIENTS of them."""
    return (
        [v for v in value[:MAX_RECIPIENTS] if isinstance(v, dict)]
        if isinstance(value, list)
        else []
    )
