"""Parse a DKIM key record (RFC 6376 3.6.1, RFC 8463 for ed25519) without raising.

Tag lists and RSA keys are read as dkimpy, the reference implementation, reads them
(records.py, held to dkimpy by its tests); an ed25519 key is the base64 of its 32 raw
bytes (RFC 8463 4.2). Defects are returned, never raised.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import field

from deliverability.checks.dkim.records import TagListError, parse_tag_list, rsa_modulus
from deliverability.lean import dataclass

KNOWN_TAGS = frozenset({"v", "h", "k", "n", "p", "s", "t"})
ED25519_BITS = 256  # reported as the key size of an ed25519 key
ED25519_BYTES = 32


@dataclass(frozen=True, kw_only=True)
class DkimKey:
    """What a key record says. `error` is set when receivers cannot use it at all."""

    text: str
    tags: dict[str, str] = field(default_factory=dict)
    key_type: str = ""
    bits: int = 0
    error: str | None = None

    @property
    def revoked(self) -> bool:
        """An empty p= revokes the key (RFC 6376 3.6.1)."""
        return "p" in self.tags and self.tags["p"] == ""

    @property
    def testing(self) -> bool:
        """t=y: the domain is testing DKIM; receivers may treat failures as no signature."""
        return "y" in _flags(self.tags.get("t", ""))

    @property
    def hashes(self) -> set[str]:
        """Hash algorithms the key allows (h=); all when absent."""
        return _flags(self.tags.get("h", "")) or {"sha1", "sha256"}

    @property
    def for_email(self) -> bool:
        """s= includes email (or *): a key for another service does not sign mail."""
        services = _flags(self.tags.get("s", ""))
        return not services or bool(services & {"email", "*"})

    @property
    def unknown_tags(self) -> list[str]:
        """Tags RFC 6376 does not define (receivers ignore them)."""
        return [tag for tag in self.tags if tag not in KNOWN_TAGS]


def _flags(value: str) -> set[str]:
    return {part.strip().lower() for part in value.split(":") if part.strip()}


def parse_key(text: str) -> DkimKey:
    """Parse a TXT record at `<selector>._domainkey.<domain>`."""
    try:
        raw = parse_tag_list(text.encode("utf-8", "replace"))
    except TagListError as exc:
        return DkimKey(text=text, error=f"not a valid tag=value list ({_describe(exc)})")
    tags = {k.decode("ascii", "replace").lower(): _unfold(v) for k, v in raw.items()}
    if "v" in tags and (tags["v"] != "DKIM1" or next(iter(tags)) != "v"):
        return DkimKey(text=text, tags=tags, error="v= must be DKIM1 and the first tag")
    if "p" not in tags:
        return DkimKey(text=text, tags=tags, error="no p= tag (the public key)")
    key_type = tags.get("k", "rsa").lower()
    if tags["p"] == "":  # revoked: nothing to parse
        return DkimKey(text=text, tags=tags, key_type=key_type)
    bits, error = _key_size(key_type, tags["p"])
    return DkimKey(text=text, tags=tags, key_type=key_type, bits=bits, error=error)


def _unfold(value: bytes) -> str:
    # Keys are often split across TXT strings with spaces: whitespace is not part of base64.
    return "".join(value.decode("utf-8", "replace").split())


def _describe(exc: TagListError) -> str:
    return f"{exc.kind} {exc.detail.decode('utf-8', 'replace').strip()!r}"


def _key_size(key_type: str, data: str) -> tuple[int, str | None]:
    try:
        der = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return 0, "p= is not valid base64"
    if key_type == "ed25519":
        if len(der) != ED25519_BYTES:
            return 0, f"an ed25519 key is {ED25519_BYTES} bytes, p= holds {len(der)}"
        return ED25519_BITS, None
    if key_type != "rsa":
        return 0, f"unknown key type k={key_type} (rsa and ed25519 are defined)"
    modulus = rsa_modulus(der)
    if modulus is None:
        return 0, "p= is not an RSA public key"
    return modulus.bit_length(), None
