"""A real HTTPS server on 127.0.0.1 with a throwaway CA, misbehaving on chosen paths.

Certificates come from a trustme CA that only the tests trust. Each route is keyed
by (host, path); a route can redirect, send the wrong Content-Type, stream a body
without Content-Length (so a client's size cap must cut it off), or any status.
Hosts listed in `bad_cert_hosts` get a certificate for another name.

    server = HttpsServer(hosts=["mta-sts.good.example"]).start()
    server.route("mta-sts.good.example", "/.well-known/mta-sts.txt", body=b"...")
    ... HttpSettings(allow_loopback_for_tests=True, port=server.port, verify=server.client_context()) ...
"""

from __future__ import annotations

import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme


@dataclass(frozen=True, kw_only=True)
class Route:
    """What to answer for one (host, path)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    stream_bytes: int = 0  # send this many bytes with no Content-Length, then close
    trickle: float = 0.0  # send the body one byte every `trickle` seconds


class HttpsServer:
    """See the module docstring."""

    def __init__(self, hosts: list[str], bad_cert_hosts: tuple[str, ...] = ()) -> None:
        self.ca = trustme.CA()
        self.routes: dict[tuple[str, str], Route] = {}
        self.requests: list[tuple[str, str]] = []
        self.bad_cert_hosts = set(bad_cert_hosts)
        self._good = self._context(self.ca.issue_cert(*hosts))
        self._wrong = self._context(self.ca.issue_cert("wrong-name.example"))
        self._good.sni_callback = self._pick_certificate
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.socket = self._good.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The loopback port it listens on."""
        return self._httpd.server_address[1]

    def start(self) -> HttpsServer:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def route(self, host: str, path: str, **kwargs: object) -> None:
        """Answer GET https://host/path as described by Route(**kwargs)."""
        self.routes[(host, path)] = Route(**kwargs)  # type: ignore[arg-type]

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts only this server's CA, as clients should verify."""
        context = ssl.create_default_context()
        context.load_verify_locations(cadata=self.ca.cert_pem.bytes().decode())
        return context

    def _context(self, cert: trustme.LeafCert) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(context)
        return context

    def _pick_certificate(self, sock: ssl.SSLSocket, name: str | None, _: ssl.SSLContext) -> None:
        if name in self.bad_cert_hosts:
            sock.context = self._wrong


def _handler(server: HttpsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            server.requests.append((host, self.path))
            route = server.routes.get((host, self.path), Route(status=404, body=b"not found"))
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.stream_bytes:
                self.send_header("Connection", "close")
                self.end_headers()
                self._stream(route.stream_bytes)
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if route.trickle:
                self._trickle(route.body, route.trickle)
                return
            self.wfile.write(route.body)

        def _trickle(self, body: bytes, every: float) -> None:
            self.close_connection = True
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i : i + 1])
                    self.wfile.flush()
                    time.sleep(every)
            except OSError:
                pass  # the client gave up: that is the point

        def _stream(self, total: int) -> None:
            self.close_connection = True
            try:
                for _ in range(0, total, 4096):
                    self.wfile.write(b"x" * 4096)
            except OSError:
                pass  # the client stopped reading: that is the point

        def log_message(self, *args: object) -> None:
            pass

    return Handler
