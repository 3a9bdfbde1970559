"""Validate what users type: domains, IP addresses, resolvers. Errors are one line.

Everything here raises `BadInput`, which the CLI turns into one line on stderr and
exit status 2.
"""

from __future__ import annotations

import ipaddress
import re

import idna

from deliverability.net.addresses import parse_resolver


class BadInput(Exception):
    """Input the user must fix; the message is one line."""


_LDH_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def validate_domain(text: str, what: str = "domain") -> str:
    """Return `text` as a lower-case A-label domain without a trailing dot, or raise BadInput.

    Labels are LDH (RFC 5321 4.1.2, RFC 1123 2.1), at most 63 bytes; the whole name at
    most 253. Non-ASCII names and `xn--` labels must pass IDNA2008 (RFC 5891).
    """
    name = text.strip()
    if not name or name == ".":
        raise BadInput(f"{what} is empty")
    if name.endswith("."):
        name = name[:-1]
    if not name.isascii():
        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise BadInput(
                f"{what} {text!r} is not a valid internationalized name: {exc}"
            ) from None
    name = name.lower()
    if len(name) > 253:
        raise BadInput(f"{what} {text!r} is {len(name)} characters long; the limit is 253")
    for label in name.split("."):
        _validate_label(label, text, what)
    if "." not in name:
        raise BadInput(f"{what} {text!r} is a single label; give a full domain name")
    if name.rpartition(".")[2].isdigit():  # no top-level domain is all-numeric (RFC 3696 2)
        raise BadInput(
            f"{what} {text!r} is an IP address, not a domain; give the domain"
            " (a sending IP goes in --ip)"
        )
    return name


def _validate_label(label: str, text: str, what: str) -> None:
    if not label:
        raise BadInput(f"{what} {text!r} has an empty label")
    if len(label) > 63:
        raise BadInput(f"{what} {text!r} has a label of {len(label)} bytes; the limit is 63")
    if not _LDH_LABEL.match(label):
        raise BadInput(
            f"{what} {text!r} has an invalid label {label!r}"
            " (letters, digits and inner hyphens only)"
        )
    if label.startswith("xn--") or label[2:4] == "--":
        try:
            idna.decode(label)
        except idna.IDNAError as exc:
            raise BadInput(f"{what} {text!r} has an invalid IDN label {label!r}: {exc}") from None


def validate_ip(text: str) -> str:
    """Return the canonical form of an IPv4 or IPv6 address, or raise BadInput."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise BadInput(f"--ip {text!r} is not an IPv4 or IPv6 address") from None


def validate_resolver(text: str) -> str:
    """Check a `--resolver` value (IP, IP:PORT, [IPv6]:PORT, https:// URL); return it."""
    if text.startswith("https://"):
        if len(text) <= len("https://") or " " in text:
            raise BadInput(f"--resolver {text!r} is not a DNS-over-HTTPS URL")
        return text
    try:
        parse_resolver(text)
    except ValueError as exc:
        raise BadInput(f"--resolver: {exc}") from None
    return text.strip()


def validate_timeout(value: float) -> float:
    """A positive number of seconds."""
    if not 0 < value < float("inf"):  # inf would let a dropped query hang the run
        raise BadInput(f"--timeout must be a positive number of seconds, not {value:g}")
    return value


def validate_qps(value: float) -> float | None:
    """--qps: queries per second, 0 for no cap (None)."""
    if not 0 <= value < float("inf"):
        raise BadInput(f"--qps must be a number of queries per second (0: no cap), not {value:g}")
    return value or None


def validate_selector(text: str, what: str = "--selector") -> str:
    """A DKIM selector (one or more DNS labels), lower case; BadInput says what is wrong.

    A full key name (`s1._domainkey.example.com`) is refused with the selector to give.
    """
    selector = text.strip().rstrip(".").lower()
    if "._domainkey" in selector or selector.startswith("_domainkey"):
        hint = selector.split("._domainkey", 1)[0] or "the part before ._domainkey"
        raise BadInput(f"{what} {text!r} is a key name; give the selector only ({hint})")
    labels = selector.split(".")
    if not selector or any(not label or len(label) > 63 or " " in label for label in labels):
        raise BadInput(f"{what} {text!r} is not a valid DKIM selector")
    return selector
