"""Amazon SES notifications (bounce, complaint, delivery, delivery delay), bare or through SNS."""

from __future__ import annotations

import json
from typing import Any

from deliverability.checks.bounce import esp_fields as fields
from deliverability.checks.bounce.model import Bounce, Kind, Original, Recipient

_SES_SUBTYPES = {
    "Suppressed": "suppressed",
    "OnAccountSuppressionList": "suppressed",
    "NoEmail": "userunknown",
    "MailboxFull": "mailboxfull",
    "MessageTooLarge": "mesgtoobig",
    "ContentRejected": "contenterror",
    "AttachmentRejected": "policyviolation",
}


def ses_sns(envelope: dict[str, Any], source: str) -> Bounce | None:
    """An Amazon SES notification delivered through SNS (the JSON is in `Message`)."""
    try:
        inner = json.loads(envelope["Message"])
    except (ValueError, RecursionError):
        return None
    bounce = ses(inner, source) if isinstance(inner, dict) else None
    return None if bounce is None else fields.with_format(bounce, "ses-sns")


def ses(event: dict[str, Any], source: str) -> Bounce | None:
    """An Amazon SES bounce, complaint, delivery or delivery-delay notification."""
    kind = str(event.get("notificationType") or event.get("eventType") or "")
    mail = fields.mapping(event.get("mail"))
    headers = fields.mapping(mail.get("commonHeaders"))
    original = Original(
        message_id=fields.text(headers.get("messageId")) or fields.text(mail.get("messageId")),
        from_=fields.first(headers.get("from")) or fields.text(mail.get("source")),
        to=fields.first(headers.get("to")),
        subject=fields.text(headers.get("subject")),
    )
    recipients, reporter, feedback = _ses_recipients(kind, event)
    if recipients is None:
        return None
    return Bounce(
        kind=Kind.FEEDBACK if feedback else Kind.BOUNCE,
        format="ses",
        source=source,
        reporting_mta=fields.typed(reporter),
        original=original,
        recipients=recipients,
        sender=fields.text(mail.get("source")),
    )


Found = tuple[tuple[Recipient, ...] | None, Any, bool]  # recipients, reporting MTA, complaint?


def _ses_recipients(kind: str, event: dict[str, Any]) -> Found:
    if kind == "Bounce":
        return _bounced(fields.mapping(event.get("bounce")))
    if kind == "Complaint":
        return _complained(fields.mapping(event.get("complaint")))
    if kind in ("Delivery", "DeliveryDelay"):
        body = fields.mapping(event.get("delivery") or event.get("deliveryDelay"))
        return _delivered(body, delayed=kind == "DeliveryDelay")
    return None, None, False


def _bounced(body: dict[str, Any]) -> Found:
    hard = {"Permanent": True, "Transient": False}.get(str(body.get("bounceType")))
    hint = _SES_SUBTYPES.get(str(body.get("bounceSubType")))
    recipients = tuple(
        fields.recipient(
            fields.text(r.get("emailAddress")),
            fields.text(r.get("diagnosticCode")),
            action=fields.text(r.get("action")) or "failed",
            status=fields.text(r.get("status")),
            hard=hard,
            hint=hint,
        )
        for r in fields.dicts(body.get("bouncedRecipients"))
    )
    return recipients, body.get("reportingMTA"), False


def _complained(body: dict[str, Any]) -> Found:
    feedback_type = fields.text(body.get("complaintFeedbackType"))
    recipients = tuple(
        fields.recipient(
            fields.text(r.get("emailAddress")), feedback_type, action=None, hint="feedback"
        )
        for r in fields.dicts(body.get("complainedRecipients"))
    )
    return recipients, None, True


def _delivered(body: dict[str, Any], *, delayed: bool) -> Found:
    value = body.get("recipients")
    listed: list[Any] = value if isinstance(value, list) else []
    rows = (
        fields.dicts(body.get("delayedRecipients"))
        if delayed
        else [{"emailAddress": a} for a in listed[: fields.MAX_RECIPIENTS] if isinstance(a, str)]
    )
    recipients = tuple(
        fields.recipient(
            fields.text(r.get("emailAddress")),
            fields.text(r.get("diagnosticCode")) or fields.text(body.get("smtpResponse")),
            action="delayed" if delayed else "delivered",
            status=fields.text(r.get("status")),
            hint=None if delayed else "delivered",
            remote=fields.text(body.get("remoteMtaIp")),
        )
        for r in rows
    )
    return recipients, body.get("reportingMTA"), False
