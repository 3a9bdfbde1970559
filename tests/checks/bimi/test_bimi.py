"""The bimi check, scenario by scenario, with logos served by a loopback HTTPS server."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from deliverability.checks.bimi.svg import svg_problems
from deliverability.context import HttpSettings
from deliverability.finding import Target
from direct import codes_of, run_direct
from httpserver import HttpsServer
from marks import MarkAuthority

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


AUTHORITY = MarkAuthority.create()
PEM = "application/pem-certificate-chain"
# A logo checkdmarc rejects (no viewBox) that our Tiny PS rules let through.
NO_VIEWBOX_SVG = GOOD_SVG.replace(b' viewBox="0 0 100 100"', b"")


def mark_certificates() -> dict[str, bytes]:
    """Every certificate the scenarios publish at a=, each with one defect."""
    bomb = AUTHORITY.issue(domains=["bimi.test"], logo=b"<svg/>" + b" " * (4 * 1024 * 1024))
    return {
        "/good.pem": AUTHORITY.issue(domains=["bimi.test", "bimi-fallback.test"], logo=GOOD_SVG),
        "/expired.pem": AUTHORITY.issue(domains=["bimi.test"], logo=GOOD_SVG, days=(-400, -1)),
        "/future.pem": AUTHORITY.issue(domains=["bimi.test"], logo=GOOD_SVG, days=(2, 400)),
        "/domain.pem": AUTHORITY.issue(domains=["brand.example"], logo=GOOD_SVG),
        "/logo.pem": AUTHORITY.issue(domains=["bimi.test"], logo=BAD_SVG),
        "/untrusted.pem": MarkAuthority.create().issue(domains=["bimi.test"], logo=GOOD_SVG),
        "/nomark.pem": AUTHORITY.issue(domains=["bimi.test"], logo=GOOD_SVG, mark_fields=False),
        "/garbage.pem": b"-----BEGIN NOTHING-----\n",
        "/bomb.pem": bomb,
        "/noviewbox.pem": AUTHORITY.issue(domains=["bimi.test"], logo=NO_VIEWBOX_SVG),
    }


@pytest.fixture(scope="module")
def https() -> Iterator[HttpsServer]:
    """logo.bimi.test serves the logos; badlogo.bimi.test has a certificate for another name."""
    server = HttpsServer(hosts=["logo.bimi.test", "badlogo.bimi.test"],
                         bad_cert_hosts=("badlogo.bimi.test",)).start()
    routes = {**LOGOS, "/noviewbox.svg": {"body": NO_VIEWBOX_SVG, "content_type": "image/svg+xml"},
              **{p: {"body": b, "content_type": PEM} for p, b in mark_certificates().items()}}
    for path, route in routes.items():
        server.route("logo.bimi.test", path, **route)
        server.route("badlogo.bimi.test", path, **route)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> str:
    """The suite's mark authority, given to the check in place of the real MVAs' roots."""
    path = tmp_path_factory.mktemp("marks") / "roots.pem"
    path.write_bytes(AUTHORITY.pem)
    return str(path)


def run_bimi(world, https: HttpsServer, domain: str, roots: str = "") -> dict:
    http = HttpSettings(allow_loopback_for_tests=True, port=https.port,
                        verify=https.client_context(), timeout=2)
    options = {"bimi": {"mark_roots": roots}} if roots else {}
    return run_direct(world.address, Target(domain=domain), only=("bimi",), http=http,
                      check_options=options)


NOT_ENFORCING, VMC = ("bimi.dmarc-not-enforcing", "warning"), ("bimi.vmc", "info")
SCENARIOS = [
    ("good.bimi.test", {("bimi.ok", "ok"), VMC}),
    ("novmc.bimi.test", {("bimi.ok", "ok"), ("bimi.no-vmc", "info")}),
    ("weakdmarc.bimi.test", {NOT_ENFORCING, VMC}),
    ("pct.bimi.test", {NOT_ENFORCING, VMC}),
    ("nodmarc.bimi.test", {NOT_ENFORCING, VMC}),
    ("http.bimi.test", {("bimi.logo-not-https", "warning"), VMC}),
    # the certificate embeds the good logo, not this one
    ("badsvg.bimi.test", {("bimi.svg-not-tiny-ps", "warning"), ("bimi.vmc-logo-mismatch", "warning")}),
    ("redirect.bimi.test", {("bimi.logo-redirect", "warning"), VMC}),
    ("bigsvg.bimi.test", {("bimi.logo-too-large", "warning"), VMC}),
    ("png.bimi.test", {("bimi.logo-content-type", "warning"), VMC}),
    ("badcert.bimi.test", {("bimi.logo-certificate", "warning"), VMC}),
    ("declined.bimi.test", {("bimi.declined", "info")}),
    ("invalid.bimi.test", {("bimi.record-invalid", "warning")}),
    ("twice.bimi.test", {("bimi.record-invalid", "warning")}),
    ("repeated.bimi.test", {("bimi.record-invalid", "warning")}),  # RFC 6376 3.2
    ("repeated-same.bimi.test", {("bimi.record-invalid", "warning")}),
    ("twice-same.bimi.test", {("bimi.record-invalid", "warning")}),
    ("spacedmarc.bimi.test", {NOT_ENFORCING, VMC}),  # RFC 7489 6.6.3: no DMARC record
    ("missing.bimi.test", {("bimi.missing", "info")}),
    ("port.bimi.test", {("bimi.fetch-refused", "warning"), ("bimi.no-vmc", "info")}),
    ("ctrl.bimi.test", {("bimi.logo-invalid-url", "warning"), ("bimi.no-vmc", "info")}),
    ("private.bimi.test", {("bimi.fetch-refused", "warning"), ("bimi.no-vmc", "info")}),
    ("vmcprivate.bimi.test", {("bimi.fetch-refused", "warning")}),
    ("news.bimi-fallback.test", {NOT_ENFORCING, VMC}),  # org record applies, and its sp=none
]


@pytest.mark.parametrize(("domain", "expected"), SCENARIOS)
def test_bimi_scenarios(world, https, roots, domain: str, expected: set[tuple[str, str]]) -> None:
    assert codes_of(run_bimi(world, https, domain, roots)) == expected


# The a= certificate, validated with checkdmarc: one defect -> its code (all warnings: the
# logo is not shown, mail still flows).
MARK_SCENARIOS = [
    ("vmc-expired.bimi.test", "bimi.vmc-expired"),
    ("vmc-future.bimi.test", "bimi.vmc-not-yet-valid"),
    ("vmc-domain.bimi.test", "bimi.vmc-wrong-domain"),
    ("vmc-logo.bimi.test", "bimi.vmc-logo-mismatch"),
    ("vmc-untrusted.bimi.test", "bimi.vmc-untrusted"),
    ("vmc-nomark.bimi.test", "bimi.vmc-invalid"),
    ("vmc-garbage.bimi.test", "bimi.vmc-unreadable"),
    ("vmc-missing.bimi.test", "bimi.vmc-unavailable"),
    ("vmc-bomb.bimi.test", "bimi.vmc-invalid"),
]


@pytest.mark.parametrize(("domain", "code"), MARK_SCENARIOS)
def test_mark_certificate_defects(world, https, roots, domain: str, code: str) -> None:
    assert codes_of(run_bimi(world, https, domain, roots)) == {(code, "warning")}


def test_the_real_authorities_do_not_trust_a_suite_certificate(world, https) -> None:
    """Without mark_roots the MVAs' roots shipped with checkdmarc decide: ours is untrusted."""
    assert ("bimi.vmc-untrusted", "warning") in codes_of(run_bimi(world, https, "good.bimi.test"))


def test_checkdmarc_svg_requirements_beside_ours(world, https, roots) -> None:
    report = run_bimi(world, https, "svg-xy.bimi.test", roots)
    data = report["checks"]["bimi"]["data"]
    assert data["svg_problems"] == [] and data["svg_requirements"]
    assert codes_of(report) == {("bimi.svg-not-tiny-ps", "warning"), VMC}


def test_without_checkdmarc_the_certificate_is_not_validated(world, https, roots,
                                                             monkeypatch) -> None:
    for name in ("checkdmarc", "checkdmarc.bimi"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    assert codes_of(run_bimi(world, https, "good.bimi.test", roots)) == {
        ("bimi.ok", "ok"), ("bimi.vmc-not-validated", "info")}


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


@pytest.mark.parametrize(("domain", "verified"), [
    ("repeated-same.bimi.test", True),  # l= twice, one logo: collapsed
    ("twice-same.bimi.test", True),  # the same record twice: one deleted
    ("repeated.bimi.test", False),  # two logos: only the owner knows which
    ("invalid.bimi.test", False),  # no l= and no a=: nothing to correct
])
def test_a_clear_record_correction_is_a_verified_change(world, https, roots, domain: str,
                                                        verified: bool) -> None:
    http = HttpSettings(allow_loopback_for_tests=True, port=https.port,
                        verify=https.client_context(), timeout=2)
    report = run_direct(world.address, Target(domain=domain), only=("bimi", "dmarc"), http=http,
                        check_options={"bimi": {"mark_roots": roots}}, verified=True)
    [finding] = [f for f in report["checks"]["bimi"]["findings"] if f["code"] == "bimi.record-invalid"]
    assert bool(finding["changes"]) is verified
    assert all(c["verified"] for c in finding["changes"])
