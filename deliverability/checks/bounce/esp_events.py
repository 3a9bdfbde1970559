"""One event of a sending service's export as a Bounce (see esp.py for the containers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from deliverability.checks.bounce.codes import (
    diagnostic_text,
    reply_code,
    status_code,
    valid_status,
)
from deliverability.checks.bounce.model import Bounce, Kind, Original, Recipient

Reader = Callable[[dict[str, Any], str], Bounce | None]
MAX_RECIPIENTS = 1000
# SendGrid Event Webhook: event -> (action, reason hint); other events (open, click) are skipped.
_SENDGRID = {
    "bounce": ("failed", None),
    "blocked": ("failed", None),
    "deferred": ("delayed", None),
    "dropped": ("failed", "suppressed"),
    "delivered": ("delivered", "delivered"),
    "spamreport": (None, "feedback"),
}
_SES_SUBTYPES = {
    "Suppressed": "suppressed",
    "OnAccountSuppressionList": "suppressed",
    "NoEmail": "userunknown",
    "MailboxFull": "mailboxfull",
    "MessageTooLarge": "mesgtoobig",
    "ContentRejected": "contenterror",
    "AttachmentRejected": "policyviolation",
}
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


def sendgrid_event(event: dict[str, Any], source: str) -> Bounce | None:
    """A SendGrid Event Webhook event (bounce, blocked, deferred, dropped, delivered)."""
    name = str(event.get("event", "")).lower()
    name = "blocked" if name == "bounce" and event.get("type") == "blocked" else name
    if name not in _SENDGRID:
        return None
    action, hint = _SENDGRID[name]
    text = _str(event.get("reason")) or _str(event.get("response"))
    kind = Kind.FEEDBACK if name == "spamreport" else Kind.BOUNCE
    return Bounce(
        kind=kind,
        format="sendgrid-webhook",
        source=source,
        recipients=(
            _recipient(
                _str(event.get("email")),
                text,
                action=action,
                status=_str(event.get("status")),
                hint=hint,
            ),
        ),
        original=Original(message_id=_str(event.get("smtp-id"))),
    )


def sendgrid_row(cells: dict[str, str], source: str) -> Bounce:
    """A row of SendGrid's bounce or block CSV export."""
    return Bounce(
        kind=Kind.BOUNCE,
        format="sendgrid-csv",
        source=source,
        recipients=(
            _recipient(
                cells.get("email"), cells.get("reason"), action="failed", status=cells.get("status")
            ),
        ),
    )


def ses_sns(envelope: dict[str, Any], source: str) -> Bounce | None:
    """An Amazon SES notification delivered through SNS (the JSON is in `Message`)."""
    try:
        inner = json.loads(envelope["Message"])
    except (ValueError, RecursionError):
        return None
    bounce = ses(inner, source) if isinstance(inner, dict) else None
    return None if bounce is None else _with_format(bounce, "ses-sns")


def ses(event: dict[str, Any], source: str) -> Bounce | None:
    """An Amazon SES bounce, complaint, delivery or delivery-delay notification."""
    kind = str(event.get("notificationType") or event.get("eventType") or "")
    mail = _dict(event.get("mail"))
    headers = _dict(mail.get("commonHeaders"))
    original = Original(
        message_id=_str(headers.get("messageId")) or _str(mail.get("messageId")),
        from_=_first(headers.get("from")) or _str(mail.get("source")),
        to=_first(headers.get("to")),
        subject=_str(headers.get("subject")),
    )
    recipients, reporter, feedback = _ses_recipients(kind, event)
    if recipients is None:
        return None
    return Bounce(
        kind=Kind.FEEDBACK if feedback else Kind.BOUNCE,
        format="ses",
        source=source,
        reporting_mta=_typed(reporter),
        original=original,
        recipients=recipients,
        sender=_str(mail.get("source")),
    )


def _ses_recipients(
    kind: str, event: dict[str, Any]
) -> tuple[tuple[Recipient, ...] | None, Any, bool]:
    if kind == "Bounce":
        body = _dict(event.get("bounce"))
        hard = {"Permanent": True, "Transient": False}.get(str(body.get("bounceType")))
        hint = _SES_SUBTYPES.get(str(body.get("bounceSubType")))
        return (
            tuple(
                _recipient(
                    _str(r.get("emailAddress")),
                    _str(r.get("diagnosticCode")),
                    action=_str(r.get("action")) or "failed",
                    status=_str(r.get("status")),
                    hard=hard,
                    hint=hint,
                )
                for r in _dicts(body.get("bouncedRecipients"))
            ),
            body.get("reportingMTA"),
            False,
        )
    if kind == "Complaint":
        body = _dict(event.get("complaint"))
        return (
            tuple(
                _recipient(
                    _str(r.get("emailAddress")),
                    _str(body.get("complaintFeedbackType")),
                    action=None,
                    hint="feedback",
                )
                for r in _dicts(body.get("complainedRecipients"))
            ),
            None,
            True,
        )
    if kind in ("Delivery", "DeliveryDelay"):
        body = _dict(event.get("delivery") or event.get("deliveryDelay"))
        delayed = kind == "DeliveryDelay"
        rows = (
            _dicts(body.get("delayedRecipients"))
            if delayed
            else [{"emailAddress": a} for a in body.get("recipients") or [] if isinstance(a, str)]
        )
        return (
            tuple(
                _recipient(
                    _str(r.get("emailAddress")),
                    _str(r.get("diagnosticCode")) or _str(body.get("smtpResponse")),
                    action="delayed" if delayed else "delivered",
                    status=_str(r.get("status")),
                    hint=None if delayed else "delivered",
                    remote=_str(body.get("remoteMtaIp")),
                )
                for r in rows
            ),
            body.get("reportingMTA"),
            False,
        )
    return None, None, False


def mailgun(event: dict[str, Any], source: str) -> Bounce | None:
    """A Mailgun event (Events API item or webhook payload): failed, rejected, delivered, complained."""
    data = _dict(event.get("event-data")) or event
    name = str(data.get("event", "")).lower()
    if name not in ("failed", "rejected", "delivered", "complained"):
        return None
    status = _dict(data.get("delivery-status"))
    headers = _dict(_dict(data.get("message")).get("headers"))
    code = status.get("code")
    text = " ".join(
        filter(None, (_str(status.get("message")), _str(status.get("description"))))
    ) or _str(_dict(data.get("reject")).get("reason"))
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
            message_id=_str(headers.get("message-id")),
            from_=_str(headers.get("from")),
            to=_str(headers.get("to")),
            subject=_str(headers.get("subject")),
        ),
        recipients=(
            _recipient(
                _str(data.get("recipient")),
                text,
                action={"delivered": "delivered", "complained": None}.get(name, "failed"),
                hard={"permanent": True, "temporary": False}.get(severity),
                hint=hint,
                remote=_str(status.get("mx-host")),
            ),
        ),
        sender=_str(_dict(data.get("envelope")).get("sender")),
    )


def postmark(event: dict[str, Any], source: str) -> Bounce | None:
    """A Postmark bounce (webhook payload or bounces API item)."""
    kind_name = str(event.get("Type", ""))
    hint = _POSTMARK.get(kind_name)
    kind = {"feedback": Kind.FEEDBACK, "vacation": Kind.AUTO_REPLY}.get(hint or "", Kind.BOUNCE)
    hard = {"HardBounce": True, "SoftBounce": False, "Transient": False}.get(kind_name)
    text = _str(event.get("Details")) or _str(event.get("Description"))
    return Bounce(
        kind=kind,
        format="postmark",
        source=source,
        original=Original(
            message_id=_str(event.get("MessageID")),
            from_=_str(event.get("From")),
            subject=_str(event.get("Subject")),
        ),
        recipients=(
            _recipient(_str(event.get("Email")), text, action="failed", hard=hard, hint=hint),
        ),
        sender=_str(event.get("From")),
    )


def _recipient(
    address: str | None,
    text: str | None,
    *,
    action: str | None = "failed",
    status: str | None = None,
    hard: bool | None = None,
    hint: str | None = None,
    remote: str | None = None,
) -> Recipient:
    diagnostic = diagnostic_text(text)
    return Recipient(
        address=address,
        action=action,
        diagnostic=diagnostic,
        hard=hard,
        hint=hint,
        status=_status(status) or status_code(diagnostic),
        reply_code=reply_code(diagnostic),
        remote_mta=remote,
    )


def _status(value: str | None) -> str | None:
    """An ESP's status field; SendGrid's placeholder 5.0.0 / 4.0.0 says nothing more than the class."""
    return valid_status(value)


def _with_format(bounce: Bounce, name: str) -> Bounce:
    from dataclasses import replace

    return replace(bounce, format=name)


def _typed(value: Any) -> str | None:
    text = _str(value)
    return text.partition(";")[2].strip() or text if text else None


def _str(value: Any) -> str | None:
    return (
        str(value)[:4000].strip() or None if isinstance(value, str | int) and value != "" else None
    )


def _first(value: Any) -> str | None:
    return _str(value[0]) if isinstance(value, list) and value else _str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    return (
        [v for v in value[:MAX_RECIPIENTS] if isinstance(v, dict)]
        if isinstance(value, list)
        else []
    )
