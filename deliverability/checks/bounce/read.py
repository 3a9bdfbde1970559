"""Turn one input item into bounces: an ESP export (recognized by content), a message,
or pasted text (a rejection line or a bounce body given with --text)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from deliverability.checks.bounce import esp
from deliverability.checks.bounce.codes import diagnostic_text
from deliverability.checks.bounce.human import read_text
from deliverability.checks.bounce.mime import read_message
from deliverability.checks.bounce.model import Bounce, Kind, Recipient, Unreadable
from deliverability.checks.bounce.sources import Item

_FIELD_LINE = re.compile(rb"^[!-9;-~]{1,76}:")
# "550 5.1.1 <alex@example.com>: Recipient address rejected": the recipient leads the text
# (a sender's address is followed by "Sender address rejected").
_LEADING_ADDRESS = re.compile(
    r"^\s*[245]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3}\s+)?<([^<>@\s]{1,64}@[^<>@\s]{1,255})>:(?!\s*Sender)",
    re.I,
)


def read_item(item: Item) -> Iterator[Bounce | Unreadable]:
    """Every bounce in one item, or one Unreadable saying why there is none."""
    start = item.data.lstrip(b"\n\r")
    if start[:1] not in (b"{", b"[") and _FIELD_LINE.match(start):  # a message: a field first
        yield read_message(item.data, item.source)
        return
    text = item.data.decode("utf-8", "replace")
    try:
        yield from esp.read_export(text, item.source)
    except esp.NotAnExport:
        yield read_pasted(text, item.source)


def read_pasted(text: str, source: str = "--text") -> Bounce | Unreadable:
    """A pasted rejection line or bounce body (no message headers)."""
    if not text.strip():
        return Unreadable(source=source, problem="empty text")
    found = read_text(text)
    recipients = tuple(
        Recipient(
            address=f.address or _named_recipient(f.diagnostic or text),
            remote_mta=f.remote_mta,
            diagnostic=f.diagnostic or diagnostic_text(text),
        )
        for f in found.recipients
    )
    return Bounce(
        kind=Kind.BOUNCE,
        format="text",
        source=source,
        recipients=recipients,
        reporting_mta=found.reporting_mta,
        mta=found.mta,
    )


def _named_recipient(text: str) -> str | None:
    """The <address> a pasted rejection line starts with ("550 5.1.1 <a@example.com>: ...")."""
    match = _LEADING_ADDRESS.match(text)
    return match.group(1) if match else None
