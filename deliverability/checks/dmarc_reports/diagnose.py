"""Why each failing source fails, from DNS as published today (docs/dmarc-reports.md "Diagnosis").

For every source: its PTR name and FCrDNS. For each failing one (most messages first,
up to MAX_DIAGNOSED): the SPF verdict for its IP against each envelope domain it used
and against the From domain, and the DKIM key of each (d=, s=) it was reported with.
All sources are looked up side by side over the shared DNS client.
"""

from __future__ import annotations

import asyncio

from deliverability.checks.dmarc_reports.aggregate import Corpus, Source
from deliverability.checks.dmarc_reports.classify import is_forwarder_host
from deliverability.checks.dmarc_reports.lookups import (
    KeyToday,
    ReverseName,
    SpfToday,
    key_today,
    reverse_all,
    spf_today,
)
from deliverability.checks.dmarc_reports.model import Category
from deliverability.checks.dmarc_reports.providers import Catalog, Provider
from deliverability.lean import dataclass
from deliverability.net.dns import DnsClient

MAX_PTR_SOURCES = 500  # PTR names looked up for this many sources, most messages first
MAX_DIAGNOSED = 50  # failing sources diagnosed in full
MAX_ENVELOPES = 3  # envelope domains checked per source
MAX_KEYS = 4  # (d=, s=) pairs checked per source


@dataclass(frozen=True, kw_only=True)
class Diagnosis:
    """What DNS says today about one failing source."""

    source: Source
    reverse: ReverseName
    spf: tuple[SpfToday, ...]  # one per envelope domain
    spf_from: SpfToday | None  # the From domain itself, when no envelope domain is it
    keys: tuple[KeyToday, ...]
    provider: Provider | None


async def look_up(
    dns: DnsClient, corpus: Corpus, catalog: Catalog
) -> tuple[dict[str, ReverseName], list[Diagnosis]]:
    """PTR names of the busiest sources, and the diagnosis of the failing ones."""
    ranked = corpus.ranked_sources()
    ips = list(dict.fromkeys(s.ip for s in ranked[:MAX_PTR_SOURCES]))
    names = await reverse_all(dns, ips)
    for source in ranked:
        if is_forwarder_host(
            names.get(source.ip, ReverseName(ip=source.ip)).ptr, catalog.forwarders
        ):
            relabel_forwarded(source)
    failing = [s for s in ranked if s.failing_category is not None][:MAX_DIAGNOSED]
    found = await asyncio.gather(*(_diagnose(dns, s, names[s.ip], catalog) for s in failing))
    return names, list(found)


def relabel_forwarded(source: Source) -> None:
    """A known forwarder's hop: its failing messages are forwarded mail."""
    moved = sum(n for c, n in source.categories.items() if c is not Category.ALIGNED)
    aligned = source.categories.get(Category.ALIGNED, 0)
    source.categories.clear()
    source.categories.update({Category.ALIGNED: aligned, Category.FORWARDED: moved})


async def _diagnose(
    dns: DnsClient, source: Source, reverse: ReverseName, catalog: Catalog
) -> Diagnosis:
    if source.failing_category is Category.FORWARDED:  # not ours to fix: PTR is all it needs
        return Diagnosis(
            source=source, reverse=reverse, spf=(), spf_from=None, keys=(), provider=None
        )
    envelopes = [d for d, _ in source.envelope_from.most_common(MAX_ENVELOPES) if d]
    pairs = [(d, s) for d, s, _ in source.dkim if d and s][:MAX_KEYS]
    from_needed = source.header_from not in envelopes
    spf, keys, spf_from = await asyncio.gather(
        asyncio.gather(*(spf_today(dns, source.ip, d) for d in envelopes)),
        asyncio.gather(*(key_today(dns, d, s) for d, s in dict.fromkeys(pairs))),
        spf_today(dns, source.ip, source.header_from) if from_needed else _none(),
    )
    provider = catalog.identify([reverse.ptr, *envelopes, *(d for d, _ in pairs)])
    return Diagnosis(
        source=source,
        reverse=reverse,
        spf=tuple(spf),
        spf_from=spf_from,
        keys=tuple(keys),
        provider=provider,
    )


async def _none() -> None:
    return None
