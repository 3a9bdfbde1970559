"""Pure logic of `dmarc-reports`: categories, services and forwarders, the XML safety paths,
and `check --selectors-from`."""

from __future__ import annotations

import pytest

from conftest import run_cli
from deliverability.checks.dmarc_reports.classify import is_forwarder_host, row_category
from deliverability.checks.dmarc_reports.model import Category, DkimResult, Row
from deliverability.checks.dmarc_reports.parse import NotAReport, parse_report
from deliverability.checks.dmarc_reports.providers import load_catalog
from dmarc_report_files import REPORTS, report
from dnsserver import DnsServer


def row(**changes: object) -> Row:
    base: dict[str, object] = dict(
        ip="192.0.2.1", count=1, disposition="none", dkim_evaluated="fail", spf_evaluated="fail",
        header_from="rua.test", envelope_from="rua.test", spf_domain="rua.test", spf_result="fail",
    )
    return Row(**{**base, **changes})  # type: ignore[arg-type]


ROWS = [
    (row(dkim_evaluated="pass"), Category.ALIGNED),
    (row(spf_evaluated="pass"), Category.ALIGNED),
    (row(overrides=("forwarded",)), Category.FORWARDED),
    (row(overrides=("trusted_forwarder",), spf_result="pass"), Category.FORWARDED),
    (row(comments=("arc=pass as.1.google.com",)), Category.FORWARDED),
    (row(spf_result="pass", spf_domain="bounces.esp.example.net"), Category.AUTHORIZED_UNALIGNED),
    (row(dkim=(DkimResult(domain="esp.example.net", selector="s", result="pass"),)),
     Category.AUTHORIZED_UNALIGNED),
    (row(overrides=("local_policy",)), Category.UNAUTHORIZED),
    (row(), Category.UNAUTHORIZED),
]


@pytest.mark.parametrize(("given", "category"), ROWS)
def test_row_categories(given: Row, category: Category) -> None:
    assert row_category(given) is category


@pytest.mark.parametrize(("names", "provider"), [
    (["o1.ptr1234.sendgrid.net"], "sendgrid"),
    ([None, "bounce.amazonses.com"], "amazon-ses"),
    (["mail-wr1-f54.google.com"], "google-workspace"),
    (["sendgrid.net.example.org"], None),  # a label boundary, not a substring
    ([None], None),
])
def test_services_are_named_from_ptr_envelope_or_signing_domain(names: list[str | None],
                                                                 provider: str | None) -> None:
    found = load_catalog().identify(names)
    assert (found.id if found else None) == provider


def test_known_forwarders_by_ptr_name() -> None:
    forwarders = load_catalog().forwarders
    assert is_forwarder_host("smtp-out.pobox.com", forwarders)
    assert not is_forwarder_host("pobox.com.example.net", forwarders)
    assert not is_forwarder_host(None, forwarders)


def test_entities_are_refused_in_any_encoding() -> None:
    bomb = (REPORTS / "entity-bomb.xml").read_text().replace('<?xml version="1.0"?>', "")
    for data in (bomb.encode("utf-16"), bomb.encode("utf-8")):
        with pytest.raises(NotAReport, match="refused"):
            parse_report(data)


def test_a_harmless_doctype_is_read() -> None:
    data = report("google.xml").replace(b"<feedback>", b"<!DOCTYPE feedback>\n<feedback>", 1)
    assert parse_report(data).report_id == "17016412345678901234"


def test_utf16_reports_are_read() -> None:
    text = report("google.xml").decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert parse_report(text.encode("utf-16")).messages == 170


def test_check_probes_the_selectors_reports_show(world: DnsServer) -> None:
    result = run_cli("check", "rua.test", "--selectors-from", str(REPORTS / "google.xml"),
                     "--selectors-from", str(REPORTS / "diagnosis.xml"), "--select", "dkim",
                     "--resolver", world.address, "--timeout", "1", "--format", "json")
    assert result.json()["target"]["selectors"] == ["s1", "gone"]
    assert ("dkim.ok", "ok") in result.codes()


def test_selectors_from_a_missing_file_is_one_line() -> None:
    result = run_cli("check", "rua.test", "--selectors-from", "missing.xml", "--offline")
    assert result.code == 2 and result.stderr.count("\n") == 1


@pytest.mark.parametrize(("begin", "end", "iso"), [
    ("1780272000", "1780358399", "2026-06-01T00:00:00Z"),
    (" 1780272000.0 ", "1780358399", "2026-06-01T00:00:00Z"),  # floats and white space
    ("2026-06-01T00:00:00Z", "2026-06-01T23:59:59Z", "2026-06-01T00:00:00Z"),  # ISO, not epoch
    ("1780358399", "1780272000", "2026-06-01T23:59:59Z"),  # end before begin: one instant
])
def test_date_ranges_as_reporters_write_them(begin: str, end: str, iso: str) -> None:
    from deliverability.checks.dmarc_reports.data import iso as to_iso

    data = report("google.xml").replace(b"<begin>1780272000</begin>", f"<begin>{begin}</begin>".encode())
    data = data.replace(b"<end>1780358399</end>", f"<end>{end}</end>".encode())
    assert to_iso(parse_report(data).begin) == iso


def test_no_usable_date_range_is_not_a_report() -> None:
    data = report("google.xml").replace(b"<begin>1780272000</begin>", b"<begin>yesterday</begin>")
    with pytest.raises(NotAReport, match="date_range"):
        parse_report(data)
