"""Edit a zone file's text the way an admin would: only the records a change names.

    patched_text(text, origin, changes) -> (new text, changes it could not place)

Each record is found by reading the file one entry at a time (a line, or a
parenthesized group of lines) with the owner it inherits, so comments, blank
lines, spacing and every untouched record stay byte for byte. A replaced record
keeps its owner, TTL and class fields; an added one goes at the end; the SOA
serial goes up by one when the file has an SOA. Pure text in, text out.
"""

from __future__ import annotations

import difflib
import re

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.zone

from deliverability.change import Change
from deliverability.lean import dataclass

MAX_LINES = 100_000


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One record of the file: its lines [first, last], owner, type and parsed rdata."""

    first: int
    last: int
    name: dns.name.Name
    rdtype: int
    rdata: object


def entries(text: str, origin: dns.name.Name) -> list[Entry]:
    """Every record of the zone text, with the lines it spans."""
    lines = text.splitlines()[:MAX_LINES]
    found: list[Entry] = []
    owner, index = "@", 0
    while index < len(lines):
        last = _group_end(lines, index)
        chunk = " ".join(_uncommented(line) for line in lines[index : last + 1])
        head = lines[index]
        if head.upper().startswith("$ORIGIN"):
            origin = dns.name.from_text(head.split()[1], origin)
        elif chunk.strip() and not head.startswith("$"):
            if not head[:1].isspace():
                owner = head.split()[0]
            entry = _parsed(chunk if not head[:1].isspace() else owner + chunk, origin, index, last)
            if entry is not None:
                found.append(entry)
        index = last + 1
    return found


def _uncommented(line: str) -> str:
    out, quoted, escaped = [], False, False
    for char in line:
        if char == ";" and not quoted:
            break
        out.append(char)
        if char == '"' and not escaped:
            quoted = not quoted
        escaped = char == "\\" and not escaped
    return "".join(out)


def _group_end(lines: list[str], index: int) -> int:
    depth = 0
    for last in range(index, len(lines)):
        text = re.sub(r'"(?:\\.|[^"\\])*"', "", _uncommented(lines[last]))
        depth += text.count("(") - text.count(")")
        if depth <= 0:
            return last
    return len(lines) - 1


def _parsed(chunk: str, origin: dns.name.Name, first: int, last: int) -> Entry | None:
    try:
        zone = dns.zone.from_text(
            f"$TTL 3600\n{chunk}\n", origin=origin, relativize=False, check_origin=False
        )
    except (dns.exception.DNSException, ValueError):
        return None
    for name, rdataset in zone.iterate_rdatasets():
        for rdata in rdataset:
            return Entry(first=first, last=last, name=name, rdtype=rdataset.rdtype, rdata=rdata)
    return None


def patched_text(text: str, origin: str, changes: list[Change]) -> tuple[str, list[Change]]:
    """`text` with `changes` applied, and the changes whose old record is not in it."""
    zone_origin = dns.name.from_text(origin)
    found = entries(text, zone_origin)
    lines = text.splitlines(keepends=True)
    replaced: dict[int, tuple[int, str]] = {}  # first line -> (last line, new text)
    missing, added = [], []
    for change in changes:
        if change.old is None:
            added.append(_new_line(change, zone_origin))
            continue
        entry = _entry_of(found, change)
        if entry is None:
            missing.append(change)
            continue
        new = _replacement(lines[entry.first], change) if change.new is not None else ""
        replaced[entry.first] = (entry.last, new)
    out = _rewritten(lines, replaced) + added
    if out != lines:
        out = _serial_bumped(out, entries("".join(out), zone_origin))
    return "".join(out), missing


@dataclass(frozen=True, kw_only=True)
class Region:
    """Where a change goes in the file: lines `first`..`last` (1-based, inclusive) become
    `text` (no final newline; '' for a removal); an addition has `last` == `first` - 1,
    after the file's last line."""

    first: int
    last: int
    text: str


def regions(text: str, origin: str, changes: list[Change]) -> list[Region | None]:
    """Where each of `changes` goes in `text` (None: its old record is not in the file),
    as `patched_text` places it; the SOA serial is left to the caller."""
    zone_origin = dns.name.from_text(origin)
    found = entries(text, zone_origin)
    lines = text.splitlines()[:MAX_LINES]
    out: list[Region | None] = []
    for change in changes:
        if change.old is None:
            new = _new_line(change, zone_origin).rstrip("\n")
            out.append(Region(first=len(lines) + 1, last=len(lines), text=new))
            continue
        entry = _entry_of(found, change)
        if entry is None:
            out.append(None)
            continue
        new = (
            _replacement(lines[entry.first], change).rstrip("\n") if change.new is not None else ""
        )
        out.append(Region(first=entry.first + 1, last=entry.last + 1, text=new))
    return out


def holder(name: str, origins: dict[str, str]) -> str | None:
    """The file (of path -> origin) whose zone holds `name`: the deepest origin above it."""
    owner = dns.name.from_text(name)
    held = {p: dns.name.from_text(o) for p, o in origins.items()}
    holders = [p for p, o in held.items() if owner.is_subdomain(o)]
    return max(holders, key=lambda p: len(held[p])) if holders else None


def _entry_of(found: list[Entry], change: Change) -> Entry | None:
    name = dns.name.from_text(change.name)
    rdtype = dns.rdatatype.from_text(change.type)
    try:
        old = dns.rdata.from_text(
            dns.rdataclass.IN, rdtype, change.old or "", dns.name.root, relativize=False
        )
    except (dns.exception.DNSException, ValueError):
        return None
    return next(
        (e for e in found if e.name == name and e.rdtype == rdtype and e.rdata == old), None
    )


def _replacement(line: str, change: Change) -> str:
    """The record's first line up to its rdata, then the new rdata: owner, TTL, class kept."""
    match = re.search(rf"(?i)(^|\s){re.escape(change.type)}\s+", line)
    prefix = line[: match.end()] if match else f"{change.name}. IN {change.type} "
    return f"{prefix}{change.new}\n"


def _new_line(change: Change, origin: dns.name.Name) -> str:
    name = dns.name.from_text(change.name)
    owner = name.relativize(origin).to_text() if name.is_subdomain(origin) else name.to_text()
    ttl = f"{change.ttl} " if change.ttl is not None else ""
    return f"{owner} {ttl}IN {change.type} {change.new}\n"


def _rewritten(lines: list[str], replaced: dict[int, tuple[int, str]]) -> list[str]:
    if lines and not lines[-1].endswith("\n"):
        lines = [*lines[:-1], lines[-1] + "\n"]
    out, index = [], 0
    while index < len(lines):
        if index in replaced:
            last, new = replaced[index]
            out += [new] if new else []
            index = last + 1
            continue
        out.append(lines[index])
        index += 1
    return out


def _serial_bumped(lines: list[str], found: list[Entry]) -> list[str]:
    """The SOA serial + 1 (RFC 1982 arithmetic), edited where it is written."""
    soa = next((e for e in found if e.rdtype == dns.rdatatype.SOA), None)
    if soa is None:
        return lines
    serial = str(soa.rdata.serial)  # type: ignore[attr-defined]
    bumped = str((int(serial) + 1) % 2**32)
    for index in range(soa.first, soa.last + 1):
        code = _uncommented(lines[index])
        match = re.search(rf"(?<![\w.-]){serial}(?![\w.-])", code)
        if match and (index > soa.first or code[: match.start()].upper().count("SOA")):
            lines = list(lines)
            lines[index] = lines[index][: match.start()] + bumped + lines[index][match.end() :]
            return lines
    return lines


def unified_diff(path: str, old: str, new: str) -> str:
    """A unified diff of one file, paths as given, no a/ b/ prefix: `patch -p0` and
    `git apply -p0` apply it (tests/cli/test_fix_patch.py)."""
    diff = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), path, path
    )
    text = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff
    )
    return text
