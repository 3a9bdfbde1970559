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


def read_item(item: Item) -> Iterator[Bounce | Unreadable]:
    """Every bounce in one item, or one Unreadable saying why there is none."""
    text = item.data.decode("utf-8", "replace")
    try:
        yield from esp.read_export(text, item.source)
        return
    except esp.NotAnExport:
        pass
    if _FIELD_LINE.match(item.data.lstrip(b"\n\r")):
        yield read_message(item.data, item.source)
    else:
        yield read_pasted(text, item.source)


def read_pasted(text: str, source: str = "--text") -> Bounce | Unreadable:
    """A pasted rejection line or bounce body (no message headers)."""
    if not text.strip():
        return Unreadable(source=source, problem="empty text")
    found = read_text(text)
    recipients = tuple(
        Recipient(
            address=f.address,
            remote_mta=f.remote_mta,
            action="failed",
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
