"""Reading BIND zone files (`--zone-file`, and the suite's world) into LoadedZones:
dnspython's reader with `$INCLUDE` refused, `$GENERATE` bounded by the input's size,
the line of every record remembered, and every error one line. Apart from
net/zones.py (which answers from the zones) so a run without zone files never loads
dnspython's zone machinery (~7 ms).
"""

from __future__ import annotations

import re
from pathlib import Path

import dns.exception
import dns.name
import dns.rdataclass
import dns.tokenizer
import dns.zone
import dns.zonefile

from deliverability.files import MAX_ZONE_FILE, UnreadableFile, read_user_text
from deliverability.net.zones import LoadedZone, ZoneFileError

DEFAULT_TTL = 3600
# The zone's origin: an $ORIGIN before the first record (blank, comment and $TTL lines
# may come first); a later $ORIGIN only changes how the following names are read.
_LEADING_ORIGIN = re.compile(
    r"\A(?:[ \t]*(?:;[^\n]*)?\n|\$TTL[^\n]*\n)*\$ORIGIN[ \t]+(\S+)", re.IGNORECASE
)


MAX_GENERATED = 65_536  # records all $GENERATE lines of one file may make together
_GENERATE = re.compile(
    r"^\s*\$GENERATE\s+(?P<start>\d{1,10})-(?P<stop>\d{1,10})(?:/(?P<step>\d{1,10}))?", re.I
)


class _LineTrackingTokenizer(dns.tokenizer.Tokenizer):
    """A tokenizer that remembers the line on which the current record began."""

    record_line = 0
    _at_line_start = True

    def get(self, want_leading: bool = False, want_comment: bool = False) -> dns.tokenizer.Token:
        # A token read again after unget() (TXT rdata ungets its EOL) starts nothing.
        if self._at_line_start and self.ungotten_token is None:
            self.record_line = self.line_number
        token = super().get(want_leading, want_comment)
        self._at_line_start = token.is_eol_or_eof()
        return token


def load_zone_file(path: str | Path, origin: str | None = None) -> LoadedZone:
    """Parse a BIND zone file, refusing `$INCLUDE`; raise ZoneFileError with one line."""
    path = Path(path)
    try:
        text = read_user_text(path, "zone file", MAX_ZONE_FILE)
    except UnreadableFile as exc:
        raise ZoneFileError(str(exc)) from None
    return parse_zone_text(text, str(path), origin)


def parse_zone_text(text: str, filename: str, origin: str | None = None) -> LoadedZone:
    """Parse zone-file text; the origin is `origin`, else `$ORIGIN`, else the file name."""
    _refuse_large_generate(text, filename)
    origin_name = dns.name.from_text(_origin_for(text, filename, origin))
    zone = dns.zone.Zone(origin_name, relativize=False)
    lines: dict[tuple[dns.name.Name, int], int] = {}
    tok = _LineTrackingTokenizer(text, filename)
    try:
        with zone.writer(True) as txn:
            add = txn.add

            def add_and_remember(name, *rest):
                rdtype = rest[-1].rdtype
                lines.setdefault((name, rdtype), tok.record_line)
                add(name, *rest)

            txn.add = add_and_remember
            # A snippet without $TTL or SOA is still a usable proposed change.
            dns.zonefile.Reader(
                tok, dns.rdataclass.IN, txn, allow_include=False, default_ttl=DEFAULT_TTL
            ).read()
    except dns.exception.SyntaxError as exc:  # its text already says "file:line:"
        raise ZoneFileError(_one_line(exc)) from None
    except (dns.exception.DNSException, ValueError) as exc:
        raise ZoneFileError(f"{filename}: line {tok.line_number}: {_one_line(exc)}") from None
    names = _names_with_ancestors(zone)
    return LoadedZone(zone=zone, path=filename, lines=lines, names=names)


def _refuse_large_generate(text: str, filename: str) -> None:
    """$GENERATE expands a range into one record per number: bound the work by input size
    (a 100-byte file must not ask for five million records)."""
    total = 0
    for number, line in enumerate(text.splitlines(), 1):
        match = _GENERATE.match(line)
        if match is None:
            continue
        start, stop, step = int(match["start"]), int(match["stop"]), int(match["step"] or 1)
        total += max(0, (stop - start) // max(step, 1) + 1)
        if total > MAX_GENERATED:
            raise ZoneFileError(
                f"{filename}: line {number}: $GENERATE would make {total:,} records; "
                f"the limit is {MAX_GENERATED:,}"
            )


def _origin_for(text: str, filename: str, origin: str | None) -> str:
    if origin:
        return origin
    directive = _LEADING_ORIGIN.match(text)
    if directive:
        return directive.group(1)
    stem = Path(filename).name
    for suffix in (".zone", ".db", ".txt"):
        stem = stem.removesuffix(suffix)
    return stem if stem.endswith(".") else stem + "."


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _names_with_ancestors(zone: dns.zone.Zone) -> frozenset[dns.name.Name]:
    names: set[dns.name.Name] = set()
    assert zone.origin is not None
    for name in zone.nodes:
        while name.is_subdomain(zone.origin) and name not in names:
            names.add(name)
            if name == zone.origin:
                break
            name = name.parent()
    return frozenset(names)
