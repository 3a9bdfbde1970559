"""The Received chain (RFC 5321 4.4) as hops, oldest first, with delays and the hand-off.

Each Received field is written by the host that accepted the message: `from` is
the host it came from (with the IP it recorded in the comment), `by` is the host
itself, `with` the protocol (ESMTPS: TLS), and after the last `;` the time.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
from datetime import UTC, datetime

from deliverability.checks.message.receivers import ReceiverHops
from deliverability.lean import dataclass

_CLAUSE = re.compile(r"(?i)(?:^|\s)(from|by|via|with|id|for)\s+")
_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]")
_PAREN_IP = re.compile(r"\(\s*([0-9A-Fa-f:.]+)\s*\)")  # Microsoft: "host (2603:10b6::14)"
_BARE_IPV4 = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
_TLS = (
    re.compile(r"(?i)\bversion=(TLS[\w.]+)"),
    re.compile(r"(?i)\busing\s+(TLSv?[\d.]+)"),
    re.compile(r"(?i)\b(TLSv?1(?:[._]\d)?)\b"),  # TLSv1.3, TLS1.3 (Exim), TLS1_2
    re.compile(r"(?i)\bwith\s+(E?SMTPS\w*|UTF8SMTPS\w*|LMTPS\w*)"),
)
_FRACTION = re.compile(r"(\d{1,2}:\d{2}:\d{2})\.\d+")  # 13:35:36.270 -> 13:35:36
_GO_TIME = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2})(?:\.\d+)?"
    r"\s*(?P<zone>[+-]\d{2}:?\d{2}|Z)(?:\s+\(?[A-Z]{1,5}\)?)?"
)
# Hops inside one organization usually use these; the receiver's hand-off does not.
_INTERNAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


@dataclass(frozen=True, kw_only=True)
class Hop:
    """One Received field: who handed the message to whom, when, how."""

    from_host: str | None
    by: str | None
    ip: str | None
    with_: str | None
    tls: str | None
    time: datetime | None
    header_index: int  # position of the Received field among all fields

    def delay_after(self, earlier: Hop | None) -> float | None:
        """Seconds since the previous hop, when both carry a time."""
        if earlier is None or self.time is None or earlier.time is None:
            return None
        return (self.time - earlier.time).total_seconds()


def parse_received(value: str, header_index: int = 0) -> Hop:
    """One Received field value as a Hop; missing parts are None."""
    clauses_text, _, date_text = value.rpartition(";") if ";" in value else (value, "", "")
    clauses = _clauses(clauses_text)
    from_clause = clauses.get("from", "")
    return Hop(
        from_host=_first_word(from_clause),
        by=_first_word(clauses.get("by", "")),
        ip=_ip_in(from_clause),
        with_=_first_word(clauses.get("with", "")),
        tls=_tls(value),
        time=_time(date_text),
        header_index=header_index,
    )


def is_internal(ip: str) -> bool:
    """Private, loopback or link-local: an address inside someone's network."""
    address = ipaddress.ip_address(ip)
    return any(address in net for net in _INTERNAL if net.version == address.version)


def _mask_comments(text: str) -> str:
    """`text` with everything inside (possibly nested) parentheses blanked, same length."""
    depth, out = 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        out.append(" " if depth else ch)
        if ch == ")" and depth:
            depth -= 1
    return "".join(out)


def _clauses(text: str) -> dict[str, str]:
    masked = _mask_comments(text)
    matches = list(_CLAUSE.finditer(masked))
    clauses: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=False):
        end = following.start() if following else len(text)
        clauses.setdefault(match.group(1).lower(), text[match.end() : end].strip())
    return clauses


def _first_word(clause: str) -> str | None:
    word = _mask_comments(clause).split()
    return word[0].strip("<>[]") if word else None


def _ip_in(clause: str) -> str | None:
    for pattern in (_BRACKET_IP, _PAREN_IP, _BARE_IPV4):
        for candidate in pattern.findall(clause):
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                continue
    return None


def _tls(value: str) -> str | None:
    for pattern in _TLS:
        match = pattern.search(value)
        if match:
            return match.group(1)
    return None


def _time(text: str) -> datetime | None:
    """An RFC 5322 3.3 date, or the forms real relays write: fractional seconds, Go's ISO."""
    text = text.strip()
    iso = _GO_TIME.fullmatch(text)
    if iso:  # SendGrid (Go): 2018-03-26 13:35:36.270951634 +0000 UTC
        text = f"{iso['date']}T{iso['time']}{iso['zone']}"
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    try:
        when = email.utils.parsedate_to_datetime(_FRACTION.sub(r"\1", text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def hops_oldest_first(received: list[tuple[int, str]]) -> list[Hop]:
    """Received fields (index, value), topmost first, as hops from the origin onwards."""
    return [parse_received(value, index) for index, value in reversed(received)]


def handoff(
    hops: list[Hop], connecting_ip: str | None, receiver: ReceiverHops | None = None
) -> Hop | None:
    """The hop where the receiver accepted the message from the sender's last host.

    The receiver's own statement of the connecting IP wins; otherwise the newest hop
    whose sending address is not internal (receivers relay inside on private ranges),
    skipping the relays of a known `receiver` (Exchange Online's own hosts).
    """
    newest_first = list(reversed(hops))
    if connecting_ip is not None:
        return next((h for h in newest_first if h.ip == connecting_ip), None)
    outside = [h for h in newest_first if h.ip and not is_internal(h.ip)]
    if receiver is not None:
        theirs = [h for h in outside if not (receiver.wrote(h.from_host) or receiver.owns(h.ip))]
        outside = theirs or outside  # all hops the receiver's: mail between its own users
    return outside[0] if outside else None
