"""DNS blocklists: the curated catalog, custom lists from the sender profile, selection.

The catalog is data (`deliverability/data/blocklists.toml`, dated, each fact sourced
in docs/blocklists.md), not code. A sender profile may add lists with
`[[blocklists]]` tables; both pass through the same validation, so a list is a list
wherever it came from. `--blocklists` picks lists by name (`default`, `all`, `none`).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import tomllib
from dataclasses import field
from enum import StrEnum
from importlib import resources
from typing import TYPE_CHECKING, Any

import dns.reversename

from deliverability.lean import dataclass
from deliverability.validation import BadInput, validate_domain

if TYPE_CHECKING:
    from deliverability.profile import SenderProfile

PROFILE_KEYS = frozenset({"name", "zone", "kind", "ipv6", "test_entry", "codes", "errors"})
CATALOG_KEYS = PROFILE_KEYS | {
    "title",
    "default",
    "weight",
    "bitmask",
    "dqs_zone",
    "policy",
    "delist_url",
    "delist_steps",
    "fixes",
    "refused_fix",
    "source",
}
SELECTORS = ("default", "all", "none")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_DQS_KEY = re.compile(r"^[A-Za-z0-9]{8,64}$")
LOOPBACK_NET = ipaddress.ip_network("127.0.0.0/8")


class ListKind(StrEnum):
    """What a list is asked about."""

    IP = "ip"
    DOMAIN = "domain"


class Weight(StrEnum):
    """How much a listing hurts delivery."""

    MAJOR = "major"  # widely used to reject mail
    MINOR = "minor"  # used by some receivers, mostly for scoring
    INFORMATIONAL = "informational"  # rarely used to block; worth knowing


@dataclass(frozen=True, kw_only=True)
class BlocklistSpec:
    """One DNS blocklist: where to ask, and what its answers mean."""

    name: str
    zone: str
    kind: ListKind
    ipv6: bool = False
    test_entry: str | None = None  # must answer as listed (RFC 5782 section 5)
    codes: dict[str, str] = field(default_factory=dict)  # listing code -> meaning
    errors: dict[str, str] = field(default_factory=dict)  # code -> why the query was refused
    title: str = ""
    default: bool = True
    weight: Weight = Weight.MAJOR
    bitmask: bool = False  # the last octet's bits each mean a sub-list
    dqs_zone: str | None = None  # Spamhaus Data Query Service zone (with a key)
    policy: str = ""
    delist_url: str = ""
    delist_steps: tuple[str, ...] = ()
    fixes: dict[str, str] = field(default_factory=dict)  # code -> what to fix first
    refused_fix: str = ""
    source: str = ""

    @property
    def negative_entry(self) -> str:
        """RFC 5782 section 5: an entry no list may list."""
        return "127.0.0.1" if self.kind is ListKind.IP else "invalid"

    def query_name(self, item: str, key: str | None = None) -> str:
        """The name to ask an A record for: IPs reversed (nibbles for IPv6), domains as is."""
        zone = f"{key}.{self.dqs_zone}" if key and self.dqs_zone else self.zone
        if self.kind is ListKind.DOMAIN:
            return f"{item}.{zone}"
        reverse = dns.reversename.from_address(item).to_text().rstrip(".")
        return f"{reverse.rsplit('.', 2)[0]}.{zone}"

    def asks_about(self, ip: str) -> bool:
        """Whether this IP list answers for `ip` (IPv6 only where the list supports it)."""
        return self.kind is ListKind.IP and (self.ipv6 or ":" not in ip)

    def meaning_of(self, code: str) -> str | None:
        """What a return code means, or None if the list does not document it."""
        if code in self.codes:
            return self.codes[code]
        if not self.bitmask or ipaddress.ip_address(code) not in LOOPBACK_NET:
            return None
        last = int(code.rsplit(".", 1)[1])
        bits = [
            self.codes[f"127.0.0.{b}"]
            for b in (1 << i for i in range(8))
            if last & b and f"127.0.0.{b}" in self.codes
        ]
        return ", ".join(bits) or None

    @property
    def display(self) -> str:
        """The list's title, or its name."""
        return self.title or self.name


@functools.cache
def _catalog_file() -> dict[str, Any]:
    """data/blocklists.toml, parsed once a process (~2.4 ms a parse)."""
    text = resources.files("deliverability").joinpath("data/blocklists.toml").read_text("utf-8")
    return tomllib.loads(text)


@functools.cache
def load_catalog() -> tuple[BlocklistSpec, ...]:
    """The curated lists shipped with the package, in catalog order; read once a process
    (the CLI checks --blocklists with it, then every target's check selects from it)."""
    tables = _catalog_file().get("blocklist", [])
    return tuple(_spec(t, f"catalog list #{i}", CATALOG_KEYS) for i, t in enumerate(tables, 1))


def catalog_date() -> str:
    """When the catalog's facts were last checked (YYYY-MM-DD)."""
    return str(_catalog_file().get("checked", ""))


def parse_profile_lists(tables: list[dict[str, Any]], source: str) -> tuple[BlocklistSpec, ...]:
    """Validate a profile's `[[blocklists]]` tables; BadInput names the bad key or value."""
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise BadInput(f"profile {source}: blocklists must be [[blocklists]] tables")
    reserved = {spec.name for spec in load_catalog()} | set(SELECTORS)
    specs: list[BlocklistSpec] = []
    for i, table in enumerate(tables, 1):
        where = f"profile {source}: [[blocklists]] #{i}"
        spec = _spec({**table, "default": True, "weight": "major"}, where, PROFILE_KEYS)
        if spec.name in reserved or spec.name in {s.name for s in specs}:
            raise BadInput(f"{where}: name {spec.name!r} is already taken; choose another")
        specs.append(spec)
    return tuple(specs)


def select_lists(text: str, extra: tuple[BlocklistSpec, ...] = ()) -> tuple[BlocklistSpec, ...]:
    """`--blocklists`: default, all, none, or comma-separated names (the selectors mix in)."""
    known = {spec.name: spec for spec in (*load_catalog(), *extra)}
    chosen: dict[str, BlocklistSpec] = {}
    for item in (part.strip().lower() for part in text.split(",")):
        if item in ("default", "all"):
            chosen.update({n: s for n, s in known.items() if item == "all" or s.default})
        elif item in known:
            chosen[item] = known[item]
        elif item != "none":
            names = ", ".join([*SELECTORS, *known])
            raise BadInput(f"--blocklists: unknown list {item!r}; choose from {names}")
    return tuple(chosen.values())


def validate_options(text: str, spamhaus_key: str | None, profile: SenderProfile) -> None:
    """Check --blocklists and --spamhaus-key before a run; the key is never echoed."""
    select_lists(text, profile.blocklists)
    if spamhaus_key is not None and not _DQS_KEY.match(spamhaus_key):
        raise BadInput("--spamhaus-key must be the letters-and-digits DQS key of your account")


def _spec(table: dict[str, Any], where: str, allowed: frozenset[str]) -> BlocklistSpec:
    unknown = sorted(set(table) - allowed - {"default", "weight"})
    if unknown:
        allowed_keys = ", ".join(sorted(allowed))
        raise BadInput(f"{where}: unknown key {unknown[0]!r} (allowed: {allowed_keys})")
    for key in ("name", "zone", "kind"):
        if key not in table:
            raise BadInput(f"{where}: missing key {key!r}")
    name = _text(table, "name", where)
    if not _NAME.match(name):
        raise BadInput(f"{where}: name {name!r} must be lower-case letters, digits and hyphens")
    where = f"{where} ({name})"
    kind = _choice(table, "kind", ListKind, where)
    ipv6 = table.get("ipv6", False)
    if not isinstance(ipv6, bool) or (ipv6 and kind is ListKind.DOMAIN):
        raise BadInput(f'{where}: ipv6 must be true or false, and only for kind = "ip"')
    return BlocklistSpec(
        name=name,
        kind=kind,
        ipv6=ipv6,
        zone=_zone(_text(table, "zone", where), f"{where}: zone"),
        test_entry=_test_entry(table.get("test_entry"), kind, where),
        codes=_codes(table.get("codes", {}), "codes", where),
        errors=_codes(table.get("errors", {}), "errors", where),
        title=_text(table, "title", where, ""),
        default=bool(table.get("default", True)),
        weight=_choice(table, "weight", Weight, where),
        bitmask=bool(table.get("bitmask", False)),
        dqs_zone=table.get("dqs_zone"),
        policy=_text(table, "policy", where, ""),
        delist_url=_text(table, "delist_url", where, ""),
        delist_steps=tuple(table.get("delist_steps", ())),
        fixes=dict(table.get("fixes", {})),
        refused_fix=_text(table, "refused_fix", where, ""),
        source=_text(table, "source", where, ""),
    )


def _text(table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        raise BadInput(f"{where}: {key} must be a non-empty string")
    return value.strip()


def _choice(table: dict[str, Any], key: str, enum: type[StrEnum], where: str) -> Any:
    value = table.get(key)
    try:
        return enum(str(value))
    except ValueError:
        options = " or ".join(f'"{e.value}"' for e in enum)
        raise BadInput(f"{where}: {key} must be {options}, not {value!r}") from None


def _zone(text: str, what: str) -> str:
    return validate_domain(text, what)


def _test_entry(value: Any, kind: ListKind, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(f"{where}: test_entry must be a string")
    if kind is ListKind.IP:
        try:
            return str(ipaddress.ip_address(value.strip()))
        except ValueError:
            raise BadInput(f"{where}: test_entry {value!r} is not an IP address") from None
    entry = value.strip().rstrip(".").lower()
    if "." not in entry and _LABEL.match(entry):
        return entry  # RFC 5782 section 5: the single label "test" is the usual one
    return validate_domain(entry, f"{where}: test_entry")


def _codes(value: Any, key: str, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise BadInput(f'{where}: {key} must be a table of "127.x.y.z" = "meaning"')
    out: dict[str, str] = {}
    for code, meaning in value.items():
        try:
            address = ipaddress.IPv4Address(code)
        except ValueError:
            raise BadInput(f"{where}: {key}: {code!r} is not an IPv4 address") from None
        if address not in LOOPBACK_NET:
            raise BadInput(f"{where}: {key}: {code} is outside 127.0.0.0/8 (RFC 5782 section 2.1)")
        if not isinstance(meaning, str) or not meaning.strip():
            raise BadInput(f"{where}: {key}: the meaning of {code} must be a non-empty string")
        out[str(address)] = meaning.strip()
    return out
