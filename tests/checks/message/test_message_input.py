"""`deliverability message`: vendors' verdict headers from fixtures, and hostile or broken input.

The fixtures in tests/messages/ are header blocks shaped like the ones each vendor
documents. Broken input must give a report or one line on stderr with exit 2, never
a traceback; hostile text must come out inert.
"""

from __future__ import annotations

import json

import pytest

from conftest import CliResult, run_cli
from paths import ROOT, TESTS

MESSAGES = TESTS / "messages"


def analyse(path: Path | str, *flags: str) -> CliResult:
    return run_cli("message", str(path), "--offline", "--format", "json", *flags)


VENDORS = [
    ("microsoft-junk.eml", {("message.marked-spam", "error"), ("message.auth-fail", "warning"),
                            ("message.auth-fail", "error"), ("message.one-click-missing", "warning")}),
    ("spamassassin-spam.eml", {("message.marked-spam", "error")}),
    ("proofpoint.eml", {("message.verdict", "info"), ("message.unknown-header", "info")}),
    ("mimecast.eml", {("message.verdict", "info"), ("message.unknown-header", "info")}),
    ("barracuda.eml", {("message.marked-spam", "error")}),
    ("gmail.eml", {("message.verdict", "info"), ("message.auth-pass", "ok")}),
    ("forwarded-list.eml", {("message.spf-forwarded", "info")}),
]


@pytest.mark.parametrize(("name", "expected"), VENDORS)
def test_vendor_verdicts(name: str, expected: set[tuple[str, str]]) -> None:
    assert expected <= analyse(MESSAGES / name).codes()


def test_forwarded_mail_is_not_the_senders_spf_problem() -> None:
    # ARC says a list forwarded it: the list's spf=neutral is no warning about the sender
    codes = analyse(MESSAGES / "forwarded-list.eml").codes()
    assert ("message.spf-forwarded", "info") in codes
    assert not {c for c in codes if c[0].startswith("message.auth-") and c[1] == "warning"}


def test_microsoft_fields_decoded_with_meanings() -> None:
    data = analyse(MESSAGES / "microsoft-junk.eml").json()["checks"]["message"]["data"]
    fields = {(v["header"], v["field"]): v for v in data["verdicts"]}
    assert fields[("X-Forefront-Antispam-Report", "SFV")]["value"] == "SPM"
    assert "Spoofing" in fields[("X-Forefront-Antispam-Report", "CAT")]["meaning"]
    assert fields[("X-Forefront-Antispam-Report", "SFS")]["meaning"] is None  # diagnostic only
    assert fields[("X-Microsoft-Antispam", "BCL")]["value"] == "7"
    assert data["connecting_ip"] == "203.0.113.25"
    assert data["authentication_results"] == {"spf": "softfail", "dkim": "none", "dmarc": "fail",
                                              "arc": None}


def test_gmail_hand_off_and_results() -> None:
    data = analyse(MESSAGES / "gmail.eml").json()["checks"]["message"]["data"]
    assert data["connecting_ip"] == "192.0.2.10"
    assert data["hops"][data["handoff"]]["by"] == "mx.google.com"
    assert data["authentication_results"]["dmarc"] == "pass"


def test_stdin_is_read_with_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    stdin = io.TextIOWrapper(io.BytesIO((MESSAGES / "gmail.eml").read_bytes()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert analyse("-").json()["target"]["domain"] == "example.com"


def _write(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "input.eml"
    path.write_bytes(content)
    return path


HEADERS = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\n"
REPORTED = {
    "5 MB header": HEADERS + b"X-Long: " + b"a" * (5 * 1024 * 1024) + b"\r\n\r\nbody\r\n",
    "broken encodings": (b"From: =?utf-8?B?!!!notbase64?= <a@example.com>\r\n"
                         b"Subject: =?x-unknown?Q?caf=E9?= \xff\xfe\r\n"
                         b"Content-Type: text/plain; charset=bogus\r\n"
                         b"Content-Transfer-Encoding: base64\r\n\r\n%%%not base64%%%\r\n"),
    "bad From": b"From: not an address\r\nSubject: x\r\n\r\nbody\r\n",
    "headers without a body": HEADERS,
    "3000 trace fields": (b"Received: from h.example ([192.0.2.1]) by mx.example.net; "
                          b"Mon, 23 Nov 2026 11:00:00 +0000\r\n"
                          b"Authentication-Results: mx.example.net; spf=pass\r\n") * 1500
                         + HEADERS + b"\r\nbody\r\n",
    "malformed signatures": (b"DKIM-Signature: v=1; a=foo; d=a.test; s=s; h=from; bh=; b=!!\r\n"
                             b"DKIM-Signature: garbage\r\n"
                             b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=a.test; s=s; b=xx\r\n"
                             + HEADERS + b"\r\nbody\r\n"),
}
REFUSED = {
    "binary": bytes(range(256)) * 64,
    "no headers": b"\r\n\r\njust a body, no header fields\r\n",
    "empty": b"",
    "too large": HEADERS + b"\r\n" + b"x" * (10 * 1024 * 1024 + 10),
}


@pytest.mark.parametrize("name", REPORTED)
def test_broken_input_still_gives_a_report(tmp_path: Path, name: str) -> None:
    result = analyse(_write(tmp_path, REPORTED[name]))
    assert "message" in result.json()["checks"]
    assert result.stderr == ""  # nothing leaks from dkimpy's logging either


@pytest.mark.parametrize("name", REFUSED)
def test_unreadable_input_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    result = analyse(_write(tmp_path, REFUSED[name]))
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    result = analyse(tmp_path / "nope.eml")
    assert result.code == 2 and result.stderr.count("\n") == 1


def test_bad_from_is_reported_and_check_sender_refuses(tmp_path: Path) -> None:
    path = _write(tmp_path, REPORTED["bad From"])
    assert ("message.from-invalid", "error") in analyse(path).codes()
    assert analyse(path, "--check-sender").code == 2


HOSTILE = (b"From: a@example.com\r\nSubject: \x1b[2J\xe2\x80\xae evil\r\n"
           b"X-Spam-Status: Yes, score=9 required=5 tests=\x1b[31mRED\xe2\x80\xae\r\n"
           b"Received: from \x1b[2Jhost ([192.0.2.1]) by mx.example.net; Mon, 23 Nov 2026 "
           b"11:00:00 +0000\r\n\r\nbody\r\n")


@pytest.mark.parametrize("output_format", ["json", "terminal", "markdown"])
def test_hostile_text_comes_out_inert(tmp_path: Path, output_format: str) -> None:
    result = run_cli("message", str(_write(tmp_path, HOSTILE)), "--offline", "--format",
                     output_format)
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert result.code in (0, 1)


def test_json_report_is_valid_json_for_every_fixture() -> None:
    for path in sorted(MESSAGES.glob("*.eml")):
        json.loads(analyse(path).stdout)


def test_message_report_validates_against_the_published_schema() -> None:
    import jsonschema

    schema = json.loads((ROOT / "docs" / "report.schema.json").read_text())
    for path in sorted(MESSAGES.glob("*.eml")):
        jsonschema.validate(analyse(path).json(), schema)


EXIT = [
    ("microsoft-junk.eml", (), 1),
    ("microsoft-junk.eml", ("--fail-on", "never"), 0),
    ("gmail.eml", (), 0),
    ("gmail.eml", ("--fail-on", "warning"), 1),  # no DKIM signature: a warning
    ("spamassassin-spam.eml", (), 1),  # X-Spam-Status: Yes
]


@pytest.mark.parametrize(("name", "flags", "status"), EXIT)
def test_exit_status_follows_fail_on_and_strict(name: str, flags: tuple[str, ...],
                                                status: int) -> None:
    assert analyse(MESSAGES / name, *flags).code == status


def test_output_writes_the_report_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    result = run_cli("message", str(MESSAGES / "gmail.eml"), "--offline", "--format", "markdown",
                     "--output", str(target))
    assert (result.code, result.stdout) == (0, "")
    assert "message.identities" in target.read_text()


def test_mime_defects_inside_parts_are_reported(tmp_path: Path) -> None:
    broken = (b"From: a@example.com\r\nMIME-Version: 1.0\r\n"
              b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
              b"Content-Type: text/plain\r\n\r\nno closing boundary\r\n")
    assert ("message.malformed", "warning") in analyse(_write(tmp_path, broken)).codes()
