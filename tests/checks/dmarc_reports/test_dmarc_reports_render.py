"""Every format of `dmarc-reports`: tables and chart present, hostile report text inert."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from conftest import run_cli
from dmarc_report_files import REPORTS

HOSTILE = ("<?xml version='1.0'?><feedback><report_metadata><org_name>&lt;script&gt;alert(1)"
           "&lt;/script&gt; [red]x[/red] \u202e</org_name><report_id>h1</report_id><date_range>"
           "<begin>1780272000</begin><end>1780358399</end></date_range></report_metadata>"
           "<policy_published><domain>rua.test</domain><p>none</p></policy_published><record><row>"
           "<source_ip>203.0.113.9</source_ip><count>4</count><policy_evaluated><disposition>none"
           "</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row><identifiers>"
           "<header_from>=cmd|' /C calc'!A0</header_from></identifiers><auth_results><spf><domain>"
           "a|b</domain><result>fail</result></spf></auth_results></record></feedback>")


def rendered(tmp_path: Path, fmt: str) -> str:
    path = tmp_path / "hostile.xml"
    path.write_text(HOSTILE, encoding="utf-8")
    result = run_cli("dmarc-reports", str(path), str(REPORTS / "google.xml"), "--offline", "--format", fmt)
    assert result.code in (0, 1), result.stderr
    return result.stdout


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html", "csv", "json"])
def test_hostile_text_is_inert(tmp_path: Path, fmt: str) -> None:
    out = rendered(tmp_path, fmt)
    assert "\u202e" not in out and "\x1b" not in out
    if fmt in ("markdown", "html"):  # formats a viewer renders: markup must stay text
        assert "<script" not in out


def test_html_is_self_contained_with_an_svg_chart(tmp_path: Path) -> None:
    out = rendered(tmp_path, "html")
    assert "<svg" in out and "<rect" in out
    assert not re.search(r"(src|href)\s*=", out, re.IGNORECASE)  # nothing loaded from anywhere
    assert "Content-Security-Policy" in out


def test_csv_is_one_row_per_source_and_formula_safe(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(rendered(tmp_path, "csv"))))
    assert len(rows) == 5
    assert all(not r["header_from"].startswith("=") for r in rows)
    assert {r["category"] for r in rows} == {"aligned", "authorized-unaligned", "unauthorized", "forwarded"}


@pytest.mark.parametrize("fmt", ["terminal", "markdown"])
def test_tables_and_daily_figures(tmp_path: Path, fmt: str) -> None:
    out = rendered(tmp_path, fmt)
    assert "198.51.100.20" in out and "2026-06-01" in out


def test_markdown_cells_cannot_break_the_table(tmp_path: Path) -> None:
    out = rendered(tmp_path, "markdown")
    row = next(line for line in out.splitlines() if line.startswith("| 203.0.113.9 "))
    assert row.count("|") - row.count("\\|") == 10  # nine columns, no extra cell


def test_json_validates_against_the_report_schema(tmp_path: Path) -> None:
    import json

    import jsonschema
    from paths import ROOT

    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    jsonschema.validate(json.loads(rendered(tmp_path, "json")), schema)


def test_html_serves_every_report_command(world) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("check", "example.com", "--select", "mx", "--resolver", world.address,
                     "--format", "html")
    assert result.code == 0 and result.stdout.startswith("<!DOCTYPE html>")
    assert "<script" not in result.stdout
