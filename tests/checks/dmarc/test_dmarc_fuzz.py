"""Fuzzing the DMARC parser and check: random and mutated records never crash, always report.

Each example is published as `_dmarc.fuzz.test` in a zone file and checked through
the CLI with `--offline`, so the whole path (DNS text, parser, findings, JSON) runs.
"""

from __future__ import annotations

from pathlib import Path

import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from deliverability.checks.dmarc.parse import parse_dmarc

VALID = [
    "v=DMARC1; p=reject; rua=mailto:dmarc@fuzz.test",
    "v=DMARC1; p=quarantine; sp=none; np=reject; adkim=s; aspf=r; t=y; psd=n; fo=1:d",
    "v=DMARC1; p=none; rua=mailto:a@fuzz.test,mailto:b@other.test!10m; ruf=mailto:f@fuzz.test",
    "v=DMARC1; p=reject; pct=50; rf=afrf; ri=3600",
]
TAGS = ["v", "p", "sp", "np", "psd", "t", "adkim", "aspf", "fo", "rua", "ruf", "pct", "x", "P", ""]
VALUES = ["DMARC1", "reject", "none", "quarantine", "y", "n", "s", "r", "0:1", "mailto:a@b.test",
          "mailto:", "https://x.test/", "mailto:a@b.test,mailto:c@d.test,mailto:e@f.test", "", "=",
          "\x00", "é", ";"]

tag_lists = st.lists(
    st.tuples(st.sampled_from(TAGS) | st.text(max_size=5), st.sampled_from(VALUES) | st.text(max_size=12)),
    max_size=12,
).map(lambda pairs: "; ".join(f"{t}={v}" for t, v in pairs))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid record with characters inserted, deleted or replaced."""
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        pieces = st.sampled_from([";", "=", " ", ",", "!", "@", "v=DMARC1;", "\\", '"'])
        piece = draw(pieces | st.text(max_size=3))
        cut = draw(st.integers(0, 3))
        text = text[:at] + piece + text[at + cut:]
    return text


records = st.text(max_size=300) | tag_lists | mutated() | st.just("v=DMARC1; " + "p=reject; " * 40)


def _zone(tmp: Path, text: str) -> Path:
    data = text.encode("utf-8", "surrogatepass")
    chunks = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
    rdata = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks)
    path = tmp / "fuzz.zone"
    path.write_text(
        "$ORIGIN test.\n$TTL 300\n@ SOA ns.test. h.test. 1 3600 600 86400 300\n"
        f"fuzz A 192.0.2.60\n_dmarc.fuzz TXT {rdata.to_text()}\n", encoding="utf-8")
    return path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=records)
def test_any_record_gives_findings_never_a_crash(tmp_path: Path, text: str) -> None:
    zone = _zone(tmp_path, text)
    result = run_cli("check", "fuzz.test", "--offline", "--zone-file", zone, "--select", "dmarc",
                     "--format", "json")
    assert result.code in (0, 1), result.stderr
    findings = result.json()["checks"]["dmarc"]["findings"]
    assert findings and not any(f["code"].endswith((".crashed", ".walk-failed")) for f in findings)


@settings(max_examples=500, deadline=None)
@given(text=records)
def test_the_parser_never_raises_and_its_fixes_parse_cleanly(text: str) -> None:
    record = parse_dmarc(text)
    fixed = parse_dmarc(record.rewritten("p", "reject"))
    assert fixed.policy is not None
