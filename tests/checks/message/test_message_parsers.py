"""Pure parsers of the message check: Received fields and Authentication-Results, case by case."""

from __future__ import annotations

import pytest

from deliverability.checks.message.authres import parse_authres, receiver_results, stated_ip
from deliverability.checks.message.parse import Header
from deliverability.checks.message.received import parse_received

RECEIVED = [
    # Postfix, TLS stated in the comment
    ("from mail.example.org (mail.example.org [198.51.100.7]) (using TLSv1.3 with cipher "
     "TLS_AES_256_GCM_SHA384) by mx.isp.example (Postfix) with ESMTPS id 4Zq; "
     "Mon, 23 Nov 2026 11:00:03 +0000",
     ("mail.example.org", "mx.isp.example", "198.51.100.7", "ESMTPS", "TLSv1.3")),
    # Microsoft 365: bare IP in the comment, TLS in version=
    ("from mail.bulk.example.com (203.0.113.25) by BN8.mail.protection.outlook.com "
     "(10.167.243.10) with Microsoft SMTP Server (version=TLS1_2, cipher=X) id 15.20; "
     "Mon, 23 Nov 2026 11:00:08 +0000",
     ("mail.bulk.example.com", "BN8.mail.protection.outlook.com", "203.0.113.25", "Microsoft",
      "TLS1_2")),
    # IPv6 literal, no TLS, no date
    ("from [IPv6:2001:db8::1] (helo=client) by relay.example.net with esmtp",
     ("IPv6:2001:db8::1", "relay.example.net", "2001:db8::1", "esmtp", None)),
    # Gmail's internal hop: no from clause
    ("by 2002:a05:6a10:1a4d with SMTP id k13csp1; Mon, 23 Nov 2026 03:00:09 -0800 (PST)",
     (None, "2002:a05:6a10:1a4d", None, "SMTP", None)),
    # Exim: the address as the from-host, TLS version in a comment
    ("from [198.51.100.7] (helo=mail.example.org) by mx.example.net with esmtps (TLS1.3) "
     "tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <a@example.org>) id 1abc-000 "
     "for u@example.net; Mon, 23 Nov 2026 11:00:03 +0000",
     ("198.51.100.7", "mx.example.net", "198.51.100.7", "esmtps", "TLS1.3")),
    # Microsoft 365 internal hop: a bare IPv6 address in the comment
    ("from BN8PR12MB3300.namprd12.prod.outlook.com (2603:10b6:408:9b::14) by "
     "MN2PR12MB4000.namprd12.prod.outlook.com with HTTPS; Mon, 23 Nov 2026 11:00:09 +0000",
     ("BN8PR12MB3300.namprd12.prod.outlook.com", "MN2PR12MB4000.namprd12.prod.outlook.com",
      "2603:10b6:408:9b::14", "HTTPS", None)),
    # qmail: everything in a comment
    ("(qmail 1234 invoked from network); 23 Nov 2026 11:00:00 -0000",
     (None, None, None, None, None)),
    # garbage
    ("((((", (None, None, None, None, None)),
]


@pytest.mark.parametrize(("value", "expected"), RECEIVED)
def test_received(value: str, expected: tuple) -> None:
    hop = parse_received(value)
    assert (hop.from_host, hop.by, hop.ip, hop.with_, hop.tls) == expected


AUTHRES = [
    ("mx.google.com; dkim=pass header.i=@example.com header.s=s1; spf=softfail "
     "(google.com: domain of b@example.com does not designate 192.0.2.9 as permitted sender) "
     "smtp.mailfrom=b@example.com; dmarc=fail (p=REJECT sp=REJECT dis=REJECT) "
     "header.from=example.com",
     "mx.google.com", {"dkim": "pass", "spf": "softfail", "dmarc": "fail"}, "192.0.2.9"),
    ("spf=pass (sender IP is 203.0.113.5) smtp.mailfrom=a.example; dkim=none (message not "
     "signed) header.d=none;dmarc=none action=none header.from=a.example;compauth=pass reason=109",
     "", {"spf": "pass", "dkim": "none", "dmarc": "none", "compauth": "pass"}, "203.0.113.5"),
    ("mx.example.net 1; none", "mx.example.net", {}, None),
    ('mx.example.net; dkim=fail reason="signature (really) bad" header.d=x.example',
     "mx.example.net", {"dkim": "fail"}, None),
]


@pytest.mark.parametrize(("value", "authserv_id", "results", "ip"), AUTHRES)
def test_authentication_results(value: str, authserv_id: str, results: dict, ip: str | None) -> None:
    parsed = parse_authres(value)
    assert parsed.authserv_id == authserv_id
    assert {r.method: r.result for r in parsed.results} == results
    assert stated_ip([parsed]) == ip


def test_only_the_topmost_field_above_the_sender_is_trusted() -> None:
    fields = [Header(name="Authentication-Results", value="mx.r.example; dmarc=fail", index=2),
              Header(name="Authentication-Results", value="mx.r.example; dmarc=pass", index=5)]
    assert receiver_results(fields, boundary=4).result("dmarc").result == "fail"
    assert receiver_results(fields, boundary=1).trusted == ()


# --- nothing a message contains makes the readers raise ----------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from deliverability.checks.message.facts import read_facts  # noqa: E402
from deliverability.checks.message.parse import MessageError, read_message  # noqa: E402
from deliverability.checks.message.verdicts import decode, load_catalog  # noqa: E402

FIELD_NAMES = st.sampled_from([
    "Received", "Authentication-Results", "From", "Return-Path", "DKIM-Signature", "ARC-Seal",
    "X-Forefront-Antispam-Report", "X-Spam-Status", "X-Proofpoint-Spam-Details", "Date",
    "Received-SPF", "List-Unsubscribe", "X-Spam-Foo",
])
FIELD_VALUES = st.text(alphabet=st.characters(codec="utf-8"), max_size=120)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(FIELD_NAMES, FIELD_VALUES), max_size=12), st.binary(max_size=200))
def test_readers_never_raise(fields: list[tuple[str, str]], body: bytes) -> None:
    raw = b"".join(f"{n}: {v}".encode("utf-8", "surrogatepass") + b"\r\n"
                   for n, v in fields) + b"\r\n" + body
    try:
        message = read_message(raw)
    except MessageError:
        return
    read_facts(message)
    decode(list(message.headers), load_catalog())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_a_message_or_a_message_error(raw: bytes) -> None:
    try:
        read_facts(read_message(raw))
    except MessageError:
        pass


def test_one_passing_dkim_result_of_several_is_the_receivers_dkim_result() -> None:
    fields = [Header(name="Authentication-Results", index=0,
                     value="mx.r.example; dkim=fail header.d=a.example; dkim=pass header.d=b.example")]
    assert receiver_results(fields, boundary=None).result("dkim").properties == {"header.d": "b.example"}
