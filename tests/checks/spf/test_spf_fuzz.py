"""Bad SPF records never crash: random and mutated records through the parser and the whole check."""

from __future__ import annotations

from pathlib import Path

import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli
from deliverability.checks.spf.parse import parse_record

SEEDS = [
    "v=spf1 ip4:192.0.2.10 include:_spf.vendor.fuzz.test -all",
    "v=spf1 a mx/24//64 ptr:fuzz.test exists:%{ir}.%{l1r+-}._spf.%{d} ~all",
    "v=spf1 redirect=other.fuzz.test exp=explain.fuzz.test",
    "v=spf1 ip6:2001:db8::/32 a:mail.fuzz.test/28 ?all",
]
TERMS = st.sampled_from([
    "all", "-all", "~all", "?all", "+all", "all:x", "-all/8", "a", "a/24", "a//64", "a:mail.fuzz.test",
    "mx", "mx:fuzz.test/33", "ptr", "ptr/0", "include:", "include:_spf.vendor.fuzz.test",
    "include:fuzz.test", "exists:%{i}.fuzz.test", "exists:%{c}.x", "ip4:192.0.2.1/33",
    "ip4:192.0.2", "ip6:::1/129", "ip6:zz::", "redirect=other.fuzz.test", "redirect=",
    "-redirect=x.fuzz.test", "exp=%{z}", "moo", "=a", "%", "%{", "a:%{d", "a:foo-bar",
    "include:%{l}.%{o}..fuzz.test", "v=spf1", "mx:\u00e9.fuzz.test", "a:x.fuzz.test\r",
])
BUILT = st.lists(TERMS, max_size=12).map(lambda terms: " ".join(["v=spf1", *terms]))
RANDOM = st.text(st.characters(min_codepoint=1, max_codepoint=0x3ff), max_size=120)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A seed record with a slice replaced by random text."""
    seed = draw(st.sampled_from(SEEDS))
    start = draw(st.integers(0, len(seed)))
    end = draw(st.integers(start, len(seed)))
    return seed[:start] + draw(RANDOM.map(lambda s: s[:12])) + seed[end:]


RECORDS = st.one_of(BUILT, mutated(), RANDOM.map(lambda s: "v=spf1 " + s))


@given(st.one_of(RECORDS, RANDOM))
@settings(max_examples=400, deadline=None)
def test_parser_never_raises(text: str) -> None:
    record = parse_record(text)
    assert all(p.message for p in record.problems)


@given(RECORDS)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_check_always_gives_findings(tmp_path: Path, text: str) -> None:
    zone = tmp_path / "fuzz.test.zone"
    zone.write_text(_zone(text), encoding="utf-8")
    result = run_cli("check", "fuzz.test", "--offline", "--zone-file", zone, "--ip", "192.0.2.10",
                     "--helo", "mail.fuzz.test", "--select", "spf", "--format", "json")
    assert result.code in (0, 1), result.stderr
    spf = result.json()["checks"]["spf"]
    assert spf["findings"]
    assert spf["data"]["results"]["192.0.2.10"] in (
        "pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")


def _zone(record: str) -> str:
    strings = [record.encode("utf-8", "replace")[i:i + 255] for i in range(0, len(record.encode()), 255)]
    txt = dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, strings or [b""])
    return "\n".join([
        "$ORIGIN fuzz.test.",
        "@ 300 IN SOA ns.fuzz.test. hostmaster.fuzz.test. 1 3600 600 86400 300",
        f"@ 300 IN TXT {txt.to_text()}",
        '_spf.vendor 300 IN TXT "v=spf1 ip4:198.51.100.0/24 include:fuzz.test -all"',
        'other 300 IN TXT "v=spf1 mx -all"',
        "mail 300 IN A 192.0.2.10",
        "@ 300 IN MX 10 mail",
        "",
    ])
