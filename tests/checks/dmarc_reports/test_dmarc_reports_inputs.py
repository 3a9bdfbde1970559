"""Every input kind of `dmarc-reports`, both schemas, what real reporters send, and bombs."""

from __future__ import annotations

import gzip
import io
import mailbox
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from dmarc_report_files import (
    data, dmarc_reports, gzipped, report, report_email, zipped,
)

GOOGLE = report("google.xml")

KINDS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("report.xml", lambda x: x),
    ("report.xml.gz", gzipped),
    ("report.zip", zipped),
    ("report.eml", lambda x: report_email(gzipped(x))),
    ("zip-report.eml", lambda x: report_email(zipped(x), "report.zip", "zip")),
    ("xml-report.eml", lambda x: report_email(x, "report.xml", "xml")),
    ("oddly-named.bin", gzipped),  # the kind comes from the bytes, not the name
]


@pytest.mark.parametrize(("name", "pack"), KINDS)
def test_each_file_kind_gives_the_report(tmp_path: Path, name: str, pack: Callable[[bytes], bytes]) -> None:
    path = tmp_path / name
    path.write_bytes(pack(GOOGLE))
    result = dmarc_reports(str(path))
    assert result.code == 0, result.stderr
    assert data(result)["totals"]["reports"] == 1
    assert data(result)["totals"]["messages"] == 170
    assert data(result)["files"] == [{"path": str(path), "reports": 1, "error": None}]


def test_mbox_of_report_mails_and_other_mail(tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "reports.mbox")
    box.add(report_email(gzipped(GOOGLE)))
    box.add(b"From: someone@example.com\nSubject: hello\n\nnot a report\n")
    box.add(report_email(gzipped(report("rfc9990.xml"))))
    box.flush()
    assert data(dmarc_reports(str(tmp_path / "reports.mbox")))["totals"]["reports"] == 2


def test_maildir_and_nested_directories(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir")
    box.add(report_email(gzipped(GOOGLE)))
    (tmp_path / "Maildir" / "tmp" / "half-delivered").write_bytes(report_email(gzipped(report("rfc9990.xml"))))
    nested = tmp_path / "plain" / "2026" / "06"
    nested.mkdir(parents=True)
    (nested / "r.xml.gz").write_bytes(gzipped(report("diagnosis.xml")))
    result = data(dmarc_reports(str(tmp_path)))
    assert result["totals"]["reports"] == 2  # Maildir tmp/ is not delivered mail yet
    assert len(result["files"]) == 2


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(gzipped(GOOGLE))))
    result = data(dmarc_reports("-"))
    assert result["files"][0]["path"] == "<stdin>"
    assert result["totals"]["reports"] == 1


SCHEMAS = [
    ("google.xml", {"p": "none", "sp": "none", "np": "none", "adkim": "r", "aspf": "r", "testing": None}),
    ("rfc9990.xml", {"p": "quarantine", "sp": "quarantine", "np": "reject", "adkim": "r", "aspf": "s",
                     "testing": "y"}),
]


@pytest.mark.parametrize(("name", "policy"), SCHEMAS)
def test_both_schemas(name: str, policy: dict[str, str | None]) -> None:
    reports = data(dmarc_reports(str(Path(__file__).parent / "reports" / name)))["reports"]
    assert reports[0]["policy"] == policy
    assert reports[0]["begin"].endswith("Z") and reports[0]["domain"] == "rua.test"


REPORTERS = [  # file -> (reports read, messages, error?)
    ("no-version-stray.xml", 1, 9, False),  # no <version>, stray elements, windows-1252, 3 days
    ("bad-bytes.xml", 1, 2, False),  # invalid UTF-8 and a control character
    ("not-a-report.xml", 0, 0, True),
    ("truncated.xml", 0, 0, True),
    ("entity-bomb.xml", 0, 0, True),
    ("external-entity.xml", 0, 0, True),
]


@pytest.mark.parametrize(("name", "reports", "messages", "error"), REPORTERS)
def test_what_reporters_really_send(name: str, reports: int, messages: int, error: bool) -> None:
    result = dmarc_reports(str(Path(__file__).parent / "reports" / name))
    assert result.code == 0 and "Traceback" not in result.stderr
    got = data(result)
    assert (got["totals"]["reports"], got["totals"]["messages"]) == (reports, messages)
    assert (got["files"][0]["error"] is not None) == error
    assert got["totals"]["files_failed"] == (1 if error else 0)
    assert (name in result.stderr) == error  # one line naming the skipped file


def test_a_span_over_days_is_spread_over_them() -> None:
    daily = data(dmarc_reports(str(Path(__file__).parent / "reports" / "no-version-stray.xml")))["daily"]
    assert [d["date"] for d in daily] == ["2026-05-30", "2026-05-31", "2026-06-01"]
    assert sum(d["messages"] for d in daily) == 9


def test_a_broken_file_does_not_stop_the_run(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_bytes(GOOGLE)
    (tmp_path / "b.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    (tmp_path / "c.txt").write_bytes(b"\x00\x01\x02 binary junk")
    got = data(dmarc_reports(str(tmp_path)))
    assert got["totals"]["reports"] == 1 and got["totals"]["files_failed"] == 2


def _gzip_bomb() -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as handle:
        chunk = b"\0" * (1 << 20)
        for _ in range(100):  # 100 MiB of zeros in ~100 KiB
            handle.write(chunk)
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("report.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1 << 20)
            for _ in range(100):
                member.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize("bomb", [_gzip_bomb, _zip_bomb])
def test_decompression_bombs_are_refused(tmp_path: Path, bomb: Callable[[], bytes]) -> None:
    path = tmp_path / "bomb"
    path.write_bytes(bomb())
    got = data(dmarc_reports(str(path)))
    assert got["totals"]["files_failed"] == 1
    assert "refused" in got["files"][0]["error"]


def test_the_same_report_twice_is_counted_once(tmp_path: Path) -> None:
    (tmp_path / "one.xml").write_bytes(GOOGLE)
    (tmp_path / "two.xml.gz").write_bytes(gzipped(GOOGLE))
    (tmp_path / "three.eml").write_bytes(report_email(gzipped(GOOGLE)))
    result = dmarc_reports(str(tmp_path))
    got = data(result)
    assert got["totals"]["reports"] == 1 and got["totals"]["duplicates"] == 2
    assert got["totals"]["messages"] == 170
    assert ("dmarc-reports.duplicates", "info") in result.codes()


@pytest.mark.parametrize("args", [(), ("missing.xml",), ("-", "-")])
def test_bad_usage_is_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    result = dmarc_reports(*args)
    assert result.code == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_many_skipped_files_do_not_flood_the_findings(tmp_path: Path) -> None:
    for n in range(30):
        (tmp_path / f"note-{n}.txt").write_bytes(b"\x00 not a report")
    result = dmarc_reports(str(tmp_path), "-q")
    skipped = [f for f in result.json()["checks"]["dmarc-reports"]["findings"]
               if f["code"] == "dmarc-reports.file-skipped"]
    assert len(skipped) == 21 and data(result)["totals"]["files_failed"] == 30
    assert result.stderr == ""  # -q: no line per skipped file


def test_selectors_seen_are_listed() -> None:
    got = data(dmarc_reports(str(Path(__file__).parent / "reports" / "google.xml")))["selectors"]
    assert {(s["domain"], s["selector"]) for s in got} == {("rua.test", "s1"), ("esp-mail.test", "esp1")}
