"""The records a run saw, with proposed changes applied: what `remedy` re-checks against.

`OverlayDns` answers an edited (name, type) from the edit and every other question
from the run's own client, whose cache already holds what the checks fetched (and
whose zone files answer what they hold), so a re-check asks next to nothing anew.
Nothing is published: the edits live in memory for the length of the re-check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT

from deliverability.change import Change, txt_strings
from deliverability.net.dns import Answer, DnsClient, LookupFailed, normalize_name


class UnusableChange(Exception):
    """A change whose records cannot be parsed, or whose old record is not there."""


class OverlayDns(DnsClient):
    """A DnsClient answering `edits` itself and everything else through `base`."""

    def __init__(self, base: DnsClient, edits: dict[tuple[str, str], Answer]) -> None:
        super().__init__(zones=base.zones, offline=True, timeout=base.timeout)
        self.base = base
        self.edits = edits

    async def query(self, name: str, rdtype: str) -> Answer:
        """The edited answer for an edited (name, type); the run's answer otherwise."""
        edited = self.edits.get((normalize_name(name), rdtype.upper()))
        if edited is not None:
            return edited
        return await self.base.query(name, rdtype)


async def overlay(base: DnsClient, changes: Iterable[Change]) -> OverlayDns:
    """`base` with every change applied; UnusableChange when one cannot be."""
    grouped: dict[tuple[str, str], list[Change]] = {}
    for change in changes:
        grouped.setdefault((normalize_name(change.name), change.type.upper()), []).append(change)
    edits = {}
    for (name, rdtype), group in grouped.items():
        edits[(name, rdtype)] = await _edited(base, name, rdtype, group)
    return OverlayDns(base, edits)


async def _edited(base: DnsClient, name: str, rdtype: str, changes: list[Change]) -> Answer:
    try:
        seen = await base.query(name, rdtype)
    except LookupFailed as exc:
        raise UnusableChange(f"{rdtype} {name}: {exc.reason}") from None
    records = list(seen.records)
    for change in changes:
        if change.old is not None:
            old = _rdata(rdtype, change.old)
            if old not in records:
                raise UnusableChange(f"{rdtype} {name}: the record to replace is not there")
            records.remove(old)
        new = _rdata(rdtype, change.new) if change.new is not None else None
        if new is not None and new not in records:
            records.append(new)
    return Answer(
        name=name,
        type=rdtype,
        records=tuple(records),
        nxdomain=seen.nxdomain and not records,
        location=seen.location,
    )


def _rdata(rdtype: str, text: str) -> Any:
    try:
        if rdtype == "TXT":  # the form the checks write, read without dnspython's tokenizer
            return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, txt_strings(text))
        return dns.rdata.from_text(
            dns.rdataclass.IN,
            dns.rdatatype.from_text(rdtype),
            text,
            origin=dns.name.root,
            relativize=False,  # names stay absolute, as in the answers they replace (MX)
        )
    except (dns.exception.DNSException, ValueError) as exc:
        raise UnusableChange(f"{rdtype} {text[:60]}: {exc}") from None
