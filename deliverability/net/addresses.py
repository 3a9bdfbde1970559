"""Which addresses a DNS-controlled URL may make us connect to: public unicast only;
and `parse_resolver`, how a --resolver address is read (standard library only, so the
console script's prefetch and the validators read it without loading dnspython).

A domain owner writes the A/AAAA records of its MTA-STS and BIMI hosts, so without
this a report would tell open from closed ports on the checker's own network. An
address is refused when it, or the IPv4 address an IPv6 transition form carries
(IPv4-mapped, IPv4-compatible, 6to4, NAT64), is anything but global unicast.
"""

from __future__ import annotations

import functools
import ipaddress

_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215 local-use prefix
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def not_public(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why `address` must not be connected to, or None when it is public unicast.

    `allow_loopback` admits 127.0.0.0/8 and ::1 only: the test suite's opt-in.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "not an IP address"
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        why = not_public(str(embedded), allow_loopback=allow_loopback)
        return f"carries {embedded}, {why}" if why else None
    if allow_loopback and ip.is_loopback:
        return None
    return _category(ip)


def _category(ip: Address) -> str | None:
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.version == 6 and ip in _NAT64_LOCAL, "NAT64 local-use prefix"),
        (ip.version == 4 and ip in _SHARED, "shared address space (CGNAT)"),
        (ip.is_private, "private, reserved or documentation range"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not globally routable"),
    )
    return next((label for hit, label in checks if hit), None)


def _embedded_ipv4(ip: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv6 transition form, if it is one."""
    if ip.version == 4:
        return None
    assert isinstance(ip, ipaddress.IPv6Address)
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # IPv4-compatible ::a.b.c.d (RFC 4291 2.5.5.1)
        return ipaddress.IPv4Address(int(ip))
    return None


def parse_resolver(spec: str) -> tuple[str, int]:
    """`IP`, `IP:PORT`, `[IPv6]:PORT` or bare IPv6 -> (ip, port); ValueError says why."""
    spec = spec.strip()
    host, port_text = spec, "53"
    if spec.startswith("["):
        host, sep, rest = spec[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"not a resolver address: {spec!r}")
        port_text = rest[1:] or "53"
    elif spec.count(":") == 1:
        host, port_text = spec.split(":")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"not a resolver address: {spec!r} (expected IP, IP:PORT, [IPv6]:PORT or https:// URL)"
        ) from None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"resolver port out of range in {spec!r} (1-65535)")
    return str(ip), int(port_text)


@functools.lru_cache(maxsize=16384)  # a bulk run meets the providers' ranges in every domain
def network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """`ipaddress.ip_network(text)`, parsed once per text (networks are immutable)."""
    return ipaddress.ip_network(text)
