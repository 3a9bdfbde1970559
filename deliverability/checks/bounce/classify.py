"""Classify every recipient of a bounce: reason, permanence, provider, and the sender
domain and IP the next steps are written for."""

from __future__ import annotations

from deliverability.checks.bounce.codes import client_ip, reply_code, status_code
from deliverability.checks.bounce.model import Bounce, Kind, Recipient
from deliverability.checks.bounce.providers import recognize
from deliverability.checks.bounce.reasons import Reason, classify, load_table
from deliverability.lean import dataclass

_NOT_FAILED = frozenset({"delivered", "relayed", "expanded"})


@dataclass(frozen=True, kw_only=True)
class Classified:
    """One recipient with what we concluded about it."""

    recipient: Recipient
    reason: Reason
    status: str | None
    reply_code: str | None
    hard: bool | None
    provider: str | None
    sender_domain: str | None
    recipient_domain: str | None
    ip: str | None


def classify_bounce(bounce: Bounce) -> list[Classified]:
    """Every recipient of `bounce`, classified."""
    return [_one(bounce, r) for r in bounce.recipients]


def _one(bounce: Bounce, recipient: Recipient) -> Classified:
    text = recipient.diagnostic
    status = recipient.status or status_code(text)
    reply = recipient.reply_code or reply_code(text)
    reason = _reason(bounce, recipient, status, reply)
    domain = _domain(recipient.address)
    return Classified(
        recipient=recipient,
        reason=reason,
        status=status,
        reply_code=reply,
        hard=_hard(recipient, reason, status, reply),
        provider=recognize(recipient.remote_mta, text, domain),
        sender_domain=sender_domain(bounce),
        recipient_domain=domain,
        ip=sending_ip(bounce, recipient),
    )


def sender_domain(bounce: Bounce) -> str | None:
    """The domain of the original sender: the original From, else whom the bounce went to."""
    return _domain(bounce.original.from_ or bounce.sender)


def sending_ip(bounce: Bounce, recipient: Recipient) -> str | None:
    """The sending IP the bounce names (an ARF Source-IP, "Client host [192.0.2.1]")."""
    text = recipient.diagnostic
    return bounce.client_ip or (client_ip(text) if text else None)


def recipient_domain(recipient: Recipient) -> str | None:
    """The recipient's domain, validated, or None."""
    return _domain(recipient.address)


def _reason(bounce: Bounce, recipient: Recipient, status: str | None, reply: str | None) -> Reason:
    if bounce.kind is Kind.FEEDBACK:
        return Reason.FEEDBACK
    if bounce.kind is Kind.AUTO_REPLY:
        return Reason.VACATION
    if recipient.action in _NOT_FAILED:
        return Reason.DELIVERED
    return classify(
        load_table(), text=recipient.diagnostic, status=status, reply=reply, hint=recipient.hint
    )


def _hard(
    recipient: Recipient, reason: Reason, status: str | None, reply: str | None
) -> bool | None:
    """Permanent per the codes (RFC 3463 class 5, RFC 5321 5yz), else as the ESP or action says."""
    if reason in (Reason.DELIVERED, Reason.VACATION, Reason.FEEDBACK):
        return False
    if recipient.hard is not None:
        return recipient.hard
    code = status or reply
    if code and code[0] in "45":
        return code[0] == "5"
    if recipient.action in ("failed", "delayed"):
        return recipient.action == "failed"
    return None


def _domain(address: str | None) -> str | None:
    """The domain of an address, validated; None when it has none or it is not a domain."""
    if not address or "@" not in address:
        return None
    from deliverability.validation import BadInput, validate_domain

    try:
        return validate_domain(address.rsplit("@", 1)[1].strip().strip(">").rstrip("."))
    except BadInput:
        return None
