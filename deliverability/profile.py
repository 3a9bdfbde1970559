"""The sender profile: `deliverability.toml` (or --profile FILE) describes the sender once.

    [sender]
    name = "Example SaaS"
    from_domains = ["notify.example.com"]        # header From domains
    return_path_domains = ["bounce.example.com"] # envelope sender domains
    dkim_domains = ["example.com"]               # d= domains
    dkim_selectors = ["s1", "s2"]
    ips = ["192.0.2.10", "198.51.100.0/22"]      # addresses and ranges
    ips_from_spf = false    # also take the ranges the SPF of from/return-path domains authorizes
    smtp_hosts = ["smtp-out.example.com"]
    link_domains = ["links.example.net"]         # link tracking, CDN, images
    support_contact = "support@example.com"

    [[playbook]]            # what support checks inside the sending application first
    title = "..."
    steps = ["...", "..."]

Every problem is one line naming the file, the key and the bad value (`BadInput`).
The `[[blocklists]]` tables belong to the reputation check: they are handed to
`deliverability.checks.dnsbl.lists.parse_profile_lists` when that module is installed.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import field
from pathlib import Path
from typing import Any

from deliverability.files import MAX_PROFILE, UnreadableFile, read_user_text
from deliverability.lean import dataclass
from deliverability.validation import BadInput, validate_domain, validate_selector

DEFAULT_PROFILE = "deliverability.toml"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# No mail reaches the Internet from these (RFC 6890): "this network", loopback, link-local,
# multicast and reserved; a range wider than this prefix is no sender's own.
_NOT_SENDERS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "224.0.0.0/3",
        "::/128",
        "::1/128",
        "fe80::/10",
        "ff00::/8",
    )
)
_WIDEST_PREFIX = {4: 8, 6: 16}
_TOP_KEYS = ("sender", "playbook", "blocklists", "check")  # [check]: settings.py
_DOMAIN_LISTS = (
    "from_domains",
    "return_path_domains",
    "dkim_domains",
    "smtp_hosts",
    "link_domains",
)
_SENDER_KEYS = (
    "name",
    *_DOMAIN_LISTS[:3],
    "dkim_selectors",
    "ips",
    "ips_from_spf",
    *_DOMAIN_LISTS[3:],
    "support_contact",
)


@dataclass(frozen=True, kw_only=True)
class PlaybookItem:
    """Something support checks inside the sending application before blaming the recipient."""

    title: str
    steps: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class SenderProfile:
    """What the sender told us about itself; every value validated and canonical."""

    path: str
    name: str = ""
    from_domains: tuple[str, ...] = ()
    return_path_domains: tuple[str, ...] = ()
    dkim_domains: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] = ()
    ips: tuple[Network, ...] = ()
    ips_from_spf: bool = False
    smtp_hosts: tuple[str, ...] = ()
    link_domains: tuple[str, ...] = ()
    support_contact: str = ""
    playbook: tuple[PlaybookItem, ...] = ()
    blocklists: tuple[Any, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def loaded(self) -> bool:
        """Whether this came from a file (False for NO_PROFILE, the stand-in for none)."""
        return bool(self.path)


# What checks see when no profile was given: every value empty.
NO_PROFILE = SenderProfile(path="")


def load_profile(path: Path | None) -> SenderProfile | None:
    """Read --profile FILE, else ./deliverability.toml if present, else None."""
    if path is None:
        path = Path(DEFAULT_PROFILE)
        if not path.is_file():
            return None
    try:
        raw = tomllib.loads(read_user_text(path, "profile", MAX_PROFILE))
    except UnreadableFile as exc:
        raise BadInput(f"profile {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"profile {path}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses once per nested array or table
        raise BadInput(f"profile {path}: nested too deeply to read") from None
    return parse_profile(raw, str(path))


def parse_profile(raw: dict[str, Any], source: str) -> SenderProfile:
    """Validate the parsed TOML of a profile; BadInput names the first bad key or value."""
    where = f"profile {source}"
    _no_unknown_keys(raw, _TOP_KEYS, where, "")
    sender = raw.get("sender", {})
    if not isinstance(sender, dict):
        raise BadInput(f"{where}: [sender] must be a table")
    _no_unknown_keys(sender, _SENDER_KEYS, where, "sender.")
    values: dict[str, Any] = {key: _domains(sender, key, where) for key in _DOMAIN_LISTS}
    return SenderProfile(
        path=source,
        name=_text(sender, "name", where),
        dkim_selectors=tuple(
            _selector(s, where) for s in _strings(sender, "dkim_selectors", where)
        ),
        ips=_networks(sender, where),
        ips_from_spf=_flag(sender, "ips_from_spf", where),
        support_contact=_text(sender, "support_contact", where),
        playbook=_playbook(raw.get("playbook", []), where),
        blocklists=_blocklists(raw.get("blocklists", []), source),
        raw=raw,
        **values,
    )


def _no_unknown_keys(
    table: dict[str, Any], known: tuple[str, ...], where: str, prefix: str
) -> None:
    for key in table:
        if key not in known:
            raise BadInput(f"{where}: unknown key {prefix}{key!r} (known: {', '.join(known)})")


def _strings(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{where}: sender.{key} must be a list of strings")
    return value


def _text(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise BadInput(f"{where}: sender.{key} must be a string")
    return value.strip()


def _flag(table: dict[str, Any], key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise BadInput(f"{where}: sender.{key} must be true or false, not {value!r}")
    return value


def _domains(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    names = (
        validate_domain(text, f"{where}: sender.{key} entry")
        for text in _strings(table, key, where)
    )
    return tuple(dict.fromkeys(names))


def _selector(text: str, where: str) -> str:
    return validate_selector(text, f"{where}: sender.dkim_selectors entry")


def _networks(table: dict[str, Any], where: str) -> tuple[Network, ...]:
    found: list[Network] = []
    for text in _strings(table, "ips", where):
        try:
            network = _unmapped(ipaddress.ip_network(text.strip(), strict=True))
        except ValueError as exc:
            hint = _host_bits_hint(text)
            raise BadInput(
                f"{where}: sender.ips entry {text!r} is not an IP address or range ({hint or exc})"
            ) from None
        if problem := sending_range_problem(network):
            raise BadInput(f"{where}: sender.ips entry {text!r} {problem}")
        found.append(network)
    return tuple(dict.fromkeys(found))


def _unmapped(network: Network) -> Network:
    """An IPv4-mapped IPv6 range (::ffff:192.0.2.9) as the IPv4 range it stands for."""
    mapped = getattr(network.network_address, "ipv4_mapped", None)
    if mapped is None or network.prefixlen < 96:
        return network
    return ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")


def sending_range_problem(network: Network) -> str:
    """Why the guide must never tell anyone to allow this range ('' when it may)."""
    if network.prefixlen < _WIDEST_PREFIX[network.version]:
        return (
            f"is wider than /{_WIDEST_PREFIX[network.version]}: allowing it would allow"
            " a large part of the Internet"
        )
    special = next(
        (n for n in _NOT_SENDERS if n.version == network.version and network.overlaps(n)), None
    )
    return f"is not a public sending address (it overlaps {special})" if special else ""


def _host_bits_hint(text: str) -> str:
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return ""
    return f"host bits are set; did you mean {network}?"


def _playbook(items: Any, where: str) -> tuple[PlaybookItem, ...]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadInput(f"{where}: playbook must be [[playbook]] tables")
    parsed = []
    for number, item in enumerate(items, 1):
        _no_unknown_keys(item, ("title", "steps"), where, f"playbook[{number}].")
        title, steps = item.get("title"), item.get("steps")
        if not isinstance(title, str) or not title.strip():
            raise BadInput(f"{where}: playbook[{number}].title must be a non-empty string")
        if not isinstance(steps, list) or not steps or not all(isinstance(s, str) for s in steps):
            raise BadInput(f"{where}: playbook[{number}].steps must be a non-empty list of strings")
        parsed.append(PlaybookItem(title=title.strip(), steps=tuple(s.strip() for s in steps)))
    return tuple(parsed)


def _blocklists(tables: Any, source: str) -> tuple[Any, ...]:
    if not isinstance(tables, list):
        raise BadInput(f"profile {source}: blocklists must be [[blocklists]] tables")
    if not tables:
        return ()
    try:
        from deliverability.checks.dnsbl.lists import parse_profile_lists
    except ImportError:  # the reputation check is not installed: keep the raw tables
        return tuple(tables)
    return tuple(parse_profile_lists(tables, source))
