"""Zone-file line numbers: each record set knows the line it starts on, and findings carry it."""

from __future__ import annotations

from pathlib import Path

import dns.name
import dns.rdatatype
import pytest

from conftest import run_cli
from deliverability.net.zonefile import parse_zone_text

# Multi-line (parenthesized) records, blank owners, comments, and an $ORIGIN change.
TRICKY = """\
; a comment before anything
$TTL 300
@   IN SOA ns hostmaster (
        1 ; serial
        3600 600 86400 300 )

@       MX 0 .
        TXT ( "v=spf1 "
              "-all" )
mx1     A 192.0.2.1

$ORIGIN sub.lines.test.
www     A 192.0.2.2
        AAAA 2001:db8::2
_dmarc.lines.test. TXT "v=DMARC1; p=none"
"""

LINES = [
    ("lines.test", "SOA", 3),
    ("lines.test", "MX", 7),
    ("lines.test", "TXT", 8),
    ("mx1.lines.test", "A", 10),
    ("www.sub.lines.test", "A", 13),
    ("www.sub.lines.test", "AAAA", 14),
    ("_dmarc.lines.test", "TXT", 15),
]


@pytest.mark.parametrize(("name", "rdtype", "line"), LINES)
def test_each_record_set_knows_its_first_line(name: str, rdtype: str, line: int) -> None:
    zone = parse_zone_text(TRICKY, "lines.test.zone")
    location = zone.location(dns.name.from_text(name), dns.rdatatype.from_text(rdtype))
    assert location is not None and (location.file, location.line) == ("lines.test.zone", line)


def test_a_later_origin_directive_does_not_change_the_zone_origin() -> None:
    assert parse_zone_text(TRICKY, "lines.test.zone").origin == dns.name.from_text("lines.test")


def test_a_leading_origin_directive_names_the_zone() -> None:
    zone = parse_zone_text("; x\n$TTL 60\n$ORIGIN other.test.\n@ MX 0 .\n", "whatever.zone")
    assert zone.origin == dns.name.from_text("other.test")


REVERSE = """\
$ORIGIN 2.0.192.in-addr.arpa.
$TTL 300

10  PTR  mail.lines.test.
"""


def _findings(result) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    report = result.json()
    return {f["code"]: f for check in report["checks"].values() for f in check["findings"]}


def test_findings_on_zone_file_records_carry_file_and_line(tmp_path: Path) -> None:
    zone = tmp_path / "lines.test.zone"
    zone.write_text(TRICKY)
    reverse = tmp_path / "2.0.192.in-addr.arpa.zone"
    reverse.write_text(REVERSE)
    result = run_cli("check", "lines.test", "--ip", "192.0.2.10", "--offline",
                     "--zone-file", zone, "--zone-file", reverse,
                     "--select", "mx", "--select", "rdns", "--format", "json")
    findings = _findings(result)
    assert findings["mx.null"]["location"] == {"file": str(zone), "line": 7}
    # mail.lines.test has no A record: the PTR (line 4 of the reverse zone) is the point
    assert findings["rdns.not-confirmed"]["location"] == {"file": str(reverse), "line": 4}


def test_spf_and_dmarc_findings_point_at_their_txt_records(tmp_path: Path) -> None:
    zone = tmp_path / "lines.test.zone"
    zone.write_text(TRICKY)
    result = run_cli("check", "lines.test", "--offline", "--zone-file", zone,
                     "--select", "spf", "--select", "dmarc", "--format", "json")
    checks = result.json()["checks"]
    spf_lines = {f["location"]["line"] for f in checks["spf"]["findings"] if "location" in f}
    dmarc_lines = {f["location"]["line"] for f in checks["dmarc"]["findings"] if "location" in f}
    assert (spf_lines, dmarc_lines) == ({8}, {15})  # the parenthesized TXT, the last record


def test_findings_from_live_dns_have_no_location(check) -> None:  # type: ignore[no-untyped-def]
    findings = _findings(check("null.mx.test", "--select", "mx"))
    assert "location" not in findings["mx.null"]


ENCODINGS = {
    "utf-8": TRICKY.encode(),
    "byte-order mark": b"\xef\xbb\xbf" + TRICKY.encode(),  # as some editors write
    "crlf": TRICKY.replace("\n", "\r\n").encode(),  # Windows line ends
}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_zone_file_encodings_are_read_alike(check, tmp_path: Path, encoding: str) -> None:
    zone = tmp_path / "lines.test.zone"
    zone.write_bytes(ENCODINGS[encoding])
    findings = _findings(check("lines.test", "--zone-file", zone, "--select", "mx"))
    assert findings["mx.null"]["location"] == {"file": str(zone), "line": 7}
