"""The exports support agents have from sending services, recognized by their content:
SendGrid bounce/block CSV and Event Webhook JSON, Amazon SES notifications (SNS JSON),
Mailgun events, Postmark bounces. Each event becomes a Bounce whose `format` names it.

Field names follow each vendor's documented payloads (sources in docs/bounces.md).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

from deliverability.checks.bounce import esp_events as events
from deliverability.checks.bounce.model import Bounce, Unreadable
from deliverability.checks.bounce.sendgrid import sendgrid_row

MAX_EVENTS = 100_000  # events read from one export
MAX_DEPTH = 64  # vendors' events nest 5 levels; the parser recurses per level
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def too_deep(text: str) -> bool:
    """Whether JSON text nests arrays and objects past MAX_DEPTH (strings do not count)."""
    depth = 0
    for bracket in _BRACKETS.finditer(_STRINGS.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


class NotAnExport(Exception):
    """The input is not an export this module reads (it may be a message)."""


def read_export(text: str, source: str) -> Iterator[Bounce | Unreadable]:
    """Every event of a JSON or CSV export; NotAnExport when `text` is neither."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        yield from _json_events(stripped, source)
    elif _is_sendgrid_csv(stripped):
        yield from _sendgrid_csv(stripped, source)
    else:
        raise NotAnExport(source)


def _json_events(text: str, source: str) -> Iterator[Bounce | Unreadable]:
    if too_deep(text):  # refused before the parser recurses into it
        yield Unreadable(source=source, problem=f"JSON nested deeper than {MAX_DEPTH} levels")
        return
    try:
        documents = [json.loads(text)]
    except RecursionError:
        yield Unreadable(source=source, problem="JSON nested too deeply")
        return
    except ValueError:
        documents = list(_json_lines(text, source))
    for number, document in enumerate(documents[:MAX_EVENTS], 1):
        where = source if len(documents) == 1 else f"{source}:{number}"
        if isinstance(document, Unreadable):
            yield document
            continue
        yield from _dispatch(document, where)


def _json_lines(text: str, source: str) -> Iterator[Any]:
    """JSON Lines (one event a line), as webhook logs keep them."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except (ValueError, RecursionError):
            yield Unreadable(
                source=f"{source}:{number}", problem="not JSON (nor a JSON export line)"
            )


def _dispatch(document: Any, source: str) -> Iterator[Bounce | Unreadable]:
    """One JSON document: an event, a list of events, or a vendor's page of events."""
    if isinstance(document, list):
        for index, item in enumerate(document[:MAX_EVENTS], 1):
            yield from _dispatch(item, f"{source}#{index}")
        return
    if not isinstance(document, dict):
        yield Unreadable(source=source, problem="JSON that is not an event")
        return
    for key in ("items", "Bounces"):  # Mailgun events API page, Postmark bounces API page
        if isinstance(document.get(key), list):
            yield from _dispatch(document[key], source)
            return
    reader = events.reader_for(document)
    if reader is None:
        yield Unreadable(
            source=source,
            problem="JSON of no known bounce export (SendGrid, Amazon SES, Mailgun, Postmark)",
        )
        return
    bounce = reader(document, source)
    if bounce is not None:
        yield bounce


_SENDGRID_COLUMNS = {"email", "reason"}


def _is_sendgrid_csv(text: str) -> bool:
    first = text.split("\n", 1)[0].lower()
    if "," not in first or ":" in first.split(",", 1)[0]:
        return False
    header = {c.strip().strip('"') for c in first.split(",")}
    return _SENDGRID_COLUMNS <= header or {"email", "status"} <= header


def _sendgrid_csv(text: str, source: str) -> Iterator[Bounce | Unreadable]:
    """SendGrid's bounce and block list exports: email, created, reason, status (type)."""
    rows = csv.DictReader(io.StringIO(text))
    for number, row in enumerate(rows, 2):
        if number > MAX_EVENTS:
            return
        cells = {
            (k or "").strip().lower(): (v or "").strip()
            for k, v in row.items()
            if isinstance(v, str)
        }
        if not cells.get("email"):
            yield Unreadable(source=f"{source}:{number}", problem="row without an email")
            continue
        yield sendgrid_row(cells, f"{source}:{number}")
