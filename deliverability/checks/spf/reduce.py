"""Edits that bring a record within RFC 7208's limits without losing a sender.

    fewer_lookups(domain, record, walk) -> Slimmed | None   (spf.too-many-lookups)
    ranges_moved(domain, record, walk)  -> Slimmed | None   (spf.too-long)

Lookups: first drop what adds nothing (a repeated term; an include, a or mx whose
every network another term already authorizes; a term that authorizes nothing),
costliest first; only then flatten `include:` targets whose record is static
(`ip4:`/`ip6:` and `all` only), fewest bytes first, each note dated with the
include to re-check. The result never needs more than 10 lookups or 2 void
lookups, nor grows past 512 bytes (RFC 7208 4.6.4, 3.4); None when no edit gets
there. Size: the record's own `ip4:`/`ip6:` ranges move into `_spf.DOMAIN`
(split further when one would be too long), included where the first range was.
Pure functions of the parsed record and its walk; remedy.py still verifies them.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

from deliverability.checks.spf.parse import MAX_RECORD_BYTES, SpfRecord, Term, parse_record
from deliverability.checks.spf.walk import Hit, Walk
from deliverability.lean import dataclass
from deliverability.net.dns import normalize_name

MAX_LOOKUPS = 10  # RFC 7208 4.6.4
MAX_VOID_LOOKUPS = 2  # RFC 7208 4.6.4
MAX_UDP_BYTES = 512  # RFC 7208 3.4: past this an answer may need TCP
_Net = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, kw_only=True)
class Slimmed:
    """A record that fits, the records it includes anew, and what the owner must know."""

    text: str
    added: tuple[tuple[str, str], ...] = ()  # (name, record) to publish beside it
    note: str = ""


def today() -> str:
    """The date a flattened range was copied (UTC), for the note."""
    return datetime.now(UTC).date().isoformat()


def fewer_lookups(domain: str, record: SpfRecord, walk: Walk) -> Slimmed | None:
    """`record` edited to need at most 10 lookups and 2 void lookups; None if it cannot."""
    if walk.truncated:
        return None  # part of the tree was never seen: nothing is known to be redundant
    terms = _Terms(domain, record, walk)
    notes: list[str] = []
    dropped = terms.repeats()
    if dropped:
        notes.append(f"Dropped the repeated {_quoted(dropped)}: the first one already applies.")
    for term in terms.redundant(dropped):
        if terms.fits(dropped):
            break
        if not terms.covered(term, dropped):
            continue  # what covered it is gone now
        dropped.append(term.text)
        notes.append(f"Dropped '{term.text}': {terms.why_redundant(term, dropped)}.")
    flattened: dict[str, str] = {}
    limit = MAX_RECORD_BYTES if _size(record.text) <= MAX_RECORD_BYTES else MAX_UDP_BYTES
    for term, ranges in terms.static_includes(dropped):
        if terms.fits(dropped, saved=len(flattened)):
            break
        flattened[term.text] = ranges
    if not terms.fits(dropped, saved=len(flattened)):
        return None
    text = _rebuilt(record, dropped, flattened)
    if _size(text) > limit:
        return None
    for include, ranges in flattened.items():
        name = include.split(":", 1)[1]
        notes.append(
            f"Flattened '{include}' into its {len(ranges.split())} ranges as published on "
            f"{today()}: re-check TXT {name} regularly (providers change their ranges; mail "
            "from a new range fails SPF until this record lists it)."
        )
    return Slimmed(text=text, note=" ".join(notes))


def ranges_moved(domain: str, record: SpfRecord, walk: Walk) -> Slimmed | None:
    """`record` with its own `+ip4:`/`+ip6:` ranges in `_spf.DOMAIN` (and `_spf2.`, ...
    when one record would be too long), each include costing one of the 10 lookups."""
    ranges = [t for t in record.mechanisms if t.name in ("ip4", "ip6") and t.qualifier == "+"]
    if not ranges or walk.truncated:
        return None
    chunks = _chunked([t.text for t in ranges], MAX_RECORD_BYTES - len("v=spf1  -all"))
    names = [f"_spf{'' if i == 0 else i + 1}.{domain}" for i in range(len(chunks))]
    if walk.lookups + len(names) > MAX_LOOKUPS:
        return None
    if any(n in walk.records or n.lower() in record.text.lower() for n in names):
        return None  # the name is already in use: the owner picks another
    includes = " ".join(f"include:{n}" for n in names)
    moved = {t.text for t in ranges}
    kept: list[str] = []
    for term in record.terms:
        if term.text not in moved:
            kept.append(term.text)
        elif includes not in kept:
            kept.append(includes)
    text = " ".join(["v=spf1", *kept])
    if _size(text) > MAX_RECORD_BYTES:
        return None
    added = tuple((n, f"v=spf1 {' '.join(c)} -all") for n, c in zip(names, chunks, strict=True))
    note = (
        f"The ranges move to {', '.join(names)}: publish {'them' if len(names) > 1 else 'it'} "
        "first, then the shorter record."
    )
    return Slimmed(text=text, added=added, note=note)


def _chunked(words: list[str], budget: int) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    for word in words:
        if chunks[-1] and _size(" ".join([*chunks[-1], word])) > budget:
            chunks.append([])
        chunks[-1].append(word)
    return chunks


def _size(text: str) -> int:
    return len(text.encode("utf-8", "replace"))


def _quoted(texts: list[str]) -> str:
    return ", ".join(f"'{t}'" for t in dict.fromkeys(texts))


def _rebuilt(record: SpfRecord, dropped: list[str], flattened: dict[str, str]) -> str:
    kept: list[str] = []
    gone = list(dropped)
    for term in record.terms:
        if term.text in gone:
            gone.remove(term.text)  # only as many occurrences as were dropped
            continue
        kept.append(flattened.get(term.text, term.text))
    return " ".join(["v=spf1", *kept])


class _Terms:
    """What each top-level term of the record costs and authorizes, from the walk."""

    def __init__(self, domain: str, record: SpfRecord, walk: Walk) -> None:
        self.domain = domain
        self.record = record
        self.walk = walk
        top = [t for t in record.mechanisms if t.queries_dns]
        if record.redirect is not None:
            top.append(record.redirect)
        self.top = top
        count = {t.text: sum(1 for u in top if u.text == t.text) for t in top}
        self.cost = {t.text: walk.breakdown.get(t.text, 1) / count[t.text] for t in top}

    def lookups(self, dropped: list[str]) -> float:
        return self.walk.lookups - sum(self.cost.get(t, 0) for t in dropped)

    def voids(self, dropped: list[str]) -> int:
        gone = set(dropped)
        return sum(1 for hit in self.walk.voids if self._owner(hit) not in gone)

    def fits(self, dropped: list[str], saved: int = 0) -> bool:
        lookups = self.lookups(dropped) - saved
        return lookups <= MAX_LOOKUPS and self.voids(dropped) <= MAX_VOID_LOOKUPS

    def _owner(self, hit: Hit) -> str:
        """The top-level term `hit` was met under."""
        return hit.via[0] if hit.via else hit.term

    def repeats(self) -> list[str]:
        seen: set[str] = set()
        repeated = []
        for term in self.record.terms:
            if term.text.lower() in seen:
                repeated.append(term.text)
            seen.add(term.text.lower())
        return repeated

    def networks(self, text: str, own_only: bool = False) -> list[_Net]:
        """The networks top-level term `text` authorizes (`own_only`: not via an include)."""
        nets = []
        for net in self.walk.networks:
            owner = net.via[0] if net.via else net.term
            if owner == text and not (own_only and net.via):
                nets.append(ipaddress.ip_network(net.network))
        return nets

    def opaque(self, text: str) -> bool:
        """Whether the term authorizes what the walk could not list (macros, exists, ptr,
        a failed or broken branch): then nothing says it is redundant."""
        walk = self.walk
        for hits in (walk.unflattenable, walk.failures, walk.loops, walk.no_record):
            if any(self._owner(h) == text for h in hits):
                return True
        for hits in (walk.several_records, walk.big_mx):
            if any(self._owner(h) == text for h in hits):
                return True
        return False

    def redundant(self, dropped: list[str]) -> list[Term]:
        """Pass-qualified include/a/mx terms, costliest (then latest) first, that might
        add nothing; `why_redundant` confirms each against what is still kept."""
        candidates = [
            t
            for t in self.top
            if t.name in ("include", "a", "mx")
            and t.qualifier == "+"
            and t.text not in dropped
            and not self.opaque(t.text)
        ]
        ordered = sorted(candidates, key=lambda t: (-self.cost[t.text], -t.position))
        return [t for t in ordered if self.covered(t, dropped)]

    def covered(self, term: Term, dropped: list[str]) -> bool:
        mine = self.networks(term.text)
        return not mine or all(self._coverer(n, term, dropped) for n in mine)

    def _coverer(self, network: _Net, term: Term, dropped: list[str]) -> str:
        """The first other kept term authorizing all of `network` ('' when none): an
        include may rest on any other term, the domain's own a/mx only on its own."""
        own = term.name != "include"
        for other in self.record.terms:
            if other.text == term.text or other.text in dropped:
                continue
            if any(_within(network, o) for o in self.networks(other.text, own_only=own)):
                return other.text
        return ""

    def why_redundant(self, term: Term, dropped: list[str]) -> str:
        kept = [t for t in dropped if t != term.text]
        by = [self._coverer(n, term, kept) for n in self.networks(term.text)]
        if not by:
            return "it authorizes no address"
        return (
            f"every address it authorized on {today()} is also authorized by "
            f"{_quoted(by)} (if that changes, add it back)"
        )

    def static_includes(self, dropped: list[str]) -> list[tuple[Term, str]]:
        """Kept `include:` terms whose target publishes only `+ip4`/`+ip6` ranges and an
        `all` that is not `+all`, with those ranges; fewest bytes first."""
        found = []
        for term in self.top:
            if term.name != "include" or term.qualifier != "+" or term.text in dropped:
                continue
            text = self.walk.records.get(normalize_name(term.value))
            ranges = _static_ranges(parse_record(text)) if text else None
            if ranges:
                found.append((term, ranges))
        return sorted(found, key=lambda item: (_size(item[1]), item[0].position))


def _static_ranges(record: SpfRecord) -> str | None:
    if record.problems or record.redirect is not None:
        return None
    ranges = []
    for term in record.mechanisms:
        if term.name == "all":
            if term.qualifier == "+" or term is not record.mechanisms[-1]:
                return None
        elif term.name in ("ip4", "ip6") and term.qualifier == "+":
            ranges.append(term.text)
        else:
            return None
    return " ".join(ranges) or None


def _within(network: _Net, other: _Net) -> bool:
    return network.version == other.version and network.subnet_of(other)  # type: ignore[arg-type]
