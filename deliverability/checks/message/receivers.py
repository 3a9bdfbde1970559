"""Receivers whose own relays sit between the hand-off and the mailbox, as data.

Exchange Online accepts a message on a front end and passes it through several hosts
of its own (`*.prod.protection.outlook.com`, 2a01:111::/32) before the mailbox; each
writes a Received field. Without the receiver's own statement of the connecting IP
(`X-Forefront-Antispam-Report: CIP:`), the hand-off is the newest hop from outside
the receiver, so its internal hops are skipped. The hosts and networks come from the
vendor's documentation (deliverability/data/receiver_hops.toml, docs/message.md).
"""

from __future__ import annotations

import ipaddress
import tomllib
from importlib import resources

from deliverability.lean import dataclass

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, kw_only=True)
class ReceiverHops:
    """One receiver's relay host-name suffixes and networks."""

    name: str
    hosts: tuple[str, ...]
    networks: tuple[IpNetwork, ...]

    def wrote(self, host: str | None) -> bool:
        """Whether `host` (a Received `by` or `from` name) is one of the receiver's."""
        name = (host or "").lower().rstrip(".")
        return any(name.endswith(suffix) for suffix in self.hosts)

    def owns(self, ip: str | None) -> bool:
        """Whether `ip` is inside the receiver's published networks."""
        try:
            address = ipaddress.ip_address(ip or "")
        except ValueError:
            return False
        return any(address in net for net in self.networks if net.version == address.version)


def load_receivers() -> tuple[ReceiverHops, ...]:
    """The receivers in the package data (read on each call: keep the result)."""
    text = (
        resources.files("deliverability")
        .joinpath("data/receiver_hops.toml")
        .read_text(encoding="utf-8")
    )
    return tuple(
        ReceiverHops(
            name=entry["name"],
            hosts=tuple(h.lower() for h in entry["hosts"]),
            networks=tuple(ipaddress.ip_network(n) for n in entry["networks"]),
        )
        for entry in tomllib.loads(text)["receiver"]
    )


def receiver_of(newest_by: str | None, known: tuple[ReceiverHops, ...]) -> ReceiverHops | None:
    """The known receiver that wrote the newest Received field, if any."""
    return next((r for r in known if r.wrote(newest_by)), None)
