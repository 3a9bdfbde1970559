"""The report documents inside one input: XML, gzip, zip, a report email, an mbox.

What a file is comes from its first bytes, not its name (reporters name files
freely). Decompression is capped: a gzip or zip member that inflates past
MAX_XML_BYTES is refused as a bomb before it is held in memory, and containers nest
at most MAX_DEPTH deep (an email holding a zip holding a gzip).
"""

from __future__ import annotations

import email
import email.policy
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from email.message import Message

from deliverability.checks.dmarc_reports.parse import looks_like_xml

MAX_XML_BYTES = (
    64 * 1024 * 1024
)  # the largest real reports (big receivers, a busy day) are a few MB
MAX_ZIP_MEMBERS = 64
MAX_MESSAGES = 100_000  # per mbox
MAX_PARTS = 64  # MIME parts looked at per message
MAX_DEPTH = 4
_CHUNK = 1024 * 1024
_HEADER_LINE = re.compile(rb"^[A-Za-z0-9-]{1,76}:")
_MBOX_SPLIT = re.compile(rb"^From [^\r\n]*\r?\n", re.MULTILINE)


class Unreadable(Exception):
    """An input holds no report document (the message is one line why)."""


def documents(data: bytes, depth: int = 0) -> Iterator[bytes]:
    """Every XML document `data` holds; Unreadable when it is none of the known kinds."""
    if depth > MAX_DEPTH:
        raise Unreadable("containers nested too deep")
    if data[:2] == b"\x1f\x8b":
        yield from documents(gunzip(data), depth + 1)
    elif data[:4] == b"PK\x03\x04":
        for member in unzip(data):
            yield from documents(member, depth + 1)
    elif looks_like_xml(data):
        yield data
    elif data[:5] == b"From ":
        yield from _mbox(data, depth)
    elif _HEADER_LINE.match(data):
        yield from _attachments(data, depth)
    else:
        raise Unreadable("not XML, gzip, zip, an email or an mbox")


def gunzip(data: bytes) -> bytes:
    """The gzip member(s) in `data` inflated, refused past MAX_XML_BYTES."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    out, rest = bytearray(), data
    try:
        while rest:
            out += inflater.decompress(rest, MAX_XML_BYTES + 1 - len(out))
            _refuse_past_cap(len(out), "gzip")
            rest = inflater.unconsumed_tail
            if inflater.eof:  # concatenated gzip members (RFC 1952 2.2) inflate one after another
                rest, inflater = inflater.unused_data, zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
                rest = rest if rest.strip(b"\0") else b""
    except zlib.error as exc:
        raise Unreadable(f"broken gzip data ({exc})") from None
    return bytes(out)


def unzip(data: bytes) -> Iterator[bytes]:
    """Each member of a zip archive, each inflated under the cap (sizes in headers not trusted)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Unreadable(f"broken zip archive ({exc})") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise Unreadable(f"zip archive of {len(members)} files (over {MAX_ZIP_MEMBERS}): refused")
    for member in members:
        yield _read_member(archive, member)


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    out = bytearray()
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(_CHUNK):
                out += chunk
                _refuse_past_cap(len(out), "zip member")
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, zlib.error) as exc:
        raise Unreadable(f"broken zip member {member.filename[:60]!r} ({exc})") from None
    return bytes(out)


def _refuse_past_cap(size: int, what: str) -> None:
    if size > MAX_XML_BYTES:
        raise Unreadable(
            f"{what} inflates past {MAX_XML_BYTES // 2**20} MiB: refused "
            "(a decompression bomb, or not a DMARC report)"
        )


def _mbox(data: bytes, depth: int) -> Iterator[bytes]:
    messages = [m for m in _MBOX_SPLIT.split(data) if m.strip()][:MAX_MESSAGES]
    found = False
    for message in messages:
        try:
            parts = list(_attachments(message, depth))
        except Unreadable:
            continue  # an mbox also holds mail that is not a report
        found = True
        yield from parts
    if not found:
        raise Unreadable(f"mbox of {len(messages)} messages, none with a DMARC report attached")


def _attachments(raw: bytes, depth: int) -> Iterator[bytes]:
    """The report documents attached to one email (RFC 7489 7.2.1.1: gzip, zip or XML parts)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    found = False
    for part in list(message.walk())[:MAX_PARTS]:
        payload = _payload(part)
        if payload is None:
            continue
        try:
            documents_in_part = list(documents(payload, depth + 1))
        except Unreadable:
            continue
        found = True
        yield from documents_in_part
    if not found:
        raise Unreadable("an email with no DMARC report attached")


def _payload(part: Message) -> bytes | None:
    if part.is_multipart():
        return None
    kind = part.get_content_type()
    named = part.get_filename() is not None
    if not named and not kind.startswith(("application/", "text/xml")):
        return None  # the human-readable text part
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) and payload else None
