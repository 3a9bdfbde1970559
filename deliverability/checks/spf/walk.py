"""Walk an SPF record the way a linter does: every include and redirect branch, concurrently.

Independent of any sending IP, `walk()` follows include, redirect, a and mx terms
(each name fetched once through the shared DnsClient) and gathers what the spf check
reports: DNS-querying terms counted per RFC 7208 4.6.4 with the cost of each include,
void lookups naming their terms, loops, include targets without a record, mx with too
many hosts, ptr use, the authorized networks with the include chain they came from,
and the terms that cannot be flattened. A failed lookup marks only its own branch as
unresolved; the rest of the walk goes on.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass, field

from deliverability.checks.spf.evaluate import cname_loops, is_checkable_domain
from deliverability.checks.spf.parse import Problem, SpfRecord, Term, is_spf_record, parse_record
from deliverability.net.dns import Answer, DnsClient, LookupFailed, normalize_name

MAX_MX_HOSTS = 10  # RFC 7208 4.6.4
MAX_DEPTH = 12  # past ten lookups a receiver has long given up; stop runaway chains
MAX_RECORDS = 60  # records fetched per walk, against include fan-out bombs


@dataclass(frozen=True, kw_only=True)
class Found:
    """The SPF records published at a name."""

    domain: str
    records: tuple[str, ...]
    answer: Answer

    @property
    def record(self) -> str | None:
        """The one record, or None when there are none or several."""
        return self.records[0] if len(self.records) == 1 else None


@dataclass(frozen=True, kw_only=True)
class Hit:
    """Something met on the walk: which term, in whose record, reached how."""

    domain: str
    term: str
    via: tuple[str, ...] = ()
    detail: str = ""

    @property
    def where(self) -> str:
        """`domain term`, the stable subject of a finding about it."""
        return f"{self.domain} {self.term}"


@dataclass(frozen=True, kw_only=True)
class Network:
    """An address range the record authorizes, and the include chain it came from."""

    network: str
    via: tuple[str, ...]
    term: str


@dataclass(kw_only=True)
class Walk:
    """Everything the walk saw, over every branch."""

    lookups: int = 0
    breakdown: dict[str, int] = field(default_factory=dict)  # top-level term -> lookups
    include_costs: list[tuple[Hit, int]] = field(default_factory=list)
    voids: list[Hit] = field(default_factory=list)
    failures: list[Hit] = field(default_factory=list)
    loops: list[Hit] = field(default_factory=list)
    no_record: list[Hit] = field(default_factory=list)
    several_records: list[Hit] = field(default_factory=list)
    big_mx: list[Hit] = field(default_factory=list)
    ptrs: list[Hit] = field(default_factory=list)
    unflattenable: list[Hit] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    problems: list[tuple[str, Problem]] = field(default_factory=list)  # in included records
    records: dict[str, str] = field(default_factory=dict)
    truncated: bool = False


async def fetch_spf(dns: DnsClient, domain: str) -> Found:
    """The v=spf1 TXT records at `domain`; LookupFailed when the lookup fails."""
    answer = await dns.query(domain, "TXT")
    records = tuple(text for text in answer.texts() if is_spf_record(text))
    return Found(domain=domain, records=records, answer=answer)


async def walk(dns: DnsClient, domain: str, record: SpfRecord) -> Walk:
    """Walk `record` (published at `domain`) and everything it refers to."""
    result = Walk()
    result.records[domain] = record.text
    walker = _Walker(dns=dns, result=result)
    terms = _dns_terms(record)
    costs = await asyncio.gather(*(walker.term(domain, t, (), (domain,)) for t in terms))
    for term, cost in zip(terms, costs, strict=True):
        result.breakdown[term.text] = result.breakdown.get(term.text, 0) + cost
    result.lookups = sum(costs)
    return result


def _dns_terms(record: SpfRecord) -> list[Term]:
    terms = [t for t in record.mechanisms if t.queries_dns]
    redirect = record.redirect
    return terms + [redirect] if redirect is not None else terms


@dataclass(kw_only=True)
class _Walker:
    dns: DnsClient
    result: Walk
    fetched: int = 0

    async def term(
        self, domain: str, term: Term, via: tuple[str, ...], path: tuple[str, ...]
    ) -> int:
        """Walk one DNS-querying term; return the lookups it costs, its subtree included."""
        hit = Hit(domain=domain, term=term.text, via=via)
        if term.has_macro or term.name in ("exists", "ptr"):
            self.result.unflattenable.append(hit)
            if term.name == "ptr":
                self.result.ptrs.append(hit)
            return 1
        target = normalize_name(term.value or domain)
        if not is_checkable_domain(target):
            return 1  # a syntax problem, reported with the record's problems
        try:
            if term.name in ("include", "redirect"):
                return 1 + await self._branch(hit, term, target, path)
            if term.name == "a":
                await self._a(hit, term, target)
            elif term.name == "mx":
                await self._mx(hit, term, target)
        except LookupFailed as exc:
            if term.name in ("a", "mx") and await cname_loops(self.dns, exc.name):
                # RFC 7208 5.5: receivers skip a name whose CNAME chain loops
                self.result.voids.append(
                    Hit(domain=domain, term=term.text, via=via, detail=f"{exc.name}: CNAME loop")
                )
                return 1
            self.result.failures.append(
                Hit(
                    domain=domain,
                    term=term.text,
                    via=via,
                    detail=f"{exc.rdtype} {exc.name}: {exc.reason}",
                )
            )
        return 1

    async def _branch(self, hit: Hit, term: Term, target: str, path: tuple[str, ...]) -> int:
        if target in path:
            self.result.loops.append(
                Hit(
                    domain=hit.domain,
                    term=hit.term,
                    via=hit.via,
                    detail=" -> ".join((*path, target)),
                )
            )
            return 0
        if len(path) > MAX_DEPTH or self.fetched >= MAX_RECORDS:
            self.result.truncated = True
            return 0
        self.fetched += 1
        found = await fetch_spf(self.dns, target)
        if found.record is None:
            self._no_record(hit, found)
            return 0
        record = parse_record(found.record)
        self.result.records[target] = record.text
        self.result.problems += [(target, p) for p in record.problems]
        via = (*hit.via, term.text)
        terms = _dns_terms(record)
        costs = await asyncio.gather(*(self.term(target, t, via, (*path, target)) for t in terms))
        add_networks(self.result, record, via)
        self.result.include_costs.append((hit, 1 + sum(costs)))
        return sum(costs)

    def _no_record(self, hit: Hit, found: Found) -> None:
        if found.records:
            self.result.several_records.append(hit)
            return
        self.result.no_record.append(hit)
        if not found.answer.records:
            self.result.voids.append(_void(hit, found.answer))

    async def _a(self, hit: Hit, term: Term, target: str) -> None:
        answers = await asyncio.gather(self.dns.query(target, "A"), self.dns.query(target, "AAAA"))
        addresses = [value for answer in answers for value in answer.values()]
        if not addresses:
            self.result.voids.append(_void(hit, answers[0]))
        self._add_addresses(hit, term, addresses)

    async def _mx(self, hit: Hit, term: Term, target: str) -> None:
        answer = await self.dns.query(target, "MX")
        if not answer.records:
            self.result.voids.append(_void(hit, answer))
            return
        if len(answer.records) > MAX_MX_HOSTS:
            self.result.big_mx.append(
                Hit(
                    domain=hit.domain,
                    term=hit.term,
                    via=hit.via,
                    detail=f"{len(answer.records)} MX hosts",
                )
            )
        ordered = sorted(answer.records, key=lambda r: r.preference)[:MAX_MX_HOSTS]
        hosts = [normalize_name(str(r.exchange)) for r in ordered]
        found = await asyncio.gather(*(self.dns.addresses(h) for h in hosts if h))
        self._add_addresses(hit, term, [a for addresses in found for a in addresses])

    def _add_addresses(self, hit: Hit, term: Term, addresses: list[str]) -> None:
        if term.qualifier != "+":
            return
        for address in addresses:
            version = ipaddress.ip_address(address).version
            prefix = term.cidr4 if version == 4 else term.cidr6
            network = _network(address, prefix)
            if network:
                self.result.networks.append(Network(network=network, via=hit.via, term=term.text))


def add_networks(result: Walk, record: SpfRecord, via: tuple[str, ...]) -> None:
    """The ip4/ip6 ranges a record authorizes (qualifier '+'), with the chain `via`."""
    for term in record.mechanisms:
        if term.name in ("ip4", "ip6") and term.qualifier == "+":
            network = _network(term.value, term.cidr4)
            if network:
                result.networks.append(Network(network=network, via=via, term=term.text))


def _network(address: str, prefix: int | None) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
        length = ip.max_prefixlen if prefix is None else prefix
        return str(ipaddress.ip_network(f"{ip}/{length}", strict=False))
    except ValueError:
        return None


def _void(hit: Hit, answer: Answer) -> Hit:
    outcome = "NXDOMAIN" if answer.nxdomain else "no records (NODATA)"
    return Hit(domain=hit.domain, term=hit.term, via=hit.via, detail=f"{answer.name}: {outcome}")
