"""Authentication-Results (RFC 8601) parsed, and which of them the receiver wrote.

    Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=a.example
        (sender IP is 192.0.2.1); dkim=pass header.d=a.example; dmarc=pass

Only the receiving system's field is trusted: the topmost one, when it sits above
the Received field of the sender's last host. A sender can write anything lower
down (RFC 8601 section 5 has receivers delete fields that carry their own
authserv-id); those are reported, not believed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import field

from deliverability.checks.message.parse import Header
from deliverability.lean import dataclass

_PAIR = re.compile(r'([A-Za-z0-9_.\-/]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)')
_COMMENT_IP = re.compile(
    r"(?i)(?:sender IP is|designates|does not designate|client-ip=|permitted sender\)?)\s*"
    r"\[?([0-9A-Fa-f:.]{7,45})\]?"
)


@dataclass(frozen=True, kw_only=True)
class MethodResult:
    """One resinfo: `method=result reason=... ptype.property=value (comment)`."""

    method: str
    result: str
    reason: str | None = None
    properties: dict[str, str] = field(default_factory=dict)
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class AuthResults:
    """One Authentication-Results field."""

    authserv_id: str
    results: tuple[MethodResult, ...]
    header_index: int
    raw: str

    def first(self, method: str) -> MethodResult | None:
        """The first result for `method` (spf, dkim, dmarc, arc, compauth...)."""
        return next((r for r in self.results if r.method == method), None)


def parse_authres(value: str, header_index: int = 0) -> AuthResults:
    """Parse one field value; unparseable parts are skipped, never guessed."""
    segments = _split(value, ";")
    words = _mask(segments[0]).split() if segments else []
    # Microsoft 365 writes no authserv-id: the field starts with `spf=...`.
    has_id = bool(words) and "=" not in words[0]
    authserv_id = words[0] if has_id else ""
    resinfos = segments[1:] if has_id else segments
    results = tuple(r for r in (_resinfo(s) for s in resinfos) if r is not None)
    return AuthResults(
        authserv_id=authserv_id.lower(), results=results, header_index=header_index, raw=value
    )


def _resinfo(segment: str) -> MethodResult | None:
    masked = _mask(segment)
    pairs = [(m.group(1).lower(), m.group(2).strip('"')) for m in _PAIR.finditer(masked)]
    if not pairs or pairs[0][0] in ("reason",):
        return None
    method, result = pairs[0][0].split("/", 1)[0], pairs[0][1].lower()
    rest = dict(pairs[1:])
    reason = rest.pop("reason", None)
    comment = " ".join(_comments(segment))
    return MethodResult(
        method=method, result=result, reason=reason, properties=rest, comment=comment
    )


def _mask(text: str) -> str:
    """Blank out comments (nested parentheses), keep quoted strings, same length."""
    depth, quoted, out = 0, False, []
    for ch in text:
        if ch == '"' and not depth:
            quoted = not quoted
        if ch == "(" and not quoted:
            depth += 1
        out.append(" " if depth else ch)
        if ch == ")" and depth and not quoted:
            depth -= 1
    return "".join(out)


def _comments(text: str) -> list[str]:
    masked = _mask(text)
    parts, current = [], []
    for ch, kept in zip(text, masked, strict=True):
        if kept == " " and ch != " ":
            current.append(ch)
        elif current:
            parts.append("".join(current).strip("() "))
            current = []
    if current:
        parts.append("".join(current).strip("() "))
    return [p for p in parts if p]


def _split(text: str, sep: str) -> list[str]:
    masked = _mask(text)
    pieces, start = [], 0
    for i, ch in enumerate(masked):
        if ch == sep:
            pieces.append(text[start:i])
            start = i + 1
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]


def stated_ip(results: list[AuthResults]) -> str | None:
    """The connecting IP the receiver wrote in its results (comment or property), if any."""
    for fields in results:
        for result in fields.results:
            for text in (
                result.comment,
                result.properties.get("smtp.remote-ip", ""),
                result.properties.get("policy.iprev", ""),
            ):
                ip = _ip(text)
                if ip:
                    return ip
    return None


def _ip(text: str) -> str | None:
    candidates = [m.group(1) for m in _COMMENT_IP.finditer(text)] + [text.strip()]
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate.strip("[]")))
        except ValueError:
            continue
    return None


@dataclass(frozen=True, kw_only=True)
class ReceiverResults:
    """The fields written by the receiver, and the ones not trusted."""

    authserv_id: str | None
    trusted: tuple[AuthResults, ...]
    untrusted: tuple[AuthResults, ...]

    def result(self, method: str) -> MethodResult | None:
        """The receiver's result for `method`: a pass if any (one dkim result per signature)."""
        found = [r for f in self.trusted for r in f.results if r.method == method]
        return next((r for r in found if r.result == "pass"), found[0] if found else None)


def receiver_results(fields: list[Header], boundary: int | None) -> ReceiverResults:
    """The receiver's field is the topmost one, if it sits above `boundary`.

    `boundary` is the position of the Received field the sender's last host wrote
    (the hop below the hand-off): anything under it came with the message. Receivers
    write their results next to their own Received field (above it, or just below it
    as Gmail and Microsoft 365 do), so only the topmost field is the receiver's; any
    other field is reported and not believed.
    """
    parsed = [parse_authres(h.value, h.index) for h in fields]
    if not parsed or (boundary is not None and parsed[0].header_index > boundary):
        return ReceiverResults(authserv_id=None, trusted=(), untrusted=tuple(parsed))
    return ReceiverResults(
        authserv_id=parsed[0].authserv_id, trusted=(parsed[0],), untrusted=tuple(parsed[1:])
    )
