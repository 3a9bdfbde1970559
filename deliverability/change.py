"""A DNS edit that fixes a finding: one record added, replaced or removed, in zone-file form.

Checks propose changes (`verified=False`); `remedy.verify()` applies every change
proposed for the domain to the records the run saw, runs the affected checks again
and marks the set it offers `verified=True`. Renderers and `deliverability fix` write
the remediation text and the zone lines from these values, so the two cannot disagree.
"""

from __future__ import annotations

import dataclasses
import re
from enum import StrEnum

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from deliverability.lean import dataclass

MAX_STRING_BYTES = 255  # RFC 1035 3.3: a character-string is at most 255 octets
_CONTROL = re.compile("[\x00-\x1f\x7f]")
# quoted strings without escapes or controls, one space apart: txt_value's own form
_PLAIN_STRING = '"[^"\\\\\x00-\x1f\x7f\ud800-\udfff]*"'
_PLAIN_TXT = re.compile(f"{_PLAIN_STRING}(?: {_PLAIN_STRING})*")


class Action(StrEnum):
    """What a change does to the record set at `name`/`type`."""

    ADD = "add"
    REPLACE = "replace"
    REMOVE = "remove"


@dataclass(frozen=True, kw_only=True)
class Change:
    """One record edit. `old`/`new` are presentation form (TXT as quoted strings)."""

    name: str  # owner name, no trailing dot
    type: str
    action: Action
    old: str | None = None
    new: str | None = None
    ttl: int | None = None
    verified: bool = False
    note: str = ""

    @property
    def key(self) -> tuple[str, str, str, str | None, str | None]:
        """What makes two proposals the same edit (whatever their notes say)."""
        return (self.name.lower(), self.type, self.action.value, self.old, self.new)

    def zone_line(self, value: str) -> str:
        """`value` as the record line a zone file holds for this change's name and type."""
        ttl = f" {self.ttl}" if self.ttl is not None else ""
        return f"{self.name}.{ttl} IN {self.type} {value}"

    def describe(self) -> str:
        """One sentence: what to publish or delete, fit for a remediation list."""
        if self.action is Action.ADD:
            return f"Publish {self.zone_line(self.new or '')}"
        if self.action is Action.REMOVE:
            return f"Delete {self.zone_line(self.old or '')}"
        return f"Replace {self.zone_line(self.old or '')} with {self.zone_line(self.new or '')}"


def txt_value(text: str) -> str:
    """`text` as TXT rdata: quoted character-strings of at most 255 bytes each, split the
    way a zone file writes a long record (never inside a UTF-8 character)."""
    return " ".join(f'"{_escaped(chunk)}"' for chunk in _chunks(text.encode("utf-8")))


def _chunks(data: bytes) -> list[bytes]:
    chunks: list[bytes] = []
    start = 0
    while start < len(data) or not chunks:
        end = min(start + MAX_STRING_BYTES, len(data))
        while end < len(data) and end > start and (data[end] & 0xC0) == 0x80:
            end -= 1  # back off to the start of a UTF-8 sequence
        chunks.append(data[start:end])
        start = end
    return chunks


def _escaped(chunk: bytes) -> str:
    text = chunk.decode("utf-8").replace("\\", "\\\\").replace('"', '\\"')
    # a control character (a newline from a hostile record) as \DDD (RFC 1035 5.1), so
    # the value stays one line of a zone file and reads back as the same bytes
    return _CONTROL.sub(lambda m: f"\\{ord(m.group()):03d}", text)


def txt_change(
    name: str, old: str | None, new: str | None, *, ttl: int | None = None, note: str = ""
) -> Change:
    """The change that turns TXT record `old` at `name` into `new` (None: absent)."""
    action = Action.ADD if old is None else Action.REMOVE if new is None else Action.REPLACE
    return Change(
        name=name.rstrip(".").lower(),
        type="TXT",
        action=action,
        old=txt_value(old) if old is not None else None,
        new=txt_value(new) if new is not None else None,
        ttl=ttl,
        note=note,
    )


def sole_record(name: str, olds: list[str], new: str, rdtype: str = "TXT") -> tuple[Change, ...]:
    """The changes that leave `new` the one record at `name` in place of `olds` (all in
    presentation form): added when there are none, else the first replaced (kept when it
    is `new` already) and the others deleted."""
    name = name.rstrip(".").lower()
    if not olds:
        return (Change(name=name, type=rdtype, action=Action.ADD, new=new),)
    kept = [old for old in olds if old != new]
    removed = tuple(Change(name=name, type=rdtype, action=Action.REMOVE, old=o) for o in kept)
    if len(kept) < len(olds):
        return removed
    return (dataclasses.replace(removed[0], action=Action.REPLACE, new=new), *removed[1:])


def txt_strings(presented: str) -> tuple[bytes, ...]:
    """The character-strings of a TXT record in presentation form (`"a" "b"`), as
    dnspython reads them; ValueError when it would refuse the text. The form txt_value
    writes (quoted strings, no escapes, one space between) is split without its
    tokenizer, which cost more than a bulk run's own SPF and DMARC parsing."""
    if _PLAIN_TXT.fullmatch(presented):
        strings = tuple(s.encode("utf-8") for s in presented[1:-1].split('" "'))
        if all(len(s) <= MAX_STRING_BYTES for s in strings):
            return strings
    try:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, presented)
    except (dns.exception.DNSException, ValueError) as exc:
        raise ValueError(str(exc)) from None
    return tuple(rdata.strings)  # type: ignore[attr-defined]


def joined_txt(presented: str) -> str:
    """TXT presentation (`"a" "b"`) back to its strings joined (RFC 7208 3.3); '' if unusable."""
    try:
        strings = txt_strings(presented)
    except ValueError:
        return ""
    return b"".join(strings).decode("utf-8", "replace")
