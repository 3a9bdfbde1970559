"""`deliverability bounce` inputs: line ends, mbox, Maildir, directories, stdin, many
bounces as JSON Lines with a summary, and hostile input (binary, huge, deeply nested,
markup and escapes): one line each on stderr and the run goes on, never a traceback."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from conftest import CliResult, run_cli
from paths import TESTS

FIXTURES = TESTS / "checks" / "bounce" / "fixtures"
POSTFIX = (FIXTURES / "postfix-userunknown.eml").read_bytes()
EXPECTED = [("user@example.com", "userunknown", "5.1.1", "550")]


def bounce(*args: object) -> CliResult:
    return run_cli("bounce", *map(str, args), "--format", "json")


def recipients(report: dict) -> list[tuple]:
    return [
        (r["address"], r["reason"], r["status"], r["reply_code"])
        for r in report["checks"]["bounce"]["data"]["recipients"]
    ]


def json_lines(result: CliResult) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("line_end", [b"\n", b"\r\n", b"\r"])
def test_any_line_end_reads_the_same(tmp_path: Path, line_end: bytes) -> None:
    path = tmp_path / "bounce.eml"
    path.write_bytes(POSTFIX.replace(b"\n", line_end))
    assert recipients(bounce(path).json()) == EXPECTED


def test_mbox_is_one_report_per_message(tmp_path: Path) -> None:
    parts = [
        FIXTURES / n for n in ("postfix-userunknown.eml", "arf-complaint.eml", "yahoo-tss04.eml")
    ]
    mbox = b"".join(
        b"From MAILER-DAEMON Tue Dec  1 10:00:00 2026\n" + p.read_bytes() + b"\n" for p in parts
    )
    (tmp_path / "bounces.mbox").write_bytes(mbox)
    lines = json_lines(bounce(tmp_path / "bounces.mbox", "-q"))
    assert [recipients(r)[0][1] for r in lines] == ["userunknown", "feedback", "badreputation"]


def test_maildir_reads_new_and_cur_not_tmp(tmp_path: Path) -> None:
    for sub in ("new", "cur", "tmp"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / f"1764583200.{sub}.host").write_bytes(POSTFIX)
    assert len(json_lines(bounce(tmp_path, "-q"))) == 2


def test_stdin() -> None:
    stdin = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(POSTFIX))
    try:
        assert recipients(bounce("-").json()) == EXPECTED
    finally:
        sys.stdin = stdin


def test_a_directory_of_bounces_with_broken_files_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(POSTFIX)
    (tmp_path / "b.bin").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "c.eml").write_bytes(b"")
    (tmp_path / "d.eml").write_bytes((FIXTURES / "exim-mailboxfull.eml").read_bytes())
    result = bounce(tmp_path)
    assert (result.code, len(json_lines(result))) == (1, 2)
    problems = [line for line in result.stderr.splitlines() if line.startswith("deliverability:")]
    assert len(problems) == 2 and "Traceback" not in result.stderr


def test_the_summary_counts_by_domain_and_reason(tmp_path: Path) -> None:
    for number in range(3):
        (tmp_path / f"{number}.eml").write_bytes(POSTFIX)
    (tmp_path / "3.eml").write_bytes((FIXTURES / "yahoo-tss04.eml").read_bytes())
    summary = run_cli("bounce", str(tmp_path), "--format", "csv").stderr
    assert "example.com" in summary and "userunknown" in summary and "yahoo.example" in summary
    assert run_cli("bounce", str(tmp_path), "-q", "--format", "csv").stderr == ""


def test_csv_is_one_row_per_recipient(tmp_path: Path) -> None:
    rows = run_cli(
        "bounce",
        str(FIXTURES / "qmail-hostunknown.eml"),
        str(FIXTURES / "postfix-userunknown.eml"),
        "--format",
        "csv",
        "-q",
    ).stdout.splitlines()
    assert rows[0].startswith("source,format,address") and len(rows) == 4


HOSTILE = [
    ("binary.eml", b"\x00\x89PNG\r\n\x1a\n" + b"\x00" * 5000),
    (
        "nested.eml",
        b"Content-Type: multipart/mixed; boundary=b0\n\n"
        + b"".join(
            f"--b{i}\nContent-Type: multipart/mixed; boundary=b{i + 1}\n\n".encode()
            for i in range(400)
        ),
    ),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000),
    ("not-json.json", b'{"Type": "Notification", '),
]


@pytest.mark.parametrize(("name", "data"), HOSTILE)
def test_hostile_input_is_one_line(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    result = bounce(tmp_path / name)
    assert result.code in (0, 1, 2) and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 1 and (result.code == 2 or result.stdout)


def test_a_huge_message_is_refused_unread(tmp_path: Path) -> None:
    (tmp_path / "huge.eml").write_bytes(POSTFIX + b"x" * (11 * 1024 * 1024))
    result = bounce(tmp_path / "huge.eml")
    assert (result.code, "over 10 MB" in result.stderr, result.stdout) == (2, True, "")


@pytest.mark.parametrize(
    "args",
    [
        ("/nonexistent/bounce.eml",),
        ("--text", ""),
        (),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...]) -> None:
    result = run_cli("bounce", *args)
    assert (result.code, len(result.stderr.splitlines())) == (2, 1)


def test_many_bounces_refuse_formats_that_hold_one_report(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(POSTFIX)
    (tmp_path / "b.eml").write_bytes(POSTFIX)
    assert run_cli("bounce", str(tmp_path), "--format", "markdown").code == 2


def test_not_a_bounce_file(tmp_path: Path) -> None:
    (tmp_path / "hello.eml").write_text(
        "From: a@example.org\nTo: b@example.com\nSubject: Lunch?\n\nNoon?\n"
    )
    assert bounce(tmp_path / "hello.eml").codes() == {("bounce.not-a-bounce", "info")}


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "json", "csv"])
def test_hostile_diagnostic_text_is_inert(fmt: str) -> None:
    text = "550 5.1.1 [red]x[/red]\x1b[2J\u202e <b>user</b> | unknown"
    out = run_cli("bounce", "--text", text, "--format", fmt).stdout
    assert "\x1b" not in out and "\u202e" not in out


def test_eight_bit_headers_are_read_as_utf8_or_windows_1252(tmp_path: Path) -> None:
    data = POSTFIX.replace(b"Subject: Invoice 42", b"Subject: Rechnung f\xfcr M\xe4rz")
    (tmp_path / "latin.eml").write_bytes(data)
    original = bounce(tmp_path / "latin.eml").json()["checks"]["bounce"]["data"]["original"]
    assert original["subject"] == "Rechnung für März"


def test_a_human_readable_delay_warning_is_delayed_not_failed(tmp_path: Path) -> None:
    text = (
        "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\nTo: news@example.org\n"
        "Subject: Warning: message 1tABCD-000123-EF delayed 24 hours\nX-Failed-Recipients: "
        "kim@fabrikam.example\n\nThis message was created automatically by mail delivery software.\n\n"
        "A message that you sent has not yet been delivered to one or more of its\nrecipients "
        "after more than 24 hours on the queue on mx.example.org.\n\n  kim@fabrikam.example\n"
        "    host mail.fabrikam.example [198.51.100.7]\n    Delay reason: SMTP error from remote "
        "mail server after RCPT TO:<kim@fabrikam.example>:\n    451 4.3.0 Temporary system problem\n\n"
        "No action is required on your part. Delivery attempts will continue for some time.\n"
    )
    (tmp_path / "delay.eml").write_text(text)
    found = bounce(tmp_path / "delay.eml").json()["checks"]["bounce"]["data"]["recipients"]
    assert [(r["address"], r["action"], r["hard"], r["reply_code"]) for r in found] == [
        ("kim@fabrikam.example", "delayed", False, "451")]


@pytest.mark.parametrize("fmt", ["terminal", "markdown", "html", "text"])
def test_a_bounce_without_a_sender_is_titled_for_a_person(fmt: str) -> None:
    result = run_cli("bounce", "--text", "550 5.1.1 <bob@example.net>: User unknown", "--format", fmt)
    assert "a message that names no sender domain" in result.stdout
    assert "unknown.invalid" not in result.stdout
