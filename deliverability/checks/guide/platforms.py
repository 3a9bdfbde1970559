"""Which platform receives a domain's mail: MX host names first, SPF includes second.

The vendor facts (host patterns, menu paths, accepted forms, caveats, sources) live
in `deliverability/data/platforms.toml`; this module reads them and matches names.
A pattern matches a host on a label boundary: `pphosted.com` matches
`mx0a-001.pphosted.com`, never `pphosted.com.evil.test` or `notpphosted.com`.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from importlib import resources
from typing import Any

from deliverability.lean import dataclass

UNKNOWN = "unknown"  # mail is accepted, by a platform we do not recognize
NONE = "none"  # the domain accepts no mail


class Role(StrEnum):
    """What a platform does with the mail it receives."""

    MAILBOX = "mailbox"
    GATEWAY = "gateway"
    CONSUMER = "consumer"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class IpList:
    """One place a platform takes IP addresses, and the form it takes them in."""

    values: str  # the key of this form in the guide's `values`
    where: str
    families: tuple[int, ...] = (4, 6)
    min_prefix_v4: int = 0  # the widest IPv4 range accepted; wider ones are split
    min_prefix_v6: int = 0
    notation: str = "cidr"  # cidr (hosts bare) | prefix (always /n) | netmask


@dataclass(frozen=True, kw_only=True)
class Step:
    """One numbered step; `values` names the kind of values appended to it."""

    text: str
    values: str | None = None


@dataclass(frozen=True, kw_only=True)
class Platform:
    """A mail platform or gateway and how to allow a sender on it."""

    id: str
    name: str
    role: Role
    mx: tuple[str, ...] = ()
    spf: tuple[str, ...] = ()
    ip_lists: tuple[IpList, ...] = ()
    steps: tuple[Step, ...] = ()
    behind_gateway: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    confirm: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    checked: str = ""


@dataclass(frozen=True, kw_only=True)
class Catalog:
    """Every known platform, the generic guidance, and advice common to all."""

    platforms: dict[str, Platform]
    generic: Platform
    out_of_band: tuple[str, ...]
    common_steps: tuple[Step, ...]


@dataclass(frozen=True, kw_only=True)
class Detection:
    """What receives the domain's mail: the MX hop's platform id and every recognized hop."""

    platform: str  # a platform id, UNKNOWN or NONE
    hops: tuple[str, ...]
    evidence: tuple[str, ...]


def load_catalog(text: str | None = None) -> Catalog:
    """Parse platforms.toml (the packaged one unless `text` is given)."""
    if text is None:
        text = resources.files("deliverability").joinpath("data/platforms.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    advice = raw.get("advice", {})
    return Catalog(
        platforms={pid: _platform(pid, table) for pid, table in raw["platforms"].items()},
        generic=_platform(UNKNOWN, raw["generic"]),
        out_of_band=tuple(advice.get("out_of_band", ())),
        common_steps=tuple(Step(**s) for s in advice.get("common_steps", ())),
    )


def _platform(pid: str, table: dict[str, Any]) -> Platform:
    lists = tuple(
        IpList(**{**entry, "families": tuple(entry.get("families", (4, 6)))})
        for entry in table.get("ip_lists", ())
    )
    return Platform(
        id=pid,
        name=table["name"],
        role=Role(table.get("role", "unknown")),
        mx=tuple(table.get("mx", ())),
        spf=tuple(table.get("spf", ())),
        ip_lists=lists,
        steps=tuple(Step(**s) for s in table.get("steps", ())),
        behind_gateway=tuple(table.get("behind_gateway", ())),
        caveats=tuple(table.get("caveats", ())),
        confirm=tuple(table.get("confirm", ())),
        sources=tuple(table.get("sources", ())),
        checked=table.get("checked", ""),
    )


def suffix_matches(name: str, pattern: str) -> bool:
    """Whether `name` is `pattern` or a subdomain of it (label boundary, case-insensitive)."""
    name, pattern = name.rstrip(".").lower(), pattern.rstrip(".").lower()
    return name == pattern or name.endswith("." + pattern)


def platform_of(catalog: Catalog, name: str, field: str) -> Platform | None:
    """The platform whose `field` ("mx" or "spf") patterns match `name`; longest pattern wins."""
    best: tuple[int, Platform] | None = None
    for platform in catalog.platforms.values():
        for pattern in getattr(platform, field):
            if suffix_matches(name, pattern) and (best is None or len(pattern) > best[0]):
                best = (len(pattern), platform)
    return best[1] if best else None


def detect_platform(
    catalog: Catalog, mx_hosts: list[tuple[int, str]], spf_includes: list[str]
) -> Detection:
    """Recognize the MX hop (most preferred hosts), then the mailbox platform behind a gateway."""
    evidence = [f"MX {pref} {host}" for pref, host in sorted(mx_hosts)]
    evidence += [f"SPF include:{name}" for name in spf_includes]
    if not mx_hosts:
        return Detection(platform=NONE, hops=(), evidence=tuple(evidence))
    best = min(pref for pref, _ in mx_hosts)
    primary = next(
        (
            p
            for pref, host in sorted(mx_hosts)
            if pref == best
            for p in [platform_of(catalog, host, "mx")]
            if p is not None
        ),
        None,
    )
    if primary is None:
        return Detection(platform=UNKNOWN, hops=(), evidence=tuple(evidence))
    hops = [primary.id]
    if primary.role is Role.GATEWAY:
        behind = _mailbox_from_spf(catalog, spf_includes)
        hops += [behind.id] if behind is not None else []
    return Detection(platform=primary.id, hops=tuple(hops), evidence=tuple(evidence))


def _mailbox_from_spf(catalog: Catalog, includes: list[str]) -> Platform | None:
    for name in includes:
        platform = platform_of(catalog, name, "spf")
        if platform is not None and platform.role is Role.MAILBOX:
            return platform
    return None
