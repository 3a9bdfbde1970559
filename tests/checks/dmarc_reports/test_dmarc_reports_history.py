"""`--db FILE`: reports stored once, summarized later without the files (`--since`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmarc_report_files import REPORTS, data, dmarc_reports


def test_history_keeps_reports_once_and_summarizes_later(tmp_path: Path) -> None:
    db = str(tmp_path / "history.sqlite")
    first = data(dmarc_reports(str(REPORTS / "google.xml"), str(REPORTS / "rfc9990.xml"), "--db", db))
    again = data(dmarc_reports(str(REPORTS / "google.xml"), "--db", db))  # stored already
    later = data(dmarc_reports("--db", db))
    assert first["totals"]["reports"] == 2 and again["totals"]["reports"] == 1
    assert later["totals"] == {**first["totals"], "files_failed": 0}
    assert later["sources"] == first["sources"]


@pytest.mark.parametrize(("since", "reports"), [("2026-05-01", 2), ("2026-07-01", 0)])
def test_since_selects_by_report_end(tmp_path: Path, since: str, reports: int) -> None:
    db = str(tmp_path / "history.sqlite")
    dmarc_reports(str(REPORTS / "google.xml"), str(REPORTS / "rfc9990.xml"), "--db", db)
    assert data(dmarc_reports("--db", db, "--since", since))["totals"]["reports"] == reports


@pytest.mark.parametrize("args", [("--since", "soon"), ("--db", "{tmp}/not-a-db")])
def test_bad_history_options_are_one_line(tmp_path: Path, args: tuple[str, str]) -> None:
    (tmp_path / "not-a-db").write_text("plain text, not SQLite\n" * 100)
    option, value = args
    result = dmarc_reports(str(REPORTS / "google.xml"), option, value.format(tmp=tmp_path))
    assert result.code == 2 and result.stderr.count("\n") == 1
