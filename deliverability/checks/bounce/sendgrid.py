"""SendGrid: Event Webhook events and the bounce / block list CSV export rows."""

from __future__ import annotations

from typing import Any

from deliverability.checks.bounce import esp_fields as fields
from deliverability.checks.bounce.model import Bounce, Kind, Original

# Event Webhook: event -> (action, reason hint); other events (open, click) are skipped.
_SENDGRID = {
    "bounce": ("failed", None),
    "blocked": ("failed", None),
    "deferred": ("delayed", None),
    "dropped": ("failed", "suppressed"),
    "delivered": ("delivered", "delivered"),
    "spamreport": (None, "feedback"),
}


def sendgrid_event(event: dict[str, Any], source: str) -> Bounce | None:
    """A SendGrid Event Webhook event (bounce, blocked, deferred, dropped, delivered)."""
    name = str(event.get("event", "")).lower()
    name = "blocked" if name == "bounce" and event.get("type") == "blocked" else name
    if name not in _SENDGRID:
        return None
    action, hint = _SENDGRID[name]
    text = fields.text(event.get("reason")) or fields.text(event.get("response"))
    kind = Kind.FEEDBACK if name == "spamreport" else Kind.BOUNCE
    return Bounce(
        kind=kind,
        format="sendgrid-webhook",
        source=source,
        recipients=(
            fields.recipient(
                fields.text(event.get("email")),
                text,
                action=action,
                status=fields.text(event.get("status")),
                hint=hint,
            ),
        ),
        original=Original(message_id=fields.text(event.get("smtp-id"))),
    )


def sendgrid_row(cells: dict[str, str], source: str) -> Bounce:
    """A row of SendGrid's bounce or block CSV export."""
    return Bounce(
        kind=Kind.BOUNCE,
        format="sendgrid-csv",
        source=source,
        recipients=(
            fields.recipient(
                cells.get("email"), cells.get("reason"), action="failed", status=cells.get("status")
            ),
        ),
    )
