"""The bimi check, scenario by scenario, with logos served by a loopback HTTPS server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deliverability.checks.bimi.svg import svg_problems
from deliverability.context import HttpSettings
from deliverability.finding import Target
from direct import codes_of, run_direct
from httpserver import HttpsServer

GOOD_SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<svg xmlns="http://www.w3.org/2000/svg" version="1.2" baseProfile="tiny-ps" '
            b'viewBox="0 0 100 100"><title>Example</title>'
            b'<circle cx="50" cy="50" r="40" fill="#0a0"/></svg>')
BAD_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
           b'version="1.1"><script>alert(1)</script>'
           b'<image xlink:href="https://tracker.example/x.png"/></svg>')
LOGOS = {
    "/good.svg": {"body": GOOD_SVG, "content_type": "image/svg+xml"},
    "/bad.svg": {"body": BAD_SVG, "content_type": "image/svg+xml"},
    "/moved.svg": {"status": 302, "headers": {"Location": "/good.svg"}},
    "/big.svg": {"stream_bytes": 256 * 1024, "content_type": "image/svg+xml"},
    "/logo.png": {"body": b"\x89PNG", "content_type": "image/png"},
}


@pytest.fixture(scope="module")
def https() -> Iterator[HttpsServer]:
    """logo.bimi.test serves the logos; badlogo.bimi.test has a certificate for another name."""
    server = HttpsServer(hosts=["logo.bimi.test", "badlogo.bimi.test"],
                         bad_cert_hosts=("badlogo.bimi.test",)).start()
    for path, route in LOGOS.items():
        server.route("logo.bimi.test", path, **route)
        server.route("badlogo.bimi.test", path, **route)
    yield server
    server.stop()


def run_bimi(world, https: HttpsServer, domain: str) -> dict:
    http = HttpSettings(port=https.port, verify=https.client_context(), timeout=2)
    return run_direct(world.address, Target(domain=domain), only=("bimi",), http=http)


NOT_ENFORCING, VMC = ("bimi.dmarc-not-enforcing", "warning"), ("bimi.vmc", "info")
SCENARIOS = [
    ("good.bimi.test", {("bimi.ok", "ok"), VMC}),
    ("novmc.bimi.test", {("bimi.ok", "ok"), ("bimi.no-vmc", "info")}),
    ("weakdmarc.bimi.test", {NOT_ENFORCING, VMC}),
    ("pct.bimi.test", {NOT_ENFORCING, VMC}),
    ("nodmarc.bimi.test", {NOT_ENFORCING, VMC}),
    ("http.bimi.test", {("bimi.logo-not-https", "warning"), VMC}),
    ("badsvg.bimi.test", {("bimi.svg-not-tiny-ps", "warning"), VMC}),
    ("redirect.bimi.test", {("bimi.logo-redirect", "warning"), VMC}),
    ("bigsvg.bimi.test", {("bimi.logo-too-large", "warning"), VMC}),
    ("png.bimi.test", {("bimi.logo-content-type", "warning"), VMC}),
    ("badcert.bimi.test", {("bimi.logo-certificate", "warning"), VMC}),
    ("declined.bimi.test", {("bimi.declined", "info")}),
    ("invalid.bimi.test", {("bimi.record-invalid", "warning")}),
    ("twice.bimi.test", {("bimi.record-invalid", "warning")}),
    ("repeated.bimi.test", {("bimi.record-invalid", "warning")}),  # RFC 6376 3.2
    ("spacedmarc.bimi.test", {NOT_ENFORCING, VMC}),  # RFC 7489 6.6.3: no DMARC record
    ("missing.bimi.test", {("bimi.missing", "info")}),
    ("news.bimi-fallback.test", {NOT_ENFORCING, VMC}),  # org record applies, and its sp=none
]


@pytest.mark.parametrize(("domain", "expected"), SCENARIOS)
def test_bimi_scenarios(world, https, domain: str, expected: set[tuple[str, str]]) -> None:
    assert codes_of(run_bimi(world, https, domain)) == expected


def test_fallback_reads_the_organizational_record(world, https) -> None:
    data = run_bimi(world, https, "news.bimi-fallback.test")["checks"]["bimi"]["data"]
    assert data["record_name"] == "default._bimi.bimi-fallback.test"
    assert data["logo_url"] == "https://logo.bimi.test/good.svg"


@pytest.mark.parametrize("body", [
    b'<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
    b"<svg",
    b'<html xmlns="http://www.w3.org/1999/xhtml"/>',
    GOOD_SVG.replace(b"<title>Example</title>", b""),
    GOOD_SVG.replace(b'viewBox', b'onload="x()" viewBox'),
    BAD_SVG,
])
def test_svg_problems_are_found(body: bytes) -> None:
    assert svg_problems(body)


def test_a_tiny_ps_logo_has_no_problems() -> None:
    assert svg_problems(GOOD_SVG) == []
