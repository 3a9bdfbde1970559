"""Read one message that came back: a delivery status notification (RFC 3464), an ARF
complaint report (RFC 5965), an automatic reply (RFC 3834), or a human-readable bounce.

Untrusted input: the size is capped before this is called, the MIME tree is read to
MAX_PARTS parts, a message naming more boundaries than that is refused before parsing
(the standard parser recurses per nesting level), and bodies are read up to a cap.
"""

from __future__ import annotations

import email.header
import email.utils
import re
from dataclasses import replace
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32

from deliverability.checks.bounce import arf
from deliverability.checks.bounce.codes import reply_code
from deliverability.checks.bounce.dsn import read_delivery_status
from deliverability.checks.bounce.human import MAX_RECIPIENTS, MAX_TEXT, read_text
from deliverability.checks.bounce.model import Bounce, Kind, Original, Recipient, Unreadable

MAX_PARTS = 200
MAX_HEADER_LINES = 5000  # a real bounce has well under 200; the parser's lookups scan them all
_BOUNDARIES = re.compile(rb"boundary\s*=", re.I)
_DAEMON = re.compile(r"mailer-daemon|postmaster|mail delivery (system|subsystem)", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (status|failure|has failed|failed|notification)|"
    r"returned mail|failure notice|non-?delivery|could not be delivered",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|out of (the )?office|"
    r"abwesenheit|absence|r[ée]ponse automatique|vacation)",
    re.I,
)


class _RawHeaders(Compat32):
    """compat32 (fast) that hands header values back as parsed, 8-bit bytes still escaped:
    compat32 itself turns them into U+FFFD (see unescape())."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_POLICY = _RawHeaders()
# The warnings MTAs send while they still retry (Postfix, Exim, Sendmail): not yet a failure.
_DELAY_WARNING = re.compile(
    r"warning only|will (be retried|continue trying|keep trying)|attempts will continue|"
    r"still being retried|has been delayed|delivery (is )?delayed",
    re.I,
)
_TAGS = re.compile(r"<[^>]{0,2000}>")


def read_message(data: bytes, source: str) -> Bounce | Unreadable:
    """One message as a Bounce, or why it cannot be read."""
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # LF, CRLF and CR files alike
    end = data.find(b"\n\n")
    if data.count(b"\n", 0, end if end >= 0 else len(data)) > MAX_HEADER_LINES:
        return Unreadable(source=source, problem=f"more than {MAX_HEADER_LINES:,} header lines")
    if len(_BOUNDARIES.findall(data)) > MAX_PARTS:
        return Unreadable(
            source=source, problem=f"more than {MAX_PARTS} MIME boundaries (too deeply nested)"
        )
    try:
        message = BytesParser(policy=_POLICY).parsebytes(data)
    except (RecursionError, ValueError, LookupError, TypeError) as exc:
        return Unreadable(source=source, problem=f"not a readable message ({type(exc).__name__})")
    if not message.keys():
        return Unreadable(source=source, problem="no header fields: not a message")
    return _bounce(message, source)


def _bounce(message: Message, source: str) -> Bounce:
    parts = _parts(message)
    sender = _address(message.get("To"))
    base = Bounce(
        kind=Kind.NOT_A_BOUNCE,
        format="unknown",
        source=source,
        sender=sender,
        original=_original(parts),
    )
    status = next((p for p in parts if p.get_content_type() in _DSN_TYPES), None)
    if status is not None:
        return _from_dsn(status, parts, base)
    feedback = next((p for p in parts if p.get_content_type() == "message/feedback-report"), None)
    if feedback is not None:
        return arf.read_feedback(_text(feedback), base)
    if _is_auto_reply(message):
        sender_of_reply = Recipient(address=_address(message.get("From")))
        return replace(
            base, kind=Kind.AUTO_REPLY, format="auto-reply", recipients=(sender_of_reply,)
        )
    return _from_text(message, parts, base)


_DSN_TYPES = ("message/delivery-status", "message/global-delivery-status")


def _from_dsn(status: Message, parts: list[Message], base: Bounce) -> Bounce:
    read = read_delivery_status(_text(status), MAX_RECIPIENTS)
    human = read_text(_human_text(parts), _exclude(base.sender))
    by_address = {f.address.lower(): f for f in human.recipients if f.address}
    recipients = tuple(
        r
        if r.diagnostic or not r.address or r.address.lower() not in by_address
        else _with_text(r, by_address[r.address.lower()].diagnostic)
        for r in read.recipients
    )
    return replace(
        base,
        kind=Kind.BOUNCE,
        format="rfc3464",
        reporting_mta=_host(read.reporting_mta),
        mta=human.mta,
        recipients=recipients,
    )


def _with_text(recipient: Recipient, diagnostic: str | None) -> Recipient:
    return replace(recipient, diagnostic=diagnostic, reply_code=reply_code(diagnostic))


def _from_text(message: Message, parts: list[Message], base: Bounce) -> Bounce:
    text = _human_text(parts)
    human = read_text(text, _exclude(base.sender))
    failed = [a.strip() for a in (message.get("X-Failed-Recipients") or "").split(",") if a.strip()]
    looks = bool(failed) or _looks_like_bounce(message) or human.mta is not None
    found = [f for f in human.recipients if f.address or f.diagnostic]
    if not looks or not found:
        return base
    action = "delayed" if _DELAY_WARNING.search(text[:MAX_TEXT]) else "failed"
    recipients = tuple(
        Recipient(
            address=f.address, remote_mta=f.remote_mta, diagnostic=f.diagnostic, action=action
        )
        for f in found
    )
    return replace(
        base,
        kind=Kind.BOUNCE,
        format="mta-text",
        reporting_mta=human.reporting_mta,
        mta=human.mta,
        recipients=recipients,
    )


def _parts(message: Message) -> list[Message]:
    found = []
    for part in message.walk():
        found.append(part)
        if len(found) >= MAX_PARTS:
            break
    return found


def _text(part: Message) -> str:
    """A leaf part's text (transfer encoding undone), or the fields of a parsed message part."""
    payload = part.get_payload()
    if isinstance(payload, list):  # message/*: the parser split it into messages
        return "\n\n".join(_header_block(sub) for sub in payload if isinstance(sub, Message))
    raw = part.get_payload(decode=True)
    data = raw if isinstance(raw, bytes) else str(payload).encode("utf-8", "replace")
    return (
        data[: MAX_TEXT * 4].decode(part.get_content_charset() or "utf-8", "replace")
        if _known_charset(part)
        else data[: MAX_TEXT * 4].decode("utf-8", "replace")
    )


def _header_block(message: Message) -> str:
    fields = "\n".join(f"{name}: {unescape(str(value))}" for name, value in message.items())
    body = message.get_payload()
    return fields + ("\n" + body if isinstance(body, str) and body.strip() else "")


def _known_charset(part: Message) -> bool:
    import codecs

    try:
        codecs.lookup(part.get_content_charset() or "utf-8")
    except LookupError:
        return False
    return True


def _human_text(parts: list[Message]) -> str:
    """The first text/plain part outside an attached message, else text/html stripped."""
    top = [p for p in _own_parts(parts) if not p.is_multipart()]
    plain = next((p for p in top if p.get_content_type() == "text/plain"), None)
    if plain is not None:
        return _text(plain)
    html = next((p for p in top if p.get_content_type() == "text/html"), None)
    return _TAGS.sub(" ", _text(html)).replace("&nbsp;", " ") if html is not None else ""


def _own_parts(parts: list[Message]) -> list[Message]:
    """The parts before the first attached message (message/rfc822 and what is inside it)."""
    for index, part in enumerate(parts):
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            return parts[:index]
    return parts


def _original(parts: list[Message]) -> Original:
    attached = next(
        (p for p in parts if p.get_content_type() in ("message/rfc822", "text/rfc822-headers")),
        None,
    )
    if attached is None:
        return Original()
    payload = attached.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        headers = payload[0]
    else:
        raw = attached.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else b""
        headers = BytesParser(policy=_POLICY).parsebytes(data[: MAX_TEXT * 4], headersonly=True)
    return Original(
        message_id=_decoded(headers.get("Message-ID")),
        from_=_address(headers.get("From")),
        to=_address(headers.get("To")),
        subject=_decoded(headers.get("Subject")),
    )


def _is_auto_reply(message: Message) -> bool:
    """RFC 3834 3.1.7 Auto-Submitted: auto-replied, or the headers auto-responders add."""
    if _looks_like_bounce(message):
        return False
    auto = (message.get("Auto-Submitted") or "").strip().lower()
    return (
        auto.startswith("auto-replied")
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
        or (message.get("Precedence") or "").strip().lower() == "auto_reply"
        or bool(_AUTO_SUBJECT.match(_decoded(message.get("Subject")) or ""))
    )


def _looks_like_bounce(message: Message) -> bool:
    sender = str(message.get("From") or "")
    return bool(
        _DAEMON.search(sender) or _BOUNCE_SUBJECT.search(_decoded(message.get("Subject")) or "")
    )


def _decoded(value: object) -> str | None:
    """A header value with RFC 2047 words decoded, on one line; None when absent."""
    if value is None:
        return None
    raw = unescape(str(value))
    try:
        text = str(email.header.make_header(email.header.decode_header(raw)))
    except (ValueError, LookupError, UnicodeError):
        text = raw
    return " ".join(text.split())[:998] or None


def unescape(value: str) -> str:
    """Raw 8-bit header bytes (surrogate escapes from the parser) as UTF-8, else Windows-1252."""
    data = value.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _address(value: object) -> str | None:
    if value is None:
        return None
    pairs = email.utils.getaddresses([str(value)])
    return next((addr for _, addr in pairs if "@" in addr), None)


def _exclude(sender: str | None) -> frozenset[str]:
    return frozenset({sender.lower()}) if sender else frozenset()


def _host(value: str | None) -> str | None:
    return value.split()[0].strip("[]").rstrip(".").lower() if value else None
