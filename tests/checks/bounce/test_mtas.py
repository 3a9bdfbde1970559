"""One bounce per MTA, receiver and ESP export the issue lists: each recipient's address,
reason, status, reply code, permanence and provider, as `bounce --format json` reports them.

The fixtures in fixtures/ are written in the shape each vendor documents or sends.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import CliResult, run_cli
from paths import TESTS

FIXTURES = TESTS / "checks" / "bounce" / "fixtures"
KEYS = ("address", "reason", "status", "reply_code", "hard", "provider")


def bounce(*args: str) -> CliResult:
    return run_cli("bounce", *args, "--format", "json")


def recipients(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(r[k] for k in KEYS) for r in report["checks"]["bounce"]["data"]["recipients"]]


MTAS = [  # fixture, format, [(address, reason, status, reply_code, hard, provider)]
    (
        "postfix-userunknown.eml",
        "rfc3464",
        [("user@example.com", "userunknown", "5.1.1", "550", True, None)],
    ),
    (
        "exim-mailboxfull.eml",
        "mta-text",
        [("kim@fabrikam.example", "mailboxfull", "5.2.2", "552", True, None)],
    ),
    (
        "sendmail-userunknown.eml",
        "mta-text",
        [("jo@litware.example", "userunknown", "5.1.1", "550", True, None)],
    ),
    (
        "qmail-hostunknown.eml",
        "mta-text",
        [
            ("pat@nonexistent-domain.example", "hostunknown", "5.1.2", None, True, None),
            ("lee@fourthcoffee.example", "userunknown", "5.1.1", "550", True, None),
        ],
    ),
    (
        "courier-norelaying.eml",
        "mta-text",
        [("sam@relay.example.net", "norelaying", "5.7.1", "554", True, None)],
    ),
    (
        "domino-userunknown.eml",
        "mta-text",
        [("chris@woodgrove.example", "userunknown", None, None, True, None)],
    ),
    (
        "exchange-2010-ndr.eml",
        "mta-text",
        [("robin@proseware.example", "userunknown", "5.1.1", "550", True, "microsoft")],
    ),
    (
        "exchange-online-ndr.eml",
        "rfc3464",
        [("dana@contoso.example", "userunknown", "5.1.10", "550", True, "microsoft")],
    ),
    (
        "microsoft-s3150.eml",
        "rfc3464",
        [("alex@contoso.example", "blocked", "5.7.1", "550", True, "microsoft")],
    ),
    (
        "microsoft-dbeb.eml",
        "rfc3464",
        [("alex@contoso.example", "userunknown", "5.4.1", "550", True, "microsoft")],
    ),
    (
        "gmail-authfailure.eml",
        "rfc3464",
        [("alex@gmail.example", "authfailure", "5.7.26", "550", True, "google")],
    ),
    (
        "gmail-userunknown.eml",
        "rfc3464",
        [("alex@gmail.example", "userunknown", "5.1.1", "550", True, "google")],
    ),
    (
        "gmail-sender-ndr.eml",
        "mta-text",
        [("casey@graphicdesign.example", "spamdetected", "5.7.1", "550", True, None)],
    ),
    (
        "yahoo-tss04.eml",
        "rfc3464",
        [("alex@yahoo.example", "badreputation", "4.7.0", "421", False, "yahoo")],
    ),
    (
        "yahoo-sender-ndr.eml",
        "mta-text",
        [("morgan@treyresearch.example", "mesgtoobig", "5.3.4", "552", True, None)],
    ),
    (
        "mimecast-policy.eml",
        "rfc3464",
        [("alex@fabrikam.example", "policyviolation", "5.0.0", "550", True, "mimecast")],
    ),
    (
        "proofpoint-blocked.eml",
        "rfc3464",
        [("alex@tailspin.example", "blocked", "5.0.0", "554", True, "proofpoint")],
    ),
    (
        "barracuda-blocked.eml",
        "rfc3464",
        [("alex@wingtip.example", "blocked", "5.0.0", "554", True, "barracuda")],
    ),
    (
        "cisco-reputation.eml",
        "rfc3464",
        [("alex@adatum.example", "badreputation", "5.7.1", "554", True, "cisco")],
    ),
    (
        "spamhaus-blocked.eml",
        "rfc3464",
        [("alex@northwind.example", "blocked", "5.7.1", "550", True, None)],
    ),
    (
        "amazon-ses-dsn.eml",
        "rfc3464",
        [("taylor@relecloud.example", "expired", "4.4.7", "554", False, None)],
    ),
    (
        "ses-sns-bounce.json",
        "ses-sns",
        [("ivy@relecloud.example", "blocked", "5.7.1", "550", True, "microsoft")],
    ),
    (
        "mailgun-failed.json",
        "mailgun",
        [("kai@adatum.example", "blocked", "5.7.1", "550", True, "cisco")],
    ),
    (
        "postmark-bounce.json",
        "postmark",
        [("lou@gmail.example", "userunknown", "5.1.1", "550", True, None)],
    ),
    ("arf-complaint.eml", "arf", [("mo@hotmail.example", "feedback", None, None, False, None)]),
    (
        "auto-reply.eml",
        "auto-reply",
        [("noor@fabrikam.example", "vacation", None, None, False, None)],
    ),
]


@pytest.mark.parametrize(("name", "fmt", "expected"), MTAS)
def test_each_mta_and_receiver(name: str, fmt: str, expected: list[tuple[Any, ...]]) -> None:
    report = bounce(str(FIXTURES / name)).json()
    assert (report["checks"]["bounce"]["data"]["format"], recipients(report)) == (fmt, expected)


def test_sendgrid_csv_is_one_report_per_row() -> None:
    lines = bounce(str(FIXTURES / "sendgrid-bounces.csv"), "-q").stdout.splitlines()
    found = [recipients(__import__("json").loads(line))[0] for line in lines]
    assert found == [
        ("ana@gmail.example", "userunknown", "5.1.1", "550", True, "google"),
        ("ben@contoso.example", "blocked", "5.7.1", "550", True, "microsoft"),
        ("cy@yahoo.example", "mailboxfull", "5.2.2", "552", True, None),
    ]


def test_sendgrid_webhook_skips_engagement_events() -> None:
    lines = bounce(str(FIXTURES / "sendgrid-webhook.json"), "-q").stdout.splitlines()
    found = [recipients(__import__("json").loads(line))[0][:4] for line in lines]
    assert found == [
        ("dee@fabrikam.example", "userunknown", "5.1.1", "550"),
        ("eve@tailspin.example", "blocked", "5.7.1", "554"),
        ("fay@northwind.example", "toomanyconn", "4.7.0", "421"),
        ("gus@example.net", "suppressed", "5.0.0", None),
    ]


def test_the_original_message_is_reported() -> None:
    data = bounce(str(FIXTURES / "postfix-userunknown.eml")).json()["checks"]["bounce"]["data"]
    assert (data["reporting_mta"], data["original"]) == (
        "mail.example.org",
        {
            "message_id": "<invoice-42@example.org>",
            "from": "sender@example.org",
            "to": "user@example.com",
            "subject": "Invoice 42",
        },
    )


@pytest.mark.parametrize(
    ("name", "code", "severity"),
    [
        ("postfix-userunknown.eml", "bounce.userunknown", "error"),
        ("yahoo-tss04.eml", "bounce.badreputation", "warning"),
        ("arf-complaint.eml", "bounce.feedback", "warning"),
        ("auto-reply.eml", "bounce.vacation", "info"),
    ],
)
def test_codes_and_severities(name: str, code: str, severity: str) -> None:
    assert bounce(str(FIXTURES / name)).codes() == {(code, severity)}


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("gmail-authfailure.eml", "deliverability check example.org --ip 192.0.2.10"),
        (
            "spamhaus-blocked.eml",
            "deliverability check example.org --ip 192.0.2.10 --blocklists spamhaus-zen",
        ),
        ("mimecast-policy.eml", "deliverability guide fabrikam.example --sender example.org"),
    ],
)
def test_next_steps_name_the_command_to_run(name: str, command: str) -> None:
    findings = bounce(str(FIXTURES / name)).json()["checks"]["bounce"]["findings"]
    assert any(f"`{command}`" in line for f in findings for line in f["remediation"])
