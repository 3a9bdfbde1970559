"""RFC 3464 delivery status: the per-message fields (Reporting-MTA) and one block of
per-recipient fields for each recipient (Final-Recipient, Action, Status, Remote-MTA,
Diagnostic-Code). RFC 6533's message/global-delivery-status reads the same way."""

from __future__ import annotations

import re

from deliverability.checks.bounce.codes import (
    diagnostic_text,
    reply_code,
    status_code,
    valid_status,
)
from deliverability.checks.bounce.model import Recipient
from deliverability.lean import dataclass

MAX_FIELDS = 5000  # fields read from one delivery-status part
_FOLD = re.compile(r"\n[ \t]+")
_BLOCKS = re.compile(r"\n[ \t]*\n")
_FIELD = re.compile(r"^([!-9;-~]+)[ \t]*:[ \t]*(.*)$", re.S)
ACTIONS = frozenset({"failed", "delayed", "delivered", "relayed", "expanded"})


@dataclass(frozen=True, kw_only=True)
class DeliveryStatus:
    """One delivery-status part, read."""

    reporting_mta: str | None
    recipients: tuple[Recipient, ...]


def read_delivery_status(text: str, max_recipients: int) -> DeliveryStatus:
    """The fields of a delivery-status body (already decoded to text)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    blocks = [read_fields(block) for block in _BLOCKS.split(text)[: max_recipients + 1]]
    reporting = next((b["reporting-mta"] for b in blocks if "reporting-mta" in b), None)
    recipients = tuple(_recipient(b) for b in blocks if _is_recipient(b))
    return DeliveryStatus(reporting_mta=_typed_value(reporting), recipients=recipients)


def read_fields(block: str) -> dict[str, str]:
    """A block's fields, unfolded, names in lower case; the first of a repeated name wins."""
    fields: dict[str, str] = {}
    for line in _FOLD.sub(" ", block).split("\n")[:MAX_FIELDS]:
        match = _FIELD.match(line)
        if match:
            fields.setdefault(match.group(1).lower(), match.group(2).strip())
    return fields


def _is_recipient(fields: dict[str, str]) -> bool:
    return "final-recipient" in fields or "original-recipient" in fields


def _recipient(fields: dict[str, str]) -> Recipient:
    diagnostic = diagnostic_text(fields.get("diagnostic-code"))
    action = (fields.get("action") or "").split("(")[0].strip().lower()
    status = valid_status(fields.get("status")) or status_code(diagnostic)
    address = _typed_value(fields.get("final-recipient")) or _typed_value(
        fields.get("original-recipient")
    )
    return Recipient(
        address=_address(address),
        action=action if action in ACTIONS else None,
        status=status,
        reply_code=reply_code(diagnostic) if _smtp(fields.get("diagnostic-code")) else None,
        remote_mta=_host(_typed_value(fields.get("remote-mta"))),
        diagnostic=diagnostic,
    )


def _typed_value(value: str | None) -> str | None:
    """The value of a typed field ("rfc822; user@example.com" -> "user@example.com")."""
    if not value:
        return None
    _, _, rest = value.partition(";")
    return (rest if ";" in value else value).strip() or None


def _address(value: str | None) -> str | None:
    if not value:
        return None
    return value.strip().strip("<>").strip() or None


def _host(value: str | None) -> str | None:
    """A Remote-MTA host name ("mx.example.com [192.0.2.1]" -> "mx.example.com")."""
    if not value:
        return None
    return value.split()[0].strip("[]").rstrip(".").lower() or None


def _smtp(diagnostic_code: str | None) -> bool:
    """Reply codes are read from smtp-type diagnostics (and untyped ones)."""
    if not diagnostic_code or ";" not in diagnostic_code:
        return True
    return diagnostic_code.split(";", 1)[0].strip().lower() in ("smtp", "x-smtp", "")
