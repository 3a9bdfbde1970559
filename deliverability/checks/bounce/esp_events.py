"""One event of a sending service's export as a Bounce: which vendor wrote it, and the
Mailgun and Postmark readers (SendGrid and SES have modules of their own; esp.py reads
the containers: arrays, JSON Lines, API pages, CSV)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from deliverability.checks.bounce import esp_fields as fields
from deliverability.checks.bounce.model import Bounce, Kind, Original
from deliverability.checks.bounce.sendgrid import sendgrid_event
from deliverability.checks.bounce.ses import ses, ses_sns

Reader = Callable[[dict[str, Any], str], Bounce | None]
# Postmark bounce Type -> the reason it implies when Details says nothing more.
_POSTMARK = {
    "SpamComplaint": "feedback",
    "AutoResponder": "vacation",
    "Unsubscribe": "suppressed",
    "ManuallyDeactivated": "suppressed",
    "DnsError": "hostunknown",
    "BadEmailAddress": "syntaxerror",
    "SpamNotification": "spamdetected",
    "VirusNotification": "virusdetected",
    "Blocked": "blocked",
    "DMARCPolicy": "authfailure",
    "ChallengeVerification": "filtered",
    "AddressChange": "hasmoved",
    "SMTPApiError": "syntaxerror",
    "InboundError": "systemerror",
    "TemplateRenderingFailed": "contenterror",
}


def reader_for(event: dict[str, Any]) -> Reader | None:
    """The reader for this event's vendor, recognized by its keys; None if unknown."""
    if event.get("Type") == "Notification" and isinstance(event.get("Message"), str):
        return ses_sns
    if "notificationType" in event or ("eventType" in event and "mail" in event):
        return ses
    if isinstance(event.get("event-data"), dict) or ("event" in event and "recipient" in event):
        return mailgun
    if "RecordType" in event or ("TypeCode" in event and "Email" in event):
        return postmark
    if "email" in event and "event" in event:
        return sendgrid_event
    return None


def mailgun(event: dict[str, Any], source: str) -> Bounce | None:
    """A Mailgun event (Events API item or webhook payload): failed, rejected, delivered, complained."""
    data = fields.mapping(event.get("event-data")) or event
    name = str(data.get("event", "")).lower()
    if name not in ("failed", "rejected", "delivered", "complained"):
        return None
    status = fields.mapping(data.get("delivery-status"))
    headers = fields.mapping(fields.mapping(data.get("message")).get("headers"))
    code = status.get("code")
    text = " ".join(
        filter(None, (fields.text(status.get("message")), fields.text(status.get("description"))))
    ) or fields.text(fields.mapping(data.get("reject")).get("reason"))
    if isinstance(code, int) and 200 <= code <= 599 and not (text or "").startswith(str(code)):
        text = f"{code} {text or ''}".strip()
    severity = str(data.get("severity", "")).lower()
    hint = {"delivered": "delivered", "complained": "feedback"}.get(name)
    if str(data.get("reason", "")).startswith("suppress-"):
        hint = "suppressed"
    return Bounce(
        kind=Kind.FEEDBACK if name == "complained" else Kind.BOUNCE,
        format="mailgun",
        source=source,
        original=Original(
            message_id=fields.text(headers.get("message-id")),
            from_=fields.text(headers.get("from")),
            to=fields.text(headers.get("to")),
            subject=fields.text(headers.get("subject")),
        ),
        recipients=(
            fields.recipient(
                fields.text(data.get("recipient")),
                text,
                action={"delivered": "delivered", "complained": None}.get(name, "failed"),
                hard={"permanent": True, "temporary": False}.get(severity),
                hint=hint,
                remote=fields.text(status.get("mx-host")),
            ),
        ),
        sender=fields.text(fields.mapping(data.get("envelope")).get("sender")),
    )


def postmark(event: dict[str, Any], source: str) -> Bounce | None:
    """A Postmark bounce (webhook payload or bounces API item)."""
    kind_name = str(event.get("Type", ""))
    hint = _POSTMARK.get(kind_name)
    kind = {"feedback": Kind.FEEDBACK, "vacation": Kind.AUTO_REPLY}.get(hint or "", Kind.BOUNCE)
    hard = {"HardBounce": True, "SoftBounce": False, "Transient": False}.get(kind_name)
    text = fields.text(event.get("Details")) or fields.text(event.get("Description"))
    return Bounce(
        kind=kind,
        format="postmark",
        source=source,
        original=Original(
            message_id=fields.text(event.get("MessageID")),
            from_=fields.text(event.get("From")),
            subject=fields.text(event.get("Subject")),
        ),
        recipients=(
            fields.recipient(
                fields.text(event.get("Email")), text, action="failed", hard=hard, hint=hint
            ),
        ),
        sender=fields.text(event.get("From")),
    )
