"""`--imap` against a real IMAP server over TLS on loopback: reports read, nothing moved or flagged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import trustme

from dmarc_report_files import data, dmarc_reports, gzipped, report, report_email
from imapserver import ImapServer

MAILBOX = [report_email(gzipped(report("google.xml"))),
           b"From: boss@example.com\r\nSubject: lunch?\r\n\r\nnot a report\r\n",
           report_email(gzipped(report("rfc9990.xml")))]
CHANGES = {"SELECT", "STORE", "UID STORE", "COPY", "UID COPY", "MOVE", "UID MOVE", "EXPUNGE",
           "UID EXPUNGE", "APPEND", "DELETE"}


@pytest.fixture
def imap(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ImapServer]:  # type: ignore[no-untyped-def]
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    monkeypatch.setenv("DELIVERABILITY_IMAP_PASSWORD", "s3cret")
    server = ImapServer(ca.issue_cert("127.0.0.1"), user="dmarc@rua.test", password="s3cret",
                        folders={"INBOX": [], "DMARC": MAILBOX}).start()
    yield server
    server.stop()


def url(server: ImapServer, folder: str = "DMARC") -> str:
    return f"imaps://dmarc%40rua.test@127.0.0.1:{server.port}/{folder}"


def test_reports_are_read_and_nothing_is_changed(imap: ImapServer) -> None:
    result = dmarc_reports("--imap", url(imap))
    assert result.code == 0, result.stderr
    got = data(result)
    assert got["totals"]["reports"] == 2 and got["totals"]["files_failed"] == 1
    assert "EXAMINE" in imap.commands and not CHANGES & set(imap.commands)
    assert imap.flags("DMARC") == {}  # BODY.PEEK[]: \Seen untouched


@pytest.mark.parametrize(("case", "message"), [
    ("wrong password", "AUTHENTICATIONFAILED"),
    ("no such folder", "EXAMINE"),
    ("plain imap", "imaps://"),
    ("no password", "DELIVERABILITY_IMAP_PASSWORD"),
])
def test_imap_problems_are_one_line(imap: ImapServer, monkeypatch: pytest.MonkeyPatch,
                                    case: str, message: str) -> None:
    target = url(imap, "Nope") if case == "no such folder" else url(imap)
    if case == "wrong password":
        monkeypatch.setenv("DELIVERABILITY_IMAP_PASSWORD", "wrong")
    if case == "no password":
        monkeypatch.delenv("DELIVERABILITY_IMAP_PASSWORD")
    if case == "plain imap":
        target = target.replace("imaps://", "imap://")
    result = dmarc_reports("--imap", target)
    assert result.code == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_untrusted_certificate_is_refused(imap: ImapServer, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "other.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "other.pem"))
    result = dmarc_reports("--imap", url(imap))
    assert result.code == 2 and "TLS" in result.stderr
