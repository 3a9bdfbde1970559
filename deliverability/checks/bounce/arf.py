"""ARF complaint reports (RFC 5965): a recipient marked the message as spam. Recognized so
they are never counted as bounces; the complained-about recipient is Original-Rcpt-To."""

from __future__ import annotations

from dataclasses import replace

from deliverability.checks.bounce.dsn import read_fields
from deliverability.checks.bounce.model import Bounce, Kind, Recipient


def read_feedback(text: str, base: Bounce) -> Bounce:
    """The feedback-report part's fields (RFC 5965 3.1, 3.2) as a Bounce of kind FEEDBACK."""
    fields = read_fields(text.replace("\r\n", "\n"))
    kind = fields.get("feedback-type", "abuse")
    recipient = (fields.get("original-rcpt-to") or base.original.to or "").strip("<> ") or None
    reporter = fields.get("reporting-mta", "").partition(";")[2].strip() or None
    return replace(
        base,
        kind=Kind.FEEDBACK,
        format="arf",
        reporting_mta=reporter,
        recipients=(Recipient(address=recipient, diagnostic=f"Feedback-Type: {kind}"),),
        client_ip=fields.get("source-ip"),
    )
