"""What a message shows without any lookup: path, hand-off, identities, receiver's results.

`read_facts()` is pure; the `message` command uses it to build the report's Target
(the From domain, the connecting IP, the Return-Path, the DKIM selectors) and the
check uses it for everything that needs no DNS.
"""

from __future__ import annotations

import ipaddress
import re

from deliverability.checks.message.authres import (
    ReceiverResults,
    parse_authres,
    receiver_results,
    stated_ip,
)
from deliverability.checks.message.parse import MAX_TRACE_FIELDS, ParsedMessage
from deliverability.checks.message.received import Hop, handoff, hops_oldest_first
from deliverability.checks.message.receivers import load_receivers, receiver_of
from deliverability.checks.message.signatures import signing_keys
from deliverability.finding import NO_SENDER_DOMAIN, Target
from deliverability.lean import dataclass
from deliverability.validation import BadInput, validate_domain

_CLIENT_IP = re.compile(r"(?i)client-ip=([0-9A-Fa-f:.]+)")
_CIP = re.compile(r"(?i)(?:^|;)\s*CIP:([0-9A-Fa-f:.]+)")
NO_DOMAIN = NO_SENDER_DOMAIN  # the report's domain when From has no usable one


@dataclass(frozen=True, kw_only=True)
class Facts:
    """The message's identities and path, as written in it."""

    from_domain: str | None
    from_addresses: tuple[str, ...]
    return_path: str | None
    reply_to: tuple[str, ...]
    hops: tuple[Hop, ...]
    connecting_ip: str | None
    handoff: Hop | None
    receiver: ReceiverResults
    selectors: tuple[tuple[str, str], ...]  # (d=, s=) of each DKIM-Signature

    @property
    def delays(self) -> list[float | None]:
        """Seconds each hop took after the previous one (None for the first or without times)."""
        return [
            hop.delay_after(before)
            for before, hop in zip((None, *self.hops), self.hops, strict=False)
        ]

    @property
    def total_delay_s(self) -> float | None:
        """Seconds from the first timed hop to the last one."""
        times = [hop.time for hop in self.hops if hop.time]
        return (times[-1] - times[0]).total_seconds() if len(times) > 1 else None

    @property
    def from_domains(self) -> tuple[str, ...]:
        """The usable domain of every From address, once each (RFC 7489 6.6.1)."""
        found = (_domain_of(address) for address in self.from_addresses)
        return tuple(dict.fromkeys(d for d in found if d))

    @property
    def return_path_domain(self) -> str | None:
        """The envelope sender's domain as the receiver recorded it."""
        return _domain_of(self.return_path) if self.return_path else None


def read_facts(message: ParsedMessage) -> Facts:
    """Everything the message says about itself, no lookups."""
    received = [(h.index, h.value) for h in message.named("Received")[:MAX_TRACE_FIELDS]]
    hops = hops_oldest_first(received)
    ip = _receiver_stated_ip(message)
    relays = receiver_of(hops[-1].by if hops else None, load_receivers())
    hop = handoff(hops, ip, relays)
    if hop is None and ip is not None:  # a stated IP no hop shows: trust the chain instead
        hop = handoff(hops, None, relays)
    authres = message.named("Authentication-Results")[:MAX_TRACE_FIELDS]
    receiver = receiver_results(authres, _boundary(hops, hop))
    from_addresses = tuple(message.addresses("From"))
    return_path = message.addresses("Return-Path")
    return Facts(
        from_domain=_domain_of(from_addresses[0]) if len(from_addresses) == 1 else None,
        from_addresses=from_addresses,
        return_path=return_path[0] if return_path else _spf_mailfrom(receiver),
        reply_to=tuple(message.addresses("Reply-To")),
        hops=tuple(hops),
        connecting_ip=hop.ip if hop is not None else ip,
        handoff=hop,
        receiver=receiver,
        selectors=tuple(signing_keys(message)),
    )


def message_target(facts: Facts) -> Target:
    """The report's target: From domain, connecting IP, Return-Path, DKIM selectors used."""
    domain = facts.from_domain or NO_DOMAIN
    selectors = [s for d, s in facts.selectors if d == domain]
    return Target(
        domain=domain,
        ips=(facts.connecting_ip,) if facts.connecting_ip else (),
        mail_from=facts.return_path or "",
        helo=facts.handoff.from_host if facts.handoff and facts.handoff.from_host else None,
        selectors=tuple(dict.fromkeys(selectors)),
    )


def _spf_mailfrom(receiver: ReceiverResults) -> str | None:
    """Without a Return-Path field: the envelope sender the receiver's SPF result names."""
    spf = receiver.result("spf")
    mailfrom = spf.properties.get("smtp.mailfrom", "").strip() if spf else ""
    return mailfrom or None


def _boundary(hops: list[Hop], hop: Hop | None) -> int | None:
    """Where the sender's own header fields start: its last host's Received field."""
    if hop is None:
        return None
    position = hops.index(hop)
    return hops[position - 1].header_index if position > 0 else None


def _domain_of(address: str) -> str | None:
    try:
        return validate_domain(address.rpartition("@")[2], "From domain")
    except BadInput:
        return None


def _receiver_stated_ip(message: ParsedMessage) -> str | None:
    """The connecting IP in the receiver's own words: top AR, Received-SPF, or Microsoft's CIP."""
    texts = []
    top = message.named("Authentication-Results")[:1]
    ip = stated_ip([parse_authres(h.value, h.index) for h in top])
    if ip:
        return ip
    for name, pattern in (("Received-SPF", _CLIENT_IP), ("X-Forefront-Antispam-Report", _CIP)):
        value = message.first(name)
        match = pattern.search(value) if value else None
        if match:
            texts.append(match.group(1))
    for text in texts:
        try:
            return str(ipaddress.ip_address(text))
        except ValueError:
            continue
    return None
