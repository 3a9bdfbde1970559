"""What a receiver answered when it refused a message, what it means, and what to do.

Run by `deliverability bounce INPUT...` only (never by `check`): each bounce (an RFC 3464
delivery status notification, a human-readable non-delivery report, an ESP export's event,
or a pasted rejection line) is read into per-recipient facts, each failure is classified
into Sisimai's reason vocabulary from data (`data/bounce_reasons.toml`), the receiving
provider is recognized, and each finding says what the reason means and what to run next.
ARF complaint reports and automatic replies are recognized and not called bounces.
See docs/bounces.md.
"""

from __future__ import annotations

from typing import Any

from deliverability.checks.bounce.advice import Situation, next_steps
from deliverability.checks.bounce.classify import (
    Classified,
    classify_bounce,
    recipient_domain,
    sender_domain,
    sending_ip,
)
from deliverability.checks.bounce.model import Bounce, Kind
from deliverability.checks.bounce.providers import by_name
from deliverability.checks.bounce.reasons import Reason, load_table
from deliverability.context import Context
from deliverability.finding import NO_SENDER_DOMAIN, Finding, Severity, Target

NAME = "bounce"
NO_DOMAIN = NO_SENDER_DOMAIN  # the target domain when the bounce shows no sender
CODES = {
    **{f"bounce.{r.value}": f"A recipient's outcome classified as '{r.value}'" for r in Reason},
    "bounce.not-a-bounce": "The message is no bounce, complaint report or automatic reply",
    "bounce.no-recipients": "A bounce that names no recipient",
}


async def run(ctx: Context) -> list[Finding]:
    """Explain the bounce the `bounce` command put in the session."""
    bounce: Bounce | None = getattr(ctx.session, "message", None)
    if not isinstance(bounce, Bounce):
        return []
    classified = classify_bounce(bounce)
    ctx.data.update(bounce_data(bounce, classified))
    if bounce.kind is Kind.NOT_A_BOUNCE:
        return [_not_a_bounce(bounce)]
    if not classified:
        return [
            Finding(
                code="bounce.no-recipients",
                severity=Severity.UNKNOWN,
                subject="bounce",
                summary="The bounce names no recipient and no diagnostic",
                evidence=(f"format: {bounce.format}", f"source: {bounce.source}"),
                remediation=("Read the bounce text itself; it may be truncated.",),
            )
        ]
    return [_finding(bounce, c) for c in classified]


def bounce_data(bounce: Bounce, classified: list[Classified]) -> dict[str, Any]:
    """`checks.bounce.data`: the facts in the shape the issue names (null when not given)."""
    original = bounce.original
    return {
        "format": bounce.format,
        "kind": bounce.kind.value,
        "source": bounce.source,
        "mta": bounce.mta,
        "reporting_mta": bounce.reporting_mta,
        "original": {
            "message_id": original.message_id,
            "from": original.from_ or bounce.sender,
            "to": original.to,
            "subject": original.subject,
        },
        "recipients": [
            {
                "address": c.recipient.address,
                "action": c.recipient.action,
                "status": c.status,
                "reply_code": c.reply_code,
                "remote_mta": c.recipient.remote_mta,
                "diagnostic": c.recipient.diagnostic,
                "reason": c.reason.value,
                "hard": c.hard,
                "provider": c.provider,
            }
            for c in classified
        ],
    }


def _finding(bounce: Bounce, c: Classified) -> Finding:
    recipient = c.recipient
    codes = " ".join(filter(None, (c.reply_code, c.status)))
    permanence = {True: "permanent", False: "temporary", None: "permanence not stated"}[c.hard]
    meaning = load_table().info[c.reason].meaning.rstrip(".")
    summary = f"{recipient.address or 'the recipient'}: {meaning}"
    if c.reason not in (Reason.DELIVERED, Reason.VACATION, Reason.FEEDBACK):
        summary += f" ({codes + ', ' if codes else ''}{permanence})"
    situation = Situation(
        reason=c.reason,
        sender_domain=c.sender_domain,
        ip=c.ip,
        recipient_domain=c.recipient_domain,
        provider=c.provider,
        diagnostic=recipient.diagnostic,
    )
    return Finding(
        code=f"bounce.{c.reason.value}",
        severity=_severity(c),
        subject=recipient.address or "recipient",
        summary=summary,
        evidence=_evidence(bounce, c),
        remediation=next_steps(situation),
    )


def _severity(c: Classified) -> Severity:
    if c.reason in (Reason.DELIVERED,):
        return Severity.OK
    if c.reason is Reason.VACATION:
        return Severity.INFO
    if c.reason is Reason.FEEDBACK or c.hard is not True:
        return Severity.WARNING
    return Severity.ERROR


def _evidence(bounce: Bounce, c: Classified) -> tuple[str, ...]:
    provider = by_name(c.provider)
    original = bounce.original
    lines = [
        f"status: {c.status or '-'}, reply code: {c.reply_code or '-'}, action: {c.recipient.action or '-'}",
        f"diagnostic: {c.recipient.diagnostic}" if c.recipient.diagnostic else "",
        f"remote MTA: {c.recipient.remote_mta}" if c.recipient.remote_mta else "",
        f"provider: {provider.title}" if provider else "",
        f"provider's error reference: {provider.errors}" if provider and provider.errors else "",
        f"bounce: {bounce.format} from {bounce.reporting_mta or 'an unnamed MTA'} ({bounce.source})",
        f"original: {original.subject!r} from {original.from_ or bounce.sender or '-'}"
        if original.subject or original.from_
        else "",
    ]
    return tuple(line for line in lines if line)


def _not_a_bounce(bounce: Bounce) -> Finding:
    return Finding(
        code="bounce.not-a-bounce",
        severity=Severity.INFO,
        subject=bounce.source,
        summary="Nothing in this message says a delivery failed: no delivery status, "
        "no complaint report, no automatic reply, no rejection text",
        evidence=(f"source: {bounce.source}",),
        remediation=(
            "Give the bounce itself (the whole message, with its attachments), "
            "or paste the rejection line with --text.",
        ),
    )


def target_of(bounce: Bounce) -> Target:
    """The report's target: the original sender's domain, the sending IP the text names,
    and the first recipient's domain."""
    first = bounce.recipients[0] if bounce.recipients else None
    sender = sender_domain(bounce)
    ip = sending_ip(bounce, first) if first else None
    return Target(
        domain=sender or NO_DOMAIN,
        ips=(ip,) if ip else (),
        mail_from=(bounce.original.from_ or bounce.sender or "") if sender else "",
        recipient=recipient_domain(first) if first else None,
    )
