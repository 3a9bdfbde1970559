"""Report fixtures packed the ways reports arrive (gzip, zip, email, mbox, Maildir)."""

from __future__ import annotations

import gzip
import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

from conftest import CliResult, run_cli

REPORTS = Path(__file__).parent / "reports"


def report(name: str) -> bytes:
    """The bytes of a fixture report."""
    return (REPORTS / name).read_bytes()


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


def zipped(data: bytes, name: str = "report.xml") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return out.getvalue()


def report_email(attachment: bytes, filename: str = "google.com!rua.test!1780272000!1780358399.xml.gz",
                 subtype: str = "gzip") -> bytes:
    """A report email the way `rua` mail arrives (RFC 7489 7.2.1.1): text part plus the report."""
    message = EmailMessage()
    message["From"] = "noreply-dmarc-support@google.com"
    message["To"] = "dmarc@rua.test"
    message["Subject"] = "Report domain: rua.test Submitter: google.com Report-ID: 1"
    message.set_content("This is an aggregate report from google.com.")
    message.add_attachment(attachment, maintype="application", subtype=subtype, filename=filename)
    return message.as_bytes()


def dmarc_reports(*args: str) -> CliResult:
    """`deliverability dmarc-reports ARGS --offline --format json`."""
    return run_cli("dmarc-reports", *args, "--offline", "--format", "json")


def data(result: CliResult) -> dict:  # type: ignore[type-arg]
    return result.json()["checks"]["dmarc-reports"]["data"]
