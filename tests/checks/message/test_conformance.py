"""`message` gives the standards' answers where real test suites caught it out (issue 15).

Each case reproduces the standard's own example or rule: RFC 8463 A.3 (ed25519), RFC 9989
np=, RFC 7489 6.6.1 (several From) and 6.6.3 (no usable p=), RFC 8617 5.2 (ARC sets
without their seal), RFC 6376 (tags that name no key), Exchange Online's internal hops
and the Received dates relays really write. docs/conformance.md lists them with sources.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dkim
import pytest
from conftest import CliResult, run_cli
from paths import TESTS

from deliverability.checks.message.facts import read_facts
from deliverability.checks.message.parse import read_message
from deliverability.checks.message.received import parse_received

KEYS = TESTS / "messages" / "keys"
RECEIVER = (
    "Received: from mail.signed.message.test (mail.signed.message.test [192.0.2.10])\r\n"
    "\tby mx.receiver.example with ESMTPS id 4Zq; Mon, 23 Nov 2026 11:00:07 +0000\r\n"
)


@pytest.fixture
def analyse(world, tmp_path: Path) -> Callable[[bytes], CliResult]:
    """Write a message to a file and run `message FILE` against the world in JSON."""

    def run(message: bytes) -> CliResult:
        path = tmp_path / "message.eml"
        path.write_bytes(message)
        return run_cli("message", str(path), "--resolver", world.address, "--timeout", "1",
                       "--format", "json")

    return run


def message(from_field: str = "News <news@signed.message.test>") -> bytes:
    return (f"From: {from_field}\r\nTo: user@receiver.example\r\nSubject: News\r\n"
            "Date: Mon, 23 Nov 2026 11:00:00 +0000\r\nMessage-ID: <n1@signed.message.test>\r\n"
            "\r\nHello,\r\nthe news.\r\n").encode()


def delivered(body: bytes, spf: str = "fail") -> bytes:
    authres = ("Authentication-Results: mx.receiver.example;\r\n"
               f"\tspf={spf} smtp.mailfrom=bounce@signed.message.test\r\n")
    return ("Return-Path: <bounce@signed.message.test>\r\n" + RECEIVER + authres).encode() + body


def data_of(result: CliResult) -> dict:
    return result.json()["checks"]["message"]["data"]


# --- RFC 8463: ed25519-sha256 verifies -------------------------------------------------

# RFC 8463 Appendix A.3, byte for byte; its keys (A.2) are in tests/world/example.com.zone.
RFC8463_A3 = "\r\n".join([
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;",
    " d=football.example.com; i=@football.example.com;",
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :",
    " subject : date : message-id : from : subject : date;",
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus",
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==",
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
    " d=football.example.com; i=@football.example.com;",
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :",
    " date : message-id : from : subject : date;",
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3",
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz",
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=",
    "From: Joe SixPack <joe@football.example.com>",
    "To: Suzie Q <suzie@shopping.example.net>",
    "Subject: Is dinner ready?",
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>",
    "",
    "Hi.",
    "",
    "We lost the game.  Are you hungry yet?",
    "",
    "Joe.",
    "",
]).encode()

# Exim's defaults: relaxed/relaxed, its header list, the raw 32-byte key of RFC 8463 3.
EXIM_HEADERS = [b"from", b"sender", b"reply-to", b"subject", b"date", b"message-id", b"to",
                b"cc", b"mime-version", b"content-type"]


def exim_ed25519(body: bytes) -> bytes:
    private = (KEYS / "ed25519.key").read_bytes().strip()
    signature = dkim.sign(body, b"ed", b"signed.message.test", private,
                          canonicalize=(b"relaxed", b"relaxed"), include_headers=EXIM_HEADERS,
                          signature_algorithm=b"ed25519-sha256")
    return signature + body


def test_rfc8463_signed_example_verifies(analyse) -> None:
    dkim_data = data_of(analyse(delivered(RFC8463_A3)))["dkim"]
    assert [(d["selector"], d["result"]) for d in dkim_data] == [("brisbane", "pass"),
                                                                ("test", "pass")]


def test_exim_style_ed25519_signature_verifies(analyse) -> None:
    result = analyse(delivered(exim_ed25519(message())))
    assert [(d["selector"], d["result"]) for d in data_of(result)["dkim"]] == [("ed", "pass")]
    assert ("message.dmarc-pass", "ok") in result.codes()


def test_ed25519_signature_of_a_changed_body_fails(analyse) -> None:
    signed = exim_ed25519(message()).replace(b"the news.", b"the news, changed.")
    assert [d["result"] for d in data_of(analyse(delivered(signed)))["dkim"]] == ["fail"]


# --- DMARC: np=, several From, a record with no usable p= -------------------------------

# (From field, expected DMARC result, expected policy, expected code)
DMARC_CASES = [
    # RFC 9989: np= applies to a From domain that does not exist (NXDOMAIN)
    ("a@ghost.np.message.test", "fail", "reject", ("message.dmarc-fail", "error")),
    # ... and sp= to one that exists
    ("a@real.np.message.test", "fail", "quarantine", ("message.dmarc-fail", "error")),
    # RFC 7489 6.6.3 step 6: no valid p= and no rua=: no DMARC processing
    ("a@nop.message.test", "none", None, ("message.dmarc-none", "warning")),
    # RFC 7489 6.6.1: two From domains: the strictest outcome (p=reject) stands
    ("a@nop.message.test, b@signed.message.test", "fail", "reject",
     ("message.dmarc-fail", "error")),
    ("b@signed.message.test, a@ghost.np.message.test", "fail", "reject",
     ("message.dmarc-fail", "error")),
]


@pytest.mark.parametrize(("from_field", "result", "policy", "code"), DMARC_CASES,
                         ids=[c[0] for c in DMARC_CASES])
def test_dmarc_policy_applied(analyse, from_field, result, policy, code) -> None:
    report = analyse(delivered(message(from_field)))
    dmarc = data_of(report)["dmarc"]
    assert (dmarc["result"], dmarc["policy"]) == (result, policy)
    assert code in report.codes()


def test_two_from_addresses_are_an_error_and_each_domain_is_evaluated(analyse) -> None:
    report = analyse(delivered(message("a@nop.message.test, b@signed.message.test")))
    assert ("message.from-invalid", "error") in report.codes()
    per_domain = data_of(report)["dmarc_from_domains"]
    assert [(d["domain"], d["result"]) for d in per_domain] == [
        ("nop.message.test", "none"), ("signed.message.test", "fail")]


# --- ARC (RFC 8617 5.2) and tags that name no key (RFC 6376 6.1.1) ----------------------

FORWARDER_AR = b"Authentication-Results: forwarder.message.test; dkim=pass\r\n"


def without(*names: bytes) -> Callable[[list[bytes]], bytes]:
    return lambda fields: b"".join(f for f in fields if not f.startswith(names))


def empty_selector(field: bytes) -> Callable[[list[bytes]], bytes]:
    """The set with `s=` emptied in the one field named `field`."""
    return lambda fields: b"".join(
        f.replace(b"s=arc;", b"s=;") if f.startswith(field) else f for f in fields)


ARC_CASES = [
    ("AMS and AAR without an ARC-Seal", without(b"ARC-Seal:"), "fail"),
    ("AMS alone", without(b"ARC-Seal:", b"ARC-Authentication-Results:"), "fail"),
    ("empty s= in the ARC-Seal", empty_selector(b"ARC-Seal:"), "fail"),
    ("empty s= in the ARC-Message-Signature", empty_selector(b"ARC-Message-Signature:"), "fail"),
    ("the whole set", without(), "pass"),
]


@pytest.mark.parametrize(("name", "build", "expected"), ARC_CASES, ids=[c[0] for c in ARC_CASES])
def test_arc_chain(analyse, name: str, build, expected: str) -> None:
    at_forwarder = FORWARDER_AR + message()
    private = (KEYS / "rsa2048.pem").read_bytes()
    fields = dkim.arc_sign(at_forwarder, b"arc", b"forwarder.message.test", private,
                           srv_id=b"forwarder.message.test")
    result = analyse(delivered(build(fields) + at_forwarder, spf="pass"))
    assert data_of(result)["arc"]["result"] == expected


# --- The hand-off in an Exchange Online chain without CIP -------------------------------

EXCHANGE_INBOUND = (
    "Received: from MN2PR12MB4000.namprd12.prod.outlook.com (2603:10b6:208:1::10) by\r\n"
    " SA1PR12MB5000.namprd12.prod.outlook.com with HTTPS; Mon, 23 Nov 2026 11:00:09 +0000\r\n"
    "Received: from BN8NAM12FT012.eop-nam12.prod.protection.outlook.com\r\n"
    " (2a01:111:f400:fe5b::20) by MN2PR12MB4000.namprd12.prod.outlook.com\r\n"
    " (2603:10b6:208:1::10) with Microsoft SMTP Server; Mon, 23 Nov 2026 11:00:08 +0000\r\n"
    "Received: from mail.sender.example (198.51.100.20) by\r\n"
    " BN8NAM12FT012.mail.protection.outlook.com (10.13.182.1) with Microsoft SMTP Server\r\n"
    " (version=TLS1_2, cipher=X); Mon, 23 Nov 2026 11:00:07 +0000\r\n"
    "Received: from app.internal (10.0.0.5) by mail.sender.example; Mon, 23 Nov 2026 "
    "11:00:02 +0000\r\n"
)
EXCHANGE_OUTBOUND = (  # Exchange Online's own outbound relay is the hand-off at Gmail
    "Received: from NAM12-BN8-obe.outbound.protection.outlook.com (40.107.237.20) by\r\n"
    " mx.google.com with ESMTPS id x1; Mon, 23 Nov 2026 11:00:09 +0000\r\n"
    "Received: from MN2PR12MB4000.namprd12.prod.outlook.com (2603:10b6:208:1::10) by\r\n"
    " MN2PR12MB4001.namprd12.prod.outlook.com with HTTPS; Mon, 23 Nov 2026 11:00:08 +0000\r\n"
)


@pytest.mark.parametrize(("trace", "ip"), [
    (EXCHANGE_INBOUND, "198.51.100.20"),
    (EXCHANGE_OUTBOUND, "40.107.237.20"),
    (EXCHANGE_INBOUND + "X-Forefront-Antispam-Report: CIP:198.51.100.20;CTRY:;\r\n",
     "198.51.100.20"),
], ids=["exchange inbound, no CIP", "exchange outbound to gmail", "exchange inbound, CIP"])
def test_handoff_skips_the_receivers_own_hops(trace: str, ip: str) -> None:
    facts = read_facts(read_message(trace.encode() + message()))
    assert facts.connecting_ip == ip


# --- Received dates relays really write -------------------------------------------------

DATES = [
    ("Mon, 26 Mar 2018 13:35:36 +0000", "2018-03-26T13:35:36+00:00"),
    ("2018-03-26 13:35:36.270951634 +0000 UTC", "2018-03-26T13:35:36+00:00"),  # SendGrid
    ("Mon, 26 Mar 2018 13:35:36.270 +0000", "2018-03-26T13:35:36+00:00"),
    ("Tue, 1 Dec 2026 10:00:00.123456 +0100 (CET)", "2026-12-01T10:00:00+01:00"),
    ("not a date", None),
]


@pytest.mark.parametrize(("date", "expected"), DATES, ids=[d[0] for d in DATES])
def test_received_dates_parse(date: str, expected: str | None) -> None:
    hop = parse_received(f"from a.example (a.example [192.0.2.1]) by b.example; {date}")
    assert (hop.time.isoformat() if hop.time else None) == expected
