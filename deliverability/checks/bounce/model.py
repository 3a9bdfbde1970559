"""The values a bounce is read into: the bounce, its recipients, the original message."""

from __future__ import annotations

from dataclasses import field
from enum import StrEnum

from deliverability.lean import dataclass


class Kind(StrEnum):
    """What a message that came back is."""

    BOUNCE = "bounce"  # a delivery status notification or non-delivery report
    FEEDBACK = "feedback"  # an ARF complaint report (RFC 5965): not a bounce
    AUTO_REPLY = "auto-reply"  # an automatic reply (RFC 3834): not a bounce
    NOT_A_BOUNCE = "not-a-bounce"  # nothing in it says a delivery failed


@dataclass(frozen=True, kw_only=True)
class Original:
    """The message that bounced, as far as the bounce shows it (None: not shown)."""

    message_id: str | None = None
    from_: str | None = None
    to: str | None = None
    subject: str | None = None


@dataclass(frozen=True, kw_only=True)
class Recipient:
    """One recipient's outcome, as the bounce gives it. Fields it does not give are None."""

    address: str | None
    action: str | None = None  # RFC 3464 2.3.3: failed, delayed, delivered, relayed, expanded
    status: str | None = None  # RFC 3463 enhanced status code, "5.1.1"
    reply_code: str | None = None  # RFC 5321 reply code, "550"
    remote_mta: str | None = None
    diagnostic: str | None = None
    hard: bool | None = None  # set by an ESP that says so (SES bounceType); else derived
    hint: str | None = None  # the reason an ESP's own type implies, when its text says nothing


@dataclass(frozen=True, kw_only=True)
class Bounce:
    """One bounce as read, before classification."""

    kind: Kind
    format: str  # rfc3464, arf, auto-reply, mta-text, text, sendgrid-csv, ses-sns, ...
    source: str  # where it came from: a file name, "file:line", "stdin", "--text"
    reporting_mta: str | None = None
    mta: str | None = None  # the software that wrote a human-readable bounce (postfix, exim...)
    original: Original = field(default_factory=Original)
    recipients: tuple[Recipient, ...] = ()
    sender: str | None = None  # the address the bounce went back to (the original sender)
    client_ip: str | None = None  # the sending IP the text names ("Client host [192.0.2.1]")


@dataclass(frozen=True, kw_only=True)
class Unreadable:
    """An input that could not be read as a bounce: one line saying why."""

    source: str
    problem: str
