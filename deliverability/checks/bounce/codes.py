"""Codes in diagnostic text: the SMTP reply code (RFC 5321 4.2) and the enhanced status
code (RFC 3463), and the bits of context a rejection names (an IP, a blocklist zone)."""

from __future__ import annotations

import re

MAX_DIAGNOSTIC = 2000  # characters of diagnostic text kept and classified
# "smtp; 550-5.1.1 text" / "550 5.1.1 text" / "550 text" / "5.1.1 text"
_REPLY = re.compile(r"(?<![\d.])([245][0-5]\d)(?:[ -]|$)(?:\s*#?([245]\.\d{1,3}\.\d{1,3})\b)?")
_STATUS = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.]*\d)")
_LEAD = re.compile(r"^([245]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})\b)?")
_DIAG_TYPE = re.compile(r"^\s*(smtp|x-[\w-]+|unix|x-postfix|x-unix)\s*;\s*", re.I)
_CLIENT = re.compile(
    r"(?:client host|from|IP|address|host)\s*[:=]?\s*\[?((?:\d{1,3}\.){3}\d{1,3})\]?", re.I
)
_ZONE = re.compile(
    r"\b((?:[a-z0-9-]+\.)+(?:spamhaus\.org|spamcop\.net|barracudacentral\.org|"
    r"surriel\.com|mailspike\.net|uceprotect\.net|surbl\.org|uribl\.com|"
    r"sorbs\.net))\b",
    re.I,
)


def diagnostic_text(value: str | None) -> str | None:
    """Diagnostic-Code text without its type ("smtp; "), on one line, capped; None if empty."""
    if not value:
        return None
    text = _joined_reply(_DIAG_TYPE.sub("", " ".join(value.split())))
    return text[:MAX_DIAGNOSTIC] or None


def _joined_reply(text: str) -> str:
    """A multiline reply on one line: RFC 5321 4.2.1 repeats "550-5.7.26 " on every line but
    the last; keep the text once, led by "550 5.7.26"."""
    lead = _LEAD.match(text)
    if lead is None:
        return text
    code, status = lead.group(1), lead.group(2)
    prefix = re.escape(code) + r"[ -]" + (rf"(?:{re.escape(status)}\s*)?" if status else "")
    body = re.sub(rf"(?:^|\s){prefix}", " ", text).strip()
    return f"{code} {status + ' ' if status else ''}{body}".strip()


def reply_code(text: str | None) -> str | None:
    """The three-digit reply code the text starts with (or carries first), or None."""
    if not text:
        return None
    match = _REPLY.search(text[:200])
    return match.group(1) if match else None


def status_code(text: str | None) -> str | None:
    """The first enhanced status code in the text ("5.1.1"), or None."""
    if not text:
        return None
    match = _STATUS.search(text)
    return match.group(1) if match else None


def valid_status(value: str | None) -> str | None:
    """An RFC 3464 Status field's code, or None when it is not one."""
    if not value:
        return None
    match = _STATUS.match(value.strip())
    return match.group(1) if match else None


def client_ip(text: str) -> str | None:
    """The sending IP a rejection names ("Client host [192.0.2.1]"), or None."""
    match = _CLIENT.search(text)
    return match.group(1) if match and _plausible_ipv4(match.group(1)) else None


def blocklist_zone(text: str) -> str | None:
    """The DNS blocklist zone a rejection names ("zen.spamhaus.org"), or None."""
    match = _ZONE.search(text)
    if match:
        return match.group(1).lower()
    return next((zone for name, zone in _NAMED_LISTS if name in text.lower()), None)


# Lists a rejection names by title rather than zone.
_NAMED_LISTS = (
    ("barracuda reputation", "b.barracudacentral.org"),
    ("spamcop", "bl.spamcop.net"),
    ("spamhaus", "zen.spamhaus.org"),
)


def _plausible_ipv4(text: str) -> bool:
    return all(part.isdigit() and int(part) < 256 for part in text.split("."))
