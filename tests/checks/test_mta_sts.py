"""The mta-sts check, scenario by scenario, against a real HTTPS server on loopback."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

from deliverability.checks.mta_sts import mx_matches, parse_policy
from deliverability.context import HttpSettings
from deliverability.finding import Target
from direct import codes_of, run_direct
from httpserver import HttpsServer

PATH = "/.well-known/mta-sts.txt"
ENFORCE = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.mta-sts.test\r\nmax_age: 604800\r\n"
POLICIES = {
    "good": {"body": ENFORCE},
    "testing": {"body": b"version: STSv1\nmode: testing\nmx: *.mta-sts.test\nmax_age: 86400\n"},
    "mismatch": {"body": ENFORCE.replace(b"mx1.mta-sts.test", b"mail.other.test")},
    "invalid": {"body": b"version: STSv1\r\nmode: enforce\r\nmx: mx1.mta-sts.test\r\n"},
    "shortage": {"body": ENFORCE.replace(b"604800", b"3600")},
    "redirect": {"status": 301, "headers": {"Location": "https://elsewhere.mta-sts.test/p.txt"}},
    "oversize": {"stream_bytes": 1 << 20},
    "html": {"body": ENFORCE, "content_type": "text/html"},
    "badcert": {"body": ENFORCE},
    "badid": {"body": ENFORCE},
}


@pytest.fixture(scope="module")
def https() -> Iterator[HttpsServer]:
    """The policy hosts of every scenario on one loopback HTTPS server."""
    names = [*POLICIES, "notfound"]
    server = HttpsServer(hosts=[f"mta-sts.{n}.mta-sts.test" for n in names],
                         bad_cert_hosts=("mta-sts.badcert.mta-sts.test",)).start()
    for name, route in POLICIES.items():
        server.route(f"mta-sts.{name}.mta-sts.test", PATH, **route)
    yield server
    server.stop()


def run_mta_sts(world, https: HttpsServer, domain: str, port: int | None = None,
                verified: bool = False) -> dict:
    http = HttpSettings(allow_loopback_for_tests=True, port=port or https.port, verify=https.client_context(), timeout=2)
    return run_direct(world.address, Target(domain=domain), only=("mta-sts",), http=http,
                      verified=verified)


SCENARIOS = [
    ("good", {("mta-sts.ok", "ok")}),
    ("testing", {("mta-sts.ok", "ok"), ("mta-sts.testing", "info")}),
    ("mismatch", {("mta-sts.mx-mismatch", "error")}),
    ("invalid", {("mta-sts.policy-invalid", "warning")}),
    ("shortage", {("mta-sts.ok", "ok"), ("mta-sts.max-age-short", "warning")}),
    ("redirect", {("mta-sts.policy-redirect", "warning")}),
    ("oversize", {("mta-sts.policy-too-large", "warning")}),
    ("html", {("mta-sts.policy-content-type", "warning")}),
    ("badcert", {("mta-sts.policy-certificate", "warning")}),
    ("notfound", {("mta-sts.policy-http-status", "warning")}),
    ("nohost", {("mta-sts.policy-no-address", "warning")}),
    ("private", {("mta-sts.fetch-refused", "warning")}),
    ("badrecord", {("mta-sts.record-invalid", "warning")}),
    ("twice", {("mta-sts.record-invalid", "warning")}),
    ("badid", {("mta-sts.record-invalid", "warning")}),
    ("none", {("mta-sts.missing", "info")}),
]


@pytest.mark.parametrize(("name", "expected"), SCENARIOS)
def test_mta_sts_scenarios(world, https, name: str, expected: set[tuple[str, str]]) -> None:
    assert codes_of(run_mta_sts(world, https, f"{name}.mta-sts.test")) == expected


def test_policy_data(world, https) -> None:
    data = run_mta_sts(world, https, "good.mta-sts.test")["checks"]["mta-sts"]["data"]
    assert data["policy"] == {"version": "STSv1", "mode": "enforce", "max_age": 604800,
                              "mx": ["mx1.mta-sts.test"]}
    assert data["id"] == "2026112301" and data["unmatched"] == []


def test_redirect_is_never_followed(world, https) -> None:
    https.requests.clear()
    run_mta_sts(world, https, "redirect.mta-sts.test")
    assert https.requests == [("mta-sts.redirect.mta-sts.test", PATH)]


def test_nothing_listening_is_unknown(world, https) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    report = run_mta_sts(world, https, "good.mta-sts.test", port=port)
    assert codes_of(report) == {("mta-sts.policy-unreachable", "unknown")}


@pytest.mark.parametrize(("host", "pattern", "matches"), [
    ("mx1.example.com", "mx1.example.com", True),
    ("MX1.Example.com.", "mx1.example.com", True),
    ("mx1.example.com", "*.example.com", True),
    ("a.mx1.example.com", "*.example.com", False),  # one label only (RFC 8461 4.1)
    ("example.com", "*.example.com", False),
    ("mx1.example.net", "*.example.com", False),
])
def test_mx_patterns(host: str, pattern: str, matches: bool) -> None:
    assert mx_matches(host, pattern) is matches


@pytest.mark.parametrize("body", [
    "mode: enforce\nmx: a\nmax_age: 1\n",  # no version
    "version: STSv1\nmode: strict\nmx: a\nmax_age: 1\n",
    "version: STSv1\nmode: enforce\nmax_age: 1\n",  # no mx
    "version: STSv1\nmode: enforce\nmx: a\nmax_age: 99999999999\n",
    "version: STSv1\nmode enforce\n",
])
def test_invalid_policies_are_rejected(body: str) -> None:
    with pytest.raises(ValueError):
        parse_policy(body)


def finding_of(report: dict, code: str) -> dict:
    [finding] = [f for f in report["checks"]["mta-sts"]["findings"] if f["code"] == code]
    return finding


def test_an_invalid_id_gets_a_verified_new_record_when_the_policy_is_served(world, https) -> None:
    found = finding_of(run_mta_sts(world, https, "badid.mta-sts.test", verified=True),
                       "mta-sts.record-invalid")
    [change] = found["changes"]
    assert change["verified"], change["note"]
    assert change["old"] == "\"v=STSv1; id=2026-11-23\""
    assert re.fullmatch(r'"v=STSv1; id=[0-9]{14}"', change["new"])


@pytest.mark.parametrize("name", ["badrecord", "twice"])
def test_no_new_id_is_offered_when_the_policy_cannot_be_fetched(world, https, name: str) -> None:
    found = finding_of(run_mta_sts(world, https, f"{name}.mta-sts.test", verified=True),
                       "mta-sts.record-invalid")
    [step] = found["remediation"]
    assert found["changes"] == [] and f"https://mta-sts.{name}.mta-sts.test/" in step


def test_the_advice_names_the_domain_and_its_mx_hosts(world, https) -> None:
    found = finding_of(run_mta_sts(world, https, "none.mta-sts.test"), "mta-sts.missing")
    [step] = found["remediation"]
    assert "https://mta-sts.none.mta-sts.test/.well-known/mta-sts.txt" in step
    assert "mx: mx1.mta-sts.test" in step and "DOMAIN" not in step and found["changes"] == []
