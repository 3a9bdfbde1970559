"""Read a message (or a pasted header block) safely into ordered, unfolded header fields.

Parsing uses the standard library's `email` package (policy `default`) and never
trusts the input: the size is capped, undecodable bytes become U+FFFD, a header
field longer than MAX_FIELD_CHARS is cut for analysis (DKIM still sees the raw
bytes), and input without any header field is refused with a one-line reason.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
from collections.abc import Iterable
from dataclasses import field
from email.parser import BytesParser
from typing import Any

from deliverability.lean import dataclass

MAX_BYTES = 10 * 1024 * 1024  # messages past this are refused, not read
MAX_FIELD_CHARS = 64 * 1024  # a header field is analysed up to this length
# RFC 5321 6.3: 100 Received fields means a loop; trace fields past this are not analysed.
MAX_TRACE_FIELDS = 100
_TRACE = ("received", "authentication-results")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_SEPARATOR = re.compile(rb"\r?\n\r?\n")
# What a paste brings before the first field: blank lines, and the title line of Outlook's
# "Internet headers" view. Only these are dropped: any other leading text is not guessed at.
_PASTE_PREAMBLE = re.compile(
    rb"\A(?:[ \t]*\r?\n)*(?:Microsoft Mail Internet Headers Version 2\.0[ \t]*\r?\n)?"
)


class MessageError(Exception):
    """The input cannot be read as a message; the text is one line for the user."""


@dataclass(frozen=True, kw_only=True)
class Header:
    """One header field: its name, unfolded value, and position (0 = topmost)."""

    name: str
    value: str
    index: int

    @property
    def key(self) -> str:
        """The name in lower case, for comparisons."""
        return self.name.lower()


@dataclass(frozen=True, kw_only=True)
class ParsedMessage:
    """A message as read: raw bytes (for DKIM), its header fields in order, what was odd."""

    raw: bytes
    headers: tuple[Header, ...]
    has_body: bool
    defects: tuple[str, ...] = field(default=())

    def named(self, name: str) -> list[Header]:
        """Every field called `name`, topmost first."""
        key = name.lower()
        return [h for h in self.headers if h.key == key]

    def first(self, name: str) -> str | None:
        """The value of the topmost field called `name`, or None."""
        found = self.named(name)
        return found[0].value if found else None

    def addresses(self, name: str) -> list[str]:
        """The addr-specs in every `name` field (From, Reply-To, Return-Path)."""
        values = [h.value for h in self.named(name)]
        return [addr for _, addr in email.utils.getaddresses(values) if "@" in addr]


def read_message(data: bytes) -> ParsedMessage:
    """Parse `data`; MessageError when it is too large or holds no header field."""
    if len(data) > MAX_BYTES:
        raise MessageError(
            f"the message is {len(data):,} bytes; the limit is {MAX_BYTES:,} (10 MB)"
        )
    data = _PASTE_PREAMBLE.sub(b"", data, count=1)
    if b"\x00" in data[:4096] and not _looks_like_headers(data):
        raise MessageError("the input is binary, not an RFC 5322 message")
    parsed = BytesParser(policy=email.policy.default).parsebytes(data)
    headers, defects = _headers(parsed.raw_items())
    if not headers:
        raise MessageError("no header fields found; give the whole message or its header block")
    defects += [type(d).__name__ for part in parsed.walk() for d in part.defects]
    defects += _too_many_trace_fields(headers)
    return ParsedMessage(
        raw=data, headers=tuple(headers), has_body=_has_body(data), defects=tuple(defects)
    )


def _headers(items: Iterable[tuple[str, Any]]) -> tuple[list[Header], list[str]]:
    headers: list[Header] = []
    defects: list[str] = []
    for index, (name, raw_value) in enumerate(items):
        value = _text(str(raw_value))
        if len(value) > MAX_FIELD_CHARS:
            defects.append(
                f"{_text(name)} is {len(value):,} characters; analysed the first "
                f"{MAX_FIELD_CHARS:,}"
            )
            value = value[:MAX_FIELD_CHARS]
        headers.append(Header(name=_text(name), value=value, index=index))
    return headers, defects


def _too_many_trace_fields(headers: list[Header]) -> list[str]:
    counts = {name: sum(h.key == name for h in headers) for name in _TRACE}
    return [
        f"{count} {name} fields; analysed the topmost {MAX_TRACE_FIELDS}"
        for name, count in counts.items()
        if count > MAX_TRACE_FIELDS
    ]


def _text(raw: str) -> str:
    """Unfold and turn undecodable bytes (surrogate escapes) into U+FFFD."""
    unfolded = _FOLD.sub("", raw).strip()
    return unfolded.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _has_body(data: bytes) -> bool:
    match = _SEPARATOR.search(data)
    return match is not None and bool(data[match.end() :].strip())


def _looks_like_headers(data: bytes) -> bool:
    first_line = data.split(b"\n", 1)[0]
    return re.match(rb"^[!-9;-~]+:", first_line) is not None
