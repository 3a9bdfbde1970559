"""The one HTTPS fetch for MTA-STS policies and BIMI assets: strict, capped, honest.

    HttpsFetcher(dns, settings).fetch(url, max_bytes=, content_types=)
      |-- control characters, no host: FetchFailed(INVALID_URL)
      |-- a port other than 443: FetchFailed(REFUSED)
      |-- host resolved through our DNS layer (zone overlay, test world, trace)
      |-- no public unicast address (see net/addresses.py): FetchFailed(REFUSED)
      |-- connect to that vetted IP (never resolved again), TLS with SNI and Host of
      |   the real name, certificate verified
      |-- 3xx: FetchFailed(REDIRECT)    never followed (RFC 8461 3.3)
      |-- non-200: FetchFailed(HTTP_STATUS)
      |-- wrong media type: FetchFailed(CONTENT_TYPE)
      |-- body read while streaming, stopped past max_bytes: FetchFailed(TOO_LARGE)
      `-- the whole fetch past settings.timeout: FetchFailed(UNREACHABLE)

Every failure is a `FetchFailed` whose `problem` says which, so each check can give
each its own finding code, and whose `reason` is fit to show a user.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from deliverability.lean import dataclass
from deliverability.net.addresses import not_public
from deliverability.net.dns import DnsClient, LookupFailed
from deliverability.text import clean

if TYPE_CHECKING:
    import httpx


@dataclass(kw_only=True)
class HttpSettings:
    """How HTTPS fetches (MTA-STS, BIMI) are made; tests point them at loopback."""

    timeout: float = 10.0  # the whole fetch: connect, TLS, headers and body
    verify: bool | str | ssl.SSLContext = True  # a CA bundle path or context in tests
    port: int = 443  # where https://host/ is fetched; tests serve on a free loopback port
    max_bytes: int = 1 << 20
    # Only code that builds the settings sets this (no flag, no DNS answer can): the
    # test suite, whose HTTPS server listens on 127.0.0.1. See docs/architecture.md.
    allow_loopback_for_tests: bool = False


class FetchProblem(StrEnum):
    """Why a fetch gave no usable body."""

    INVALID_URL = "invalid-url"  # control characters, no host: not a URL we can fetch
    REFUSED = "refused"  # a non-public address or a port other than 443: never connected
    NO_ADDRESS = "no-address"  # the host has no A or AAAA record
    UNREACHABLE = "unreachable"  # DNS failure, refused connection, timeout: we cannot tell
    CERTIFICATE = "certificate"  # the server's certificate did not verify for the host
    REDIRECT = "redirect"
    HTTP_STATUS = "http-status"
    CONTENT_TYPE = "content-type"
    TOO_LARGE = "too-large"


class FetchFailed(Exception):
    """A fetch failed; `problem` is which way, `reason` is fit to show a user."""

    def __init__(self, problem: FetchProblem, reason: str) -> None:
        super().__init__(reason)
        self.problem = problem
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """A body fetched in full, within the cap, of an accepted media type."""

    url: str
    content_type: str
    body: bytes


def _replay(done: dict[str, Fetched | FetchFailed], url: str) -> Fetched:
    result = done.get(url)
    if result is None:
        raise FetchFailed(FetchProblem.UNREACHABLE, f"offline: {url} was not fetched")
    if isinstance(result, FetchFailed):
        raise FetchFailed(result.problem, result.reason)
    return result


class HttpsFetcher:
    """The run's HTTPS fetches: names resolved through `dns`, one client made on first use."""

    def __init__(
        self,
        dns: DnsClient,
        settings: HttpSettings,
        replayed: dict[str, Fetched | FetchFailed] | None = None,
    ) -> None:
        self.dns = dns
        self.settings = settings
        self._client: httpx.AsyncClient | None = None
        self.done: dict[str, Fetched | FetchFailed] = {}  # url -> what its fetch gave
        self._replayed = replayed

    def replaying(self, dns: DnsClient) -> HttpsFetcher:
        """A fetcher over `dns` that answers only from the fetches this one made, never
        fetching: a re-check of edited DNS records (remedy.py) sees the same HTTPS."""
        return HttpsFetcher(dns, self.settings, replayed=dict(self.done))

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx  # slow to import; most runs never fetch

            s = self.settings
            self._client = httpx.AsyncClient(
                timeout=s.timeout, verify=s.verify, follow_redirects=False, trust_env=False
            )
        return self._client

    async def close(self) -> None:
        """Release the HTTP client, if one was made."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def fetch(self, url: str, *, max_bytes: int, content_types: tuple[str, ...]) -> Fetched:
        """GET `url` over verified HTTPS; raise FetchFailed for anything but a clean 200."""
        host, path = _parse(url)
        if self._replayed is not None:
            return _replay(self._replayed, url)
        if self.dns.offline:  # --offline promises no network at all, not only no DNS
            raise FetchFailed(FetchProblem.UNREACHABLE, f"offline: {url} was not fetched")
        try:
            fetched = await self._fetch(url, host, path, max_bytes, content_types)
        except FetchFailed as exc:
            self.done[url] = exc
            raise
        self.done[url] = fetched
        return fetched

    async def _fetch(
        self, url: str, host: str, path: str, max_bytes: int, content_types: tuple[str, ...]
    ) -> Fetched:
        try:
            async with asyncio.timeout(self.settings.timeout):
                ip = await _address(self.dns, host, self.settings.allow_loopback_for_tests)
                body, media_type = await self._get(host, ip, path, max_bytes, content_types)
        except TimeoutError:
            reason = f"{host} did not send the whole response within {self.settings.timeout:g}s"
            raise FetchFailed(FetchProblem.UNREACHABLE, reason) from None
        return Fetched(url=url, content_type=media_type, body=body)

    async def _get(
        self, host: str, ip: str, path: str, max_bytes: int, content_types: tuple[str, ...]
    ) -> tuple[bytes, str]:
        import httpx

        port = self.settings.port
        netloc = f"[{ip}]" if ":" in ip else ip
        request_url = f"https://{netloc}:{port}{path}"
        headers = {"Host": host, "Accept": ", ".join(content_types)}
        try:
            async with self._http().stream(
                "GET", request_url, headers=headers, extensions={"sni_hostname": host}
            ) as response:
                media_type = _check_response(response, content_types)
                return await _read_capped(response, max_bytes), media_type
        except httpx.TimeoutException:
            raise FetchFailed(FetchProblem.UNREACHABLE, f"{host} timed out") from None
        except httpx.HTTPError as exc:
            raise _classify(exc, host) from None


def is_https_url(url: str) -> bool:
    """Whether `url` claims https: with a host (a malformed one is left to the fetch,
    which reports it as an invalid URL)."""
    try:
        parts = urlsplit(url)
        return parts.scheme == "https" and bool(parts.hostname)
    except ValueError:  # a malformed [IPv6] host
        return True


def _parse(url: str) -> tuple[str, str]:
    """(host, path with query) of an https URL on port 443; FetchFailed otherwise."""
    import httpx

    shown = clean(url)
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise FetchFailed(FetchProblem.INVALID_URL, f"{shown!r} is not a valid URL") from None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url) or not parsed.host:
        raise FetchFailed(FetchProblem.INVALID_URL, f"{shown!r} is not a valid URL")
    if parsed.scheme != "https":
        raise FetchFailed(FetchProblem.INVALID_URL, f"{shown!r} is not an https: URL")
    if parsed.port not in (None, 443):
        reason = f"port {parsed.port} refused: only port 443 is fetched"
        raise FetchFailed(FetchProblem.REFUSED, reason)
    return parsed.host, parsed.raw_path.decode("ascii")


async def _address(dns: DnsClient, host: str, allow_loopback: bool) -> str:
    """The address to connect to: the first public one, IPv4 first (more networks reach it)."""
    try:
        addresses = await dns.addresses(host)
    except LookupFailed as exc:
        reason = f"could not resolve {host}: {exc.reason}"
        raise FetchFailed(FetchProblem.UNREACHABLE, reason) from None
    if not addresses:
        raise FetchFailed(FetchProblem.NO_ADDRESS, f"{host} has no A or AAAA record")
    ordered = sorted(addresses, key=lambda a: ipaddress.ip_address(a).version)
    refusals = [(a, not_public(a, allow_loopback=allow_loopback)) for a in ordered]
    for address, why in refusals:
        if why is None:
            return address
    listed = ", ".join(f"{a} ({why})" for a, why in refusals)
    raise FetchFailed(FetchProblem.REFUSED, f"{host} has no public address: {listed}; not fetched")


def _check_response(response: httpx.Response, content_types: tuple[str, ...]) -> str:
    if response.is_redirect:
        where = response.headers.get("location", "?")
        raise FetchFailed(
            FetchProblem.REDIRECT,
            f"HTTP {response.status_code} redirect to {where}; redirects are not followed",
        )
    if response.status_code != 200:
        raise FetchFailed(FetchProblem.HTTP_STATUS, f"HTTP {response.status_code}, not 200")
    media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in content_types:
        raise FetchFailed(
            FetchProblem.CONTENT_TYPE,
            f"Content-Type is {media_type or 'missing'}, not {' or '.join(content_types)}",
        )
    return media_type


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchFailed(
            FetchProblem.TOO_LARGE, f"body is {declared} bytes; the limit is {max_bytes}"
        )
    body = bytearray()
    async for chunk in response.aiter_bytes():  # decoded, so a compressed bomb is capped too
        body += chunk
        if len(body) > max_bytes:
            raise FetchFailed(
                FetchProblem.TOO_LARGE, f"body exceeds {max_bytes} bytes; stopped reading"
            )
    return bytes(body)


def _classify(exc: Exception, host: str) -> FetchFailed:
    invalid = f"the certificate of {host} is not valid"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            why = cause.verify_message or str(cause)
            return FetchFailed(FetchProblem.CERTIFICATE, f"{invalid}: {why}")
        cause = cause.__cause__ or cause.__context__
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return FetchFailed(FetchProblem.CERTIFICATE, f"{invalid}: {exc}")
    why = str(exc) or type(exc).__name__
    return FetchFailed(FetchProblem.UNREACHABLE, f"could not fetch from {host}: {why}")
