"""One rejection text per reason with a documented example (receivers' published error
pages, RFC 3463, the MTAs' manuals), pasted with --text: its reason, status, reply code
and recipient as `bounce --format json` reports them."""

from __future__ import annotations

import pytest
from conftest import run_cli

REASONS = [  # reason, text, status, reply code, recipient
    (
        "authfailure",
        "550 5.7.26 This mail has been blocked because the sender is unauthenticated. "
        "Gmail requires all senders to authenticate with either SPF or DKIM. - gsmtp",
        "5.7.26",
        "550",
        None,
    ),
    (
        "authfailure",
        "550 5.7.509 Access denied, sending domain example.org does not pass DMARC "
        "verification and has a DMARC policy of reject.",
        "5.7.509",
        "550",
        None,
    ),
    (
        "badreputation",
        "421 4.7.0 Our system has detected an unusual rate of unsolicited mail "
        "originating from your IP address. - gsmtp",
        "4.7.0",
        "421",
        None,
    ),
    (
        "badreputation",
        "421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to "
        "unexpected volume or user complaints - 4.16.55.1",
        "4.7.0",
        "421",
        None,
    ),
    (
        "blocked",
        "550 5.7.1 Service unavailable, Client host [192.0.2.10] blocked using zen.spamhaus.org",
        "5.7.1",
        "550",
        None,
    ),
    (
        "blocked",
        "550 5.7.1 Unfortunately, messages from [192.0.2.10] weren't sent. Please contact "
        "your Internet service provider since part of their network is on our block list (S3150).",
        "5.7.1",
        "550",
        None,
    ),
    ("contenterror", "554 5.6.0 Message contains invalid header", "5.6.0", "554", None),
    ("exceedlimit", "552 5.2.3 Message exceeds the recipient's size limit", "5.2.3", "552", None),
    ("expired", "550 4.4.7 QUEUE.Expired; message expired", "4.4.7", "550", None),
    (
        "failedstarttls",
        "421 4.7.0 TLS required for RCPT domain, closing connection. - gsmtp",
        "4.7.0",
        "421",
        None,
    ),
    (
        "filtered",
        "550 5.7.1 Message rejected by the recipient's filter rules",
        "5.7.1",
        "550",
        None,
    ),
    ("hasmoved", "551 5.1.6 User has moved; please try <new@example.net>", "5.1.6", "551", None),
    (
        "hostunknown",
        "550 5.1.2 DNS Error: DNS type 'mx' lookup of example.invalid responded "
        "with code NXDOMAIN Domain name not found: example.invalid",
        "5.1.2",
        "550",
        None,
    ),
    (
        "mailboxfull",
        "452 4.2.2 The email account that you tried to reach is over quota. - gsmtp",
        "4.2.2",
        "452",
        None,
    ),
    ("mailererror", 'Command died with status 1: "/usr/bin/procmail"', None, None, None),
    (
        "mesgtoobig",
        "552 5.3.4 Your message exceeded Google's message size limits. - gsmtp",
        "5.3.4",
        "552",
        None,
    ),
    (
        "networkerror",
        "connect to mx.example.com[192.0.2.25]:25: Connection timed out",
        None,
        None,
        None,
    ),
    (
        "norelaying",
        "554 5.7.1 <sam@example.net>: Relay access denied",
        "5.7.1",
        "554",
        "sam@example.net",
    ),
    (
        "notaccept",
        "556 5.1.10 Recipient address rejected: Domain example.net does not accept mail (nullMX)",
        "5.1.10",
        "556",
        None,
    ),
    (
        "notcompliantrfc",
        "550 5.7.1 This message is not RFC 5322 compliant. To reduce the amount "
        "of spam sent to Gmail, this message has been blocked. - gsmtp",
        "5.7.1",
        "550",
        None,
    ),
    (
        "policyviolation",
        "550 5.7.1 This message violates example.com email policy. - gcdp <sessionid> - gsmtp",
        "5.7.1",
        "550",
        None,
    ),
    (
        "rejected",
        "553 5.1.8 <news@example.invalid>: Sender address rejected: Domain not found",
        "5.1.8",
        "553",
        None,
    ),
    (
        "requireptr",
        "550 5.7.25 The IP address sending this message does not have a PTR record "
        "setup, or the corresponding forward DNS entry does not point to the sending IP. - gsmtp",
        "5.7.25",
        "550",
        None,
    ),
    ("securityerror", "530 5.7.0 Authentication Required. - gsmtp", "5.7.0", "530", None),
    (
        "securityerror",
        "530 5.7.57 Client was not authenticated to send anonymous mail during MAIL FROM",
        "5.7.57",
        "530",
        None,
    ),
    (
        "spamdetected",
        "550 5.7.1 Our system has detected that this message is likely unsolicited mail. - gsmtp",
        "5.7.1",
        "550",
        None,
    ),
    (
        "speeding",
        "450 4.2.1 The user you are trying to contact is receiving mail too quickly. - gsmtp",
        "4.2.1",
        "450",
        None,
    ),
    (
        "suppressed",
        "Amazon SES has suppressed sending to this address because it has a recent "
        "history of bouncing as an invalid address.",
        None,
        None,
        None,
    ),
    (
        "suspend",
        "550 5.2.1 The email account that you tried to reach is disabled. - gsmtp",
        "5.2.1",
        "550",
        None,
    ),
    ("syntaxerror", "501 5.5.4 Syntax error in parameters or arguments", "5.5.4", "501", None),
    (
        "systemerror",
        "421 4.3.0 Temporary System Problem. Try again later. - gsmtp",
        "4.3.0",
        "421",
        None,
    ),
    ("systemfull", "452 4.3.1 Insufficient system storage", "4.3.1", "452", None),
    (
        "toomanyconn",
        "421 4.7.0 Too many concurrent SMTP connections from this IP address",
        "4.7.0",
        "421",
        None,
    ),
    ("undefined", "550 Requested action not taken", None, "550", None),
    (
        "userunknown",
        "550 5.1.1 <alex@example.com>: Recipient address rejected: User unknown in "
        "local recipient table",
        "5.1.1",
        "550",
        "alex@example.com",
    ),
    (
        "userunknown",
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        "5.1.10",
        "550",
        None,
    ),
    (
        "virusdetected",
        "554 5.7.1 Message rejected: virus found (Eicar-Test-Signature)",
        "5.7.1",
        "554",
        None,
    ),
    (
        "delivered",
        "250 2.0.0 OK 1764583200 d2e1a72fcca58-7f0a1b2c3d4 - gsmtp",
        "2.0.0",
        "250",
        None,
    ),
]


@pytest.mark.parametrize(("reason", "text", "status", "reply", "address"), REASONS)
def test_each_reason(
    reason: str, text: str, status: str | None, reply: str | None, address: str | None
) -> None:
    result = run_cli("bounce", "--text", text, "--format", "json")
    found = result.json()["checks"]["bounce"]["data"]["recipients"]
    assert [(r["reason"], r["status"], r["reply_code"], r["address"]) for r in found] == [
        (reason, status, reply, address)
    ]


@pytest.mark.parametrize(
    ("text", "hard", "severity"),
    [
        ("550 5.1.1 User unknown", True, "error"),
        ("421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred", False, "warning"),
        ("User unknown", None, "warning"),  # no code: permanence not stated, never guessed
        ("250 2.0.0 OK", False, "ok"),
    ],
)
def test_permanence_and_severity(text: str, hard: bool | None, severity: str) -> None:
    result = run_cli("bounce", "--text", text, "--format", "json")
    recipient = result.json()["checks"]["bounce"]["data"]["recipients"][0]
    assert (recipient["hard"], {s for _, s in result.codes()}) == (hard, {severity})


def test_every_reason_of_the_vocabulary_has_a_code() -> None:
    from deliverability.checks.bounce.check import CODES
    from deliverability.checks.bounce.reasons import Reason

    assert {f"bounce.{r.value}" for r in Reason} <= set(CODES)


def test_docs_list_every_reason_and_every_rule_has_a_source() -> None:
    from paths import ROOT

    from deliverability.checks.bounce.reasons import Reason, load_table

    docs = (ROOT / "docs" / "bounces.md").read_text()
    assert [r.value for r in Reason if f"| `{r.value}` |" not in docs] == []
    assert [rule.reason for rule in load_table().rules if not rule.source.strip()] == []


def test_a_multiline_reply_is_one_line_with_its_codes_once() -> None:
    text = "550-5.7.26 This mail has been blocked.\n550-5.7.26 Gmail requires\n550 5.7.26 SPF or DKIM."
    result = run_cli("bounce", "--text", text, "--format", "json")
    found = result.json()["checks"]["bounce"]["data"]["recipients"][0]
    assert found["diagnostic"] == "550 5.7.26 This mail has been blocked. Gmail requires SPF or DKIM."
