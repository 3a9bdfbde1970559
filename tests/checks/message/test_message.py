"""`deliverability message`: messages signed in the test with dkimpy, keys served by the world.

Each scenario builds a message as a receiver would hold it (its Received field and
Authentication-Results on top), writes it to a file, and reads the report's codes.
"""

from __future__ import annotations

from collections.abc import Callable

import dkim
import pytest

from conftest import CliResult, run_cli
from paths import TESTS

KEYS = TESTS / "messages" / "keys"
DOMAIN = b"signed.message.test"
SIGNED = [b"from", b"to", b"subject", b"date", b"message-id", b"list-unsubscribe",
          b"list-unsubscribe-post"]
RECEIVER = (
    "Received: from mail.signed.message.test (mail.signed.message.test [192.0.2.10])\r\n"
    "\tby mx.receiver.example with ESMTPS id 4Zq\r\n"
    "\t(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384); Mon, 23 Nov 2026 11:00:07 +0000\r\n"
)
SENDER = (
    "Received: from app.internal (app.internal [10.0.0.5]) by mail.signed.message.test\r\n"
    "\twith ESMTP id 77; Mon, 23 Nov 2026 11:00:02 +0000\r\n"
)


def body_and_headers(from_domain: str = "signed.message.test", extra: str = "") -> bytes:
    return (
        f"From: News <news@{from_domain}>\r\nTo: user@receiver.example\r\n"
        "Subject: November news\r\nDate: Mon, 23 Nov 2026 11:00:00 +0000\r\n"
        f"Message-ID: <n1@{from_domain}>\r\n{extra}\r\nHello,\r\nthe news.\r\n"
    ).encode()


def sign(message: bytes, selector: bytes = b"sel", key: str = "rsa2048",
         length: bool = False, domain: bytes = DOMAIN) -> bytes:
    private = (KEYS / f"{key}.pem").read_bytes()
    signature = dkim.sign(message, selector, domain, private, include_headers=SIGNED,
                          length=length)
    return signature + message


def deliver(message: bytes, results: str = "", spf: str = "pass") -> bytes:
    """Add the sender's hop, then what the receiver writes: its Received and its results."""
    authres = (
        "Authentication-Results: mx.receiver.example;\r\n"
        f"\tspf={spf} smtp.mailfrom=bounce@signed.message.test;\r\n\t{results or 'dkim=pass'}\r\n"
    )
    trace = ("Return-Path: <bounce@signed.message.test>\r\n" + RECEIVER).encode()
    return trace + authres.encode() + SENDER.encode() + message


@pytest.fixture
def analyse(world, tmp_path: Path) -> Callable[..., CliResult]:
    """Write a message to a file and run `message FILE` against the world in JSON."""

    def run(message: bytes, *flags: str) -> CliResult:
        path = tmp_path / "message.eml"
        path.write_bytes(message)
        return run_cli("message", str(path), "--resolver", world.address, "--timeout", "1",
                       "--format", "json", *flags)

    return run


def dkim_codes(result: CliResult) -> set[tuple[str, str]]:
    return {c for c in result.codes() if c[0].startswith(("message.dkim", "message.dmarc",
                                                          "message.body"))}


def altered(message: bytes) -> bytes:
    return message.replace(b"the news.", b"the news, changed in transit.")


def headers_only(message: bytes) -> bytes:
    return message.split(b"\r\n\r\n", 1)[0] + b"\r\n"


SCENARIOS = [
    ("valid", lambda: sign(body_and_headers()),
     {("message.dkim-pass", "ok"), ("message.dmarc-pass", "ok")}),
    ("body altered after signing", lambda: altered(sign(body_and_headers())),
     {("message.dkim-fail", "error"), ("message.dmarc-fail", "error")}),
    ("key revoked", lambda: sign(body_and_headers(), b"revoked"),
     {("message.dkim-fail", "error"), ("message.dmarc-fail", "error")}),
    ("key not found", lambda: sign(body_and_headers(), b"missing"),
     {("message.dkim-fail", "error"), ("message.dmarc-fail", "error")}),
    ("l= tag", lambda: sign(body_and_headers(), length=True),
     {("message.dkim-pass", "ok"), ("message.dkim-length-tag", "warning"),
      ("message.dmarc-pass", "ok")}),
    ("1024-bit key", lambda: sign(body_and_headers(), b"weak", "rsa1024"),
     {("message.dkim-pass", "ok"), ("message.dkim-weak-key", "warning"),
      ("message.dmarc-pass", "ok")}),
    ("headers only", lambda: headers_only(sign(body_and_headers())),
     {("message.body-missing", "info"), ("message.dkim-unknown", "unknown"),
      ("message.dmarc-unknown", "unknown")}),
    ("unaligned signature", lambda: sign(body_and_headers(), domain=b"other.message.test"),
     {("message.dkim-pass", "ok"), ("message.dmarc-pass", "ok")}),
    ("no signature", lambda: body_and_headers(),
     {("message.dkim-none", "warning"), ("message.dmarc-fail", "error")}),
]


@pytest.mark.parametrize(("name", "build", "expected"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_dkim_scenarios(analyse, name: str, build, expected: set[tuple[str, str]]) -> None:
    result = analyse(deliver(build(), spf="fail"))
    assert dkim_codes(result) == expected


def test_relaxed_alignment_passes_dmarc_with_a_sibling_domain(analyse) -> None:
    data = analyse(deliver(sign(body_and_headers(), domain=b"other.message.test"),
                           spf="fail")).json()["checks"]["message"]["data"]
    assert data["dkim"] == [{"domain": "other.message.test", "selector": "sel",
                             "result": "pass", "reason": "signature verified", "aligned": True}]
    assert data["dmarc"] == {"from_domain": "signed.message.test", "result": "pass",
                             "policy": "reject"}


def test_key_lookup_timing_out_is_unknown_never_fail(analyse, world) -> None:
    world.fault("drop", name="slow._domainkey.signed.message.test")
    result = analyse(deliver(sign(body_and_headers(), b"slow"), spf="fail"))
    data = result.json()["checks"]["message"]["data"]
    assert [d["result"] for d in data["dkim"]] == ["unknown"]
    assert "timed out" in data["dkim"][0]["reason"]
    assert ("message.dkim-fail", "error") not in result.codes()


def test_key_fetched_through_our_dns_layer_once(analyse, world) -> None:
    analyse(deliver(sign(body_and_headers())))
    assert world.count("sel._domainkey.signed.message.test", "TXT") == 1


def test_data_has_the_keys_the_issue_names(analyse) -> None:
    data = analyse(deliver(sign(body_and_headers()))).json()["checks"]["message"]["data"]
    assert [set(h) for h in data["hops"]] == [{"from", "by", "ip", "tls", "time", "delay_s"}] * 2
    assert data["hops"][1] == {"from": "mail.signed.message.test", "by": "mx.receiver.example",
                               "ip": "192.0.2.10", "tls": "TLS1_3",
                               "time": "2026-11-23T11:00:07+00:00", "delay_s": 5.0}
    assert data["authentication_results"] == {"spf": "pass", "dkim": "pass", "dmarc": None,
                                              "arc": None}
    assert data["connecting_ip"] == "192.0.2.10"


def test_receiver_pass_we_fail_is_a_disagreement(analyse) -> None:
    message = deliver(altered(sign(body_and_headers())), "dkim=pass; dmarc=pass", spf="fail")
    assert ("message.dmarc-disagrees", "warning") in analyse(message).codes()


def test_forged_lower_results_are_not_trusted(analyse) -> None:
    forged = (b"Authentication-Results: mx.receiver.example; spf=pass; dkim=pass; dmarc=pass\r\n"
              + body_and_headers())
    result = analyse(deliver(forged, "dkim=none; dmarc=fail", spf="fail"))
    data = result.json()["checks"]["message"]["data"]
    assert data["authentication_results"]["dmarc"] == "fail"
    assert ("message.untrusted-authres", "warning") in result.codes()


def test_arc_chain_validates(analyse) -> None:
    original = sign(body_and_headers())
    at_forwarder = (b"Authentication-Results: forwarder.message.test; dkim=pass "
                    b"header.d=signed.message.test\r\n" + original)
    private = (KEYS / "rsa2048.pem").read_bytes()
    arc = dkim.arc_sign(at_forwarder, b"arc", b"forwarder.message.test", private,
                        srv_id=b"forwarder.message.test")
    result = analyse(deliver(b"".join(arc) + at_forwarder))
    assert ("message.arc-pass", "ok") in result.codes()


def test_arc_chain_broken_by_a_change_fails(analyse) -> None:
    at_forwarder = (b"Authentication-Results: forwarder.message.test; dkim=pass\r\n"
                    + sign(body_and_headers()))
    private = (KEYS / "rsa2048.pem").read_bytes()
    arc = dkim.arc_sign(at_forwarder, b"arc", b"forwarder.message.test", private,
                        srv_id=b"forwarder.message.test")
    result = analyse(deliver(altered(b"".join(arc) + at_forwarder)))
    assert ("message.arc-fail", "warning") in result.codes()


UNSUBSCRIBE = [
    ("one-click, signed", "List-Unsubscribe: <https://signed.message.test/u/1>\r\n"
     "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", ("message.unsubscribe-ok", "ok")),
    ("mailto only", "List-Unsubscribe: <mailto:u@signed.message.test>\r\n",
     ("message.one-click-missing", "warning")),
    ("bulk without unsubscribe", "Precedence: bulk\r\n",
     ("message.unsubscribe-missing", "warning")),
]


@pytest.mark.parametrize(("name", "extra", "expected"), UNSUBSCRIBE, ids=[u[0] for u in UNSUBSCRIBE])
def test_unsubscribe(analyse, name: str, extra: str, expected: tuple[str, str]) -> None:
    assert expected in analyse(deliver(sign(body_and_headers(extra=extra)))).codes()


def test_one_click_not_covered_by_the_signature(analyse) -> None:
    extra = ("List-Unsubscribe: <https://signed.message.test/u/1>\r\n"
             "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
    message = sign(body_and_headers()).replace(b"To: ", extra.encode() + b"To: ")
    assert ("message.one-click-unsigned", "warning") in analyse(deliver(message)).codes()


ONE_CLICK = ("List-Unsubscribe: <https://signed.message.test/u/1>\r\n"
             "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
# A signature that covers both headers but cannot be verified says "cannot tell", never
# "unsigned"; one that verifies false (key revoked) is not a valid signature.
ONE_CLICK_SIGNATURES = [
    ("headers only", lambda: headers_only(sign(body_and_headers(extra=ONE_CLICK))), None,
     ("message.one-click-unverified", "unknown")),
    ("key lookup timed out", lambda: sign(body_and_headers(extra=ONE_CLICK), b"slow"),
     "slow._domainkey.signed.message.test", ("message.one-click-unverified", "unknown")),
    ("key revoked", lambda: sign(body_and_headers(extra=ONE_CLICK), b"revoked"), None,
     ("message.one-click-unsigned", "warning")),
]


@pytest.mark.parametrize(("name", "build", "dropped", "expected"), ONE_CLICK_SIGNATURES,
                         ids=[s[0] for s in ONE_CLICK_SIGNATURES])
def test_one_click_signature_that_cannot_be_verified(analyse, world, name: str, build,
                                                     dropped: str | None,
                                                     expected: tuple[str, str]) -> None:
    if dropped:
        world.fault("drop", name=dropped)
    codes = {c for c in analyse(deliver(build())).codes() if "click" in c[0]
             or "unsubscribe" in c[0]}
    assert codes == {expected}


# Microsoft's SCL -1 (filtering skipped, delivered to the Inbox) outweighs a spam category in
# the same header: the message was not treated as spam.
MICROSOFT_BYPASS = [
    ("bulk category, filtering skipped",
     "X-Forefront-Antispam-Report: CIP:192.0.2.10;SCL:-1;SFV:SKN;CAT:BULK;DIR:INB;\r\n",
     ("message.verdict", "info")),
    ("bulk category, junked",
     "X-Forefront-Antispam-Report: CIP:192.0.2.10;SCL:6;SFV:SPM;CAT:BULK;DIR:INB;\r\n",
     ("message.marked-spam", "error")),
    ("organization SCL -1", "X-MS-Exchange-Organization-SCL: -1\r\n", ("message.verdict", "info")),
]


@pytest.mark.parametrize(("name", "header", "expected"), MICROSOFT_BYPASS,
                         ids=[m[0] for m in MICROSOFT_BYPASS])
def test_microsoft_bypass_is_not_marked_spam(analyse, name: str, header: str,
                                             expected: tuple[str, str]) -> None:
    codes = analyse(header.encode() + deliver(sign(body_and_headers()))).codes()
    verdicts = {c for c in codes if c[0] in ("message.verdict", "message.marked-spam")}
    assert verdicts == {expected}


# A DKIM-Signature whose d= or s= is no domain name (hostile or broken input) is a
# signature we cannot check (unknown), never a crash of the message check.
BROKEN_SIGNATURE_NAMES = [
    ("bidi control in d=", "d=ex\u202eample.com; s=sel"),
    ("empty label in d=", "d=signed..message.test; s=sel"),
    ("label too long", "d=" + "a" * 64 + ".message.test; s=sel"),
    ("empty s=", "d=signed.message.test; s="),
]


@pytest.mark.parametrize(("name", "tags"), BROKEN_SIGNATURE_NAMES,
                         ids=[b[0] for b in BROKEN_SIGNATURE_NAMES])
def test_a_signature_naming_no_key_is_a_failed_signature(analyse, name: str, tags: str) -> None:
    """RFC 6376 6.1.1: tags that cannot name a key make the signature fail, not its lookup."""
    signature = f"DKIM-Signature: v=1; a=rsa-sha256; {tags}; h=from; bh=AAAA; b=AAAA\r\n"
    result = analyse(deliver(signature.encode() + body_and_headers()))
    assert [d["result"] for d in result.json()["checks"]["message"]["data"]["dkim"]] == ["fail"]
    assert ("message.dkim-fail", "error") in result.codes()


# What an agent's paste brings before the first field is skipped (only blank lines and
# Outlook's "Internet headers" title line); other leading text is not guessed at.
PASTED = [
    ("blank lines", b"\r\n  \r\n", 0),
    ("Outlook title line", b"Microsoft Mail Internet Headers Version 2.0\r\n", 0),
    ("both, LF", b"\n\nMicrosoft Mail Internet Headers Version 2.0\n", 0),
    ("other text", b"Here are the headers:\r\n", 2),
]


@pytest.mark.parametrize(("name", "preamble", "status"), PASTED, ids=[p[0] for p in PASTED])
def test_a_pasted_preamble(analyse, name: str, preamble: bytes, status: int) -> None:
    result = analyse(preamble + deliver(sign(body_and_headers())))
    assert result.code == status
    if status == 0:
        assert dkim_codes(result) == {("message.dkim-pass", "ok"), ("message.dmarc-pass", "ok")}
    else:
        assert result.stderr.count("\n") == 1 and "no header fields" in result.stderr


def test_check_sender_runs_the_domain_checks_in_one_report(analyse) -> None:
    report = analyse(deliver(sign(body_and_headers())), "--check-sender").json()
    assert {"message", "mx", "rdns"} <= set(report["checks"])
    assert report["target"]["domain"] == "signed.message.test"
    assert report["target"]["ips"] == ["192.0.2.10"]
    assert report["target"]["selectors"] == ["sel"]


def test_the_domain_check_never_runs_the_message_check(world) -> None:
    result = run_cli("check", "ok.mx.test", "--resolver", world.address, "--timeout", "1",
                     "--format", "json")
    assert "message" not in result.json()["checks"]


def test_signatures_past_the_cap_are_unknown_not_verified(analyse) -> None:
    signed = sign(body_and_headers())
    signature, message = signed.split(b"From: ", 1)
    data = analyse(deliver(signature * 23 + b"From: " + message)).json()["checks"]["message"]["data"]
    assert [d["result"] for d in data["dkim"]] == ["pass"] * 20 + ["unknown"] * 3
