"""`--resolver https://...`: DNS over HTTPS (RFC 8484) through a loopback DoH front end.

The front end is a real HTTPS server on 127.0.0.1 with a throwaway CA, handing each
POSTed DNS message to the test DNS server. The CLI runs as a subprocess that trusts
the CA through SSL_CERT_FILE, as a user behind a corporate CA would.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme


def doh_handler(world):  # type: ignore[no-untyped-def]
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            wire = self.rfile.read(int(self.headers["Content-Length"]))
            reply = world.answer_now(wire)
            self.send_response(200 if reply else 504)
            self.send_header("Content-Type", "application/dns-message")
            self.send_header("Content-Length", str(len(reply or b"")))
            self.end_headers()
            self.wfile.write(reply or b"")

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def doh(world, tmp_path: Path) -> Iterator[tuple[str, Path]]:  # type: ignore[no-untyped-def]
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), doh_handler(world))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    yield f"https://127.0.0.1:{httpd.server_address[1]}/dns-query", ca_file
    httpd.shutdown()


def run(resolver: str, ca_file: Path | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SSL_CERT_FILE": str(ca_file)} if ca_file else dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "deliverability", "check", "ok.mx.test", "--select", "mx",
         "--resolver", resolver, "--timeout", "3", "--format", "json"],
        capture_output=True, text=True, env=env, timeout=60,
    )


def test_lookups_go_through_dns_over_https(doh, world) -> None:  # type: ignore[no-untyped-def]
    url, ca_file = doh
    report = json.loads(run(url, ca_file).stdout)
    codes = {f["code"] for f in report["checks"]["mx"]["findings"]}
    assert codes == {"mx.ok"}
    assert world.count("ok.mx.test", "MX") == 1


def test_an_untrusted_doh_certificate_is_dead_dns_not_missing(doh) -> None:  # type: ignore[no-untyped-def]
    url, _ = doh
    result = run(url, None)  # no lookup gets an answer: exit 2, one line naming the resolver
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and url in result.stderr
