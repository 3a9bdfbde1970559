"""Build the allowlist guidance: the sender's values, in the form each platform accepts.

Values come from the sender profile and, when it says `ips_from_spf = true`, from
the ranges the SPF records of its From and Return-Path domains authorize. Each
platform's `ip_lists` (platforms.toml) say which families and widths it takes:
a range wider than accepted is split (Microsoft's IP Allow List takes /24 to /32,
so a /22 becomes its four /24s); what a platform cannot take at all is reported
as not accepted, never silently dropped.
"""

from __future__ import annotations

import ipaddress
from dataclasses import field

from deliverability.checks.guide.platforms import Catalog, IpList, Platform
from deliverability.checks.guide.spf_ranges import Flattened, Network, flatten
from deliverability.lean import dataclass
from deliverability.net.dns import DnsClient
from deliverability.profile import SenderProfile, sending_range_problem

MAX_SPLIT = 256  # more entries than this from one range is not a list anyone should paste
DOMAIN_KINDS = ("domains", "return_path_domains", "dkim_domains", "smtp_hosts", "link_domains")


@dataclass(frozen=True, kw_only=True)
class SenderValues:
    """Everything the recipient may need to enter, before any platform's conversion."""

    networks: tuple[Network, ...]
    domains: dict[str, tuple[str, ...]]  # kind -> names, kinds of DOMAIN_KINDS
    spf: Flattened = field(default_factory=Flattened)
    spf_via: dict[Network, tuple[str, ...]] = field(default_factory=dict)
    refused: dict[Network, str] = field(default_factory=dict)  # SPF ranges never to allow: why

    def base_values(self) -> dict[str, list[str]]:
        """The values by kind as the sender states them (`ips` in canonical CIDR form)."""
        values = {"ips": [_cidr(n) for n in self.networks]}
        return values | {kind: list(self.domains[kind]) for kind in DOMAIN_KINDS}

    @property
    def empty(self) -> bool:
        """Nothing to allow: no address and no domain at all."""
        return not self.networks and not any(self.domains.values())


@dataclass(frozen=True, kw_only=True)
class Conversion:
    """A value a platform cannot take as given: what it became (nothing if not accepted), why."""

    platform: str
    network: str
    entries: tuple[str, ...]
    reason: str


async def collect_sender(dns: DnsClient, profile: SenderProfile) -> SenderValues:
    """The sender's values: the profile's, plus its SPF ranges when the profile asks for them."""
    spf = Flattened()
    if profile.ips_from_spf:
        spf = await flatten(
            dns, list(dict.fromkeys(profile.from_domains + profile.return_path_domains))
        )
    refused = {n: why for n in spf.networks if (why := sending_range_problem(n))}
    allowed = [n for n in spf.networks if n not in refused]
    networks = _without_covered(list(dict.fromkeys([*profile.ips, *allowed])))
    domains = {kind: _domains(profile, kind) for kind in DOMAIN_KINDS}
    return SenderValues(
        networks=tuple(networks), domains=domains, spf=spf, spf_via=spf.networks, refused=refused
    )


def _domains(profile: SenderProfile, kind: str) -> tuple[str, ...]:
    by_kind = {
        "domains": profile.from_domains,
        "return_path_domains": profile.return_path_domains,
        "dkim_domains": profile.dkim_domains,
        "smtp_hosts": profile.smtp_hosts,
        "link_domains": profile.link_domains,
    }
    return by_kind[kind]


def _without_covered(networks: list[Network]) -> list[Network]:
    """Drop a network inside another listed one; IPv4 first, then IPv6, each in address order.

    CIDR ranges either nest or are disjoint, so in (version, start, widest first) order a
    range is covered exactly when it lies inside the last range kept: one sort, one pass.
    """
    kept: list[Network] = []
    for network in sorted(set(networks), key=lambda n: (n.version, n.network_address, n.prefixlen)):
        last = kept[-1] if kept else None
        if last is None or last.version != network.version or not network.subnet_of(last):  # type: ignore[arg-type]
            kept.append(network)
    return kept


def values_for(
    sender: SenderValues, platforms: list[Platform]
) -> tuple[dict[str, list[str]], list[Conversion]]:
    """`values` for these platforms: the base kinds plus each platform's IP forms."""
    values = sender.base_values()
    conversions: list[Conversion] = []
    for platform in platforms:
        conversions += _fit_platform(sender.networks, platform, values)
    return values, conversions


def _fit_platform(
    networks: tuple[Network, ...], platform: Platform, values: dict[str, list[str]]
) -> list[Conversion]:
    conversions: list[Conversion] = []
    for ip_list in platform.ip_lists:
        entries, converted = fit_to_list(networks, ip_list, platform.id)
        values[ip_list.values] = entries
        conversions += converted
    families = {f for ip_list in platform.ip_lists for f in ip_list.families}
    for network in (n for n in networks if n.version not in families):
        conversions.append(
            Conversion(
                platform=platform.id,
                network=_cidr(network),
                entries=(),
                reason=f"{platform.name} has no place for IPv{network.version} addresses",
            )
        )
    return conversions


def fit_to_list(
    networks: tuple[Network, ...], ip_list: IpList, platform: str
) -> tuple[list[str], list[Conversion]]:
    """The entries for one IP list, and the conversions it needed (split or refused)."""
    entries: list[str] = []
    conversions: list[Conversion] = []
    for network in (n for n in networks if n.version in ip_list.families):
        widest = ip_list.min_prefix_v4 if network.version == 4 else ip_list.min_prefix_v6
        if network.prefixlen >= widest:
            entries.append(_written(network, ip_list.notation))
            continue
        count = 2 ** (widest - network.prefixlen)
        if count > MAX_SPLIT:
            conversions.append(
                Conversion(
                    platform=platform,
                    network=_cidr(network),
                    entries=(),
                    reason=f"{ip_list.where} takes ranges up to /{widest}; {network} would be"
                    f" {count} entries",
                )
            )
            continue
        parts = tuple(_written(p, ip_list.notation) for p in network.subnets(new_prefix=widest))
        entries += parts
        conversions.append(
            Conversion(
                platform=platform,
                network=_cidr(network),
                entries=parts,
                reason=f"{ip_list.where} takes ranges up to /{widest}: {network} is given as its"
                f" {len(parts)} /{widest} ranges",
            )
        )
    return entries, conversions


def _cidr(network: Network) -> str:
    return _written(network, "cidr")


def _written(network: Network, notation: str) -> str:
    if notation == "netmask" and isinstance(network, ipaddress.IPv4Network):
        return f"{network.network_address} {network.netmask}"
    if notation == "cidr" and network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def steps_for(
    platform: Platform,
    values: dict[str, list[str]],
    catalog: Catalog,
    *,
    behind_gateway: bool,
    last: bool = True,
) -> list[str]:
    """The numbered steps for one platform, values filled in, empty kinds skipped; the
    steps common to every platform come after the last hop's."""
    steps = list(platform.behind_gateway) if behind_gateway else []
    for step in (*platform.steps, *(catalog.common_steps if last else ())):
        if step.values is None:
            steps.append(step.text)
        elif values.get(step.values):
            steps.append(f"{step.text} {', '.join(values[step.values])}")
    return steps
