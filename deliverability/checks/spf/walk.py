"""Walk an SPF record the way a linter does: every include and redirect branch, concurrently, within a budget.

Independent of any sending IP, `walk()` follows include, redirect, a and mx terms
(each name fetched once through the shared DnsClient) and gathers what the spf check
reports: DNS-querying terms counted per RFC 7208 4.6.4 with the cost of each include,
void lookups naming their terms (an mx term's hosts without addresses included, as
receivers count them), loops, include targets without a record, mx with too many
hosts, ptr use, the authorized networks with the include chain they came from, and
the terms that cannot be flattened. A failed lookup marks only its own branch as
unresolved; the rest of the walk goes on.

The walk goes breadth first, one level of includes at a time (every lookup of a level
side by side), and visits at most TERM_BUDGET DNS-querying terms, in that order:
past the budget, terms are still counted from the text of the records already fetched
but not resolved (`Walk.truncated`, `Walk.unfollowed`), so a hostile record costs a
bounded number of queries and the same records always give the same report.
docs/limits.md gives the bound.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
from dataclasses import field

from deliverability.checks.spf.budget import OrderedBudget, Ticket
from deliverability.checks.spf.evaluate import cname_loops, is_checkable_domain
from deliverability.checks.spf.parse import Problem, SpfRecord, Term, is_spf_record, parse_record
from deliverability.concurrency import SubTasks, sub_tasks
from deliverability.lean import dataclass
from deliverability.net.dns import Answer, DnsClient, LookupFailed, normalize_name

MAX_MX_HOSTS = 10  # RFC 7208 4.6.4: per mx term
TERM_BUDGET = 20  # DNS-querying terms visited per walk: twice RFC 7208 4.6.4's ten
MX_HOST_BUDGET = 40  # MX hosts whose addresses are looked up, per walk
CNAME_PROBES = 4  # failed a/mx names checked for a CNAME loop (up to 16 queries each)
MAX_PROBLEMS = 5  # syntax problems kept per included record
MAX_NETWORKS = 500  # authorized networks kept per walk (real records list far fewer)


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

    lookups: int = 0  # DNS-querying terms in every record fetched; a floor if unfollowed
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
    truncated: bool = False  # the walk stopped at TERM_BUDGET or MX_HOST_BUDGET
    visited: int = 0  # DNS-querying terms resolved (or judged without a query)
    unvisited: int = 0  # counted from a record's text only, past TERM_BUDGET
    unfollowed: int = 0  # of those, includes and redirects: their own terms are unknown
    hosts_left_out: int = 0  # MX hosts not looked up past MX_HOST_BUDGET
    networks_left_out: int = 0  # authorized networks past MAX_NETWORKS


async def fetch_spf(dns: DnsClient, domain: str) -> Found:
    """The v=spf1 TXT records at `domain`; LookupFailed when the lookup fails."""
    answer = await dns.query(domain, "TXT")
    records = tuple(text for text in answer.texts() if is_spf_record(text))
    return Found(domain=domain, records=records, answer=answer)


async def walk(dns: DnsClient, domain: str, record: SpfRecord) -> Walk:
    """Walk `record` (published at `domain`) and everything it refers to."""
    result = Walk()
    result.records[domain] = record.text
    add_networks(result, record, ())  # the record's own ranges first
    walker = _Walker(dns=dns, result=result)
    level = walker.expand(_Branch(domain=domain, via=(), path=(domain,)), record)
    async with sub_tasks() as tasks:
        resolving: list[asyncio.Task[_Resolved]] = []
        while level:
            level = await walker.level(level, tasks, resolving)
        for resolved in await asyncio.gather(*resolving):  # merged in walking order
            resolved.merge_into(result)
    result.include_costs = list(zip(walker.includes, walker.costs, strict=True))
    _cap_networks(result)
    return result


def _cap_networks(result: Walk) -> None:
    """At most MAX_NETWORKS networks, the first in walking order: a name with thousands of
    A records must not make the report huge."""
    networks = list(dict.fromkeys(result.networks))
    result.networks = networks[:MAX_NETWORKS]
    result.networks_left_out = len(networks) - len(result.networks)
    result.truncated |= result.networks_left_out > 0


def _dns_terms(record: SpfRecord) -> list[Term]:
    terms = [t for t in record.mechanisms if t.queries_dns]
    redirect = record.redirect
    return terms + [redirect] if redirect is not None else terms


@dataclass(frozen=True, kw_only=True)
class _Branch:
    """A record on the walk: where it is, how it was reached, whose costs it adds to."""

    domain: str
    via: tuple[str, ...]  # the include/redirect terms that led here
    path: tuple[str, ...]  # the domains on the way, for loops
    top: str | None = None  # the top-level term it hangs from (None: the record itself)
    above: tuple[int, ...] = ()  # indexes into the walker's include costs


@dataclass(frozen=True, kw_only=True)
class _Visit:
    """One DNS-querying term, in the record at `at`."""

    at: _Branch
    term: Term

    @property
    def hit(self) -> Hit:
        return Hit(domain=self.at.domain, term=self.term.text, via=self.at.via)

    @property
    def target(self) -> str:
        # include and redirect need a domain-spec (RFC 7208 5.2, 6.1): none is a syntax
        # error, never the record's own domain
        if self.term.name in ("include", "redirect"):
            return normalize_name(self.term.value)
        return normalize_name(self.term.value or self.at.domain)


@dataclass(kw_only=True)
class _Resolved:
    """What one a or mx term gave, merged into the Walk in walking order."""

    voids: list[Hit] = field(default_factory=list)
    failure: Hit | None = None
    big_mx: Hit | None = None
    networks: list[Network] = field(default_factory=list)
    hosts_left_out: int = 0

    def merge_into(self, result: Walk) -> None:
        result.voids += self.voids
        result.failures += [self.failure] if self.failure else []
        result.big_mx += [self.big_mx] if self.big_mx else []
        result.networks += self.networks
        result.hosts_left_out += self.hosts_left_out
        result.truncated |= self.hosts_left_out > 0


@dataclass(kw_only=True)
class _Walker:
    dns: DnsClient
    result: Walk
    left: int = TERM_BUDGET
    includes: list[Hit] = field(default_factory=list)  # every include/redirect followed
    costs: list[int] = field(default_factory=list)  # the lookups of each, its subtree included
    hosts: OrderedBudget = field(default_factory=lambda: OrderedBudget(MX_HOST_BUDGET))
    probes: OrderedBudget = field(default_factory=lambda: OrderedBudget(CNAME_PROBES))

    def expand(self, at: _Branch, record: SpfRecord) -> list[_Visit]:
        """Count the DNS-querying terms of `record`; the ones the budget lets us visit."""
        terms = _dns_terms(record)
        self.result.lookups += len(terms)
        if at.top is None:
            for term in terms:
                self.result.breakdown[term.text] = self.result.breakdown.get(term.text, 0) + 1
        else:
            self.result.breakdown[at.top] += len(terms)
        for index in at.above:
            self.costs[index] += len(terms)
        visits = [_Visit(at=at, term=t) for t in terms[: self.left]]
        self.left -= len(visits)
        self._unvisited(terms[len(visits) :])
        return visits

    def _unvisited(self, terms: list[Term]) -> None:
        if terms:
            self.result.truncated = True
            self.result.unvisited += len(terms)
            self.result.unfollowed += sum(t.name in ("include", "redirect") for t in terms)

    async def level(
        self, visits: list[_Visit], tasks: SubTasks, resolving: list[asyncio.Task[_Resolved]]
    ) -> list[_Visit]:
        """Visit one level: start its a/mx lookups, fetch its records; the next level."""
        self.result.visited += len(visits)
        branches = []
        for visit in visits:
            if self._judged_from_text(visit):
                continue
            if visit.term.name in ("a", "mx"):
                hosts = self.hosts.ticket() if visit.term.name == "mx" else None
                resolving.append(tasks.start(self._resolve(visit, self.probes.ticket(), hosts)))
            elif visit.target in visit.at.path:
                self._loop(visit)
            else:
                branches.append(visit)
        found = await asyncio.gather(*(self._fetch(v.target) for v in branches))
        following: list[_Visit] = []
        for visit, answer in zip(branches, found, strict=True):  # in walking order
            if isinstance(answer, LookupFailed):
                detail = f"{answer.rdtype} {answer.name}: {answer.reason}"
                self.result.failures.append(_detailed(visit.hit, detail))
            elif answer.record is None:
                self._no_record(visit.hit, answer)
            else:
                following += self._follow(visit, parse_record(answer.record))
        return following

    def _judged_from_text(self, visit: _Visit) -> bool:
        term = visit.term
        if term.has_macro or term.name in ("exists", "ptr"):
            self.result.unflattenable.append(visit.hit)
            if term.name == "ptr":
                self.result.ptrs.append(visit.hit)
            return True
        return not is_checkable_domain(visit.target)  # a syntax problem, reported as one

    def _loop(self, visit: _Visit) -> None:
        detail = " -> ".join((*visit.at.path, visit.target))
        hit = visit.hit
        self.result.loops.append(Hit(domain=hit.domain, term=hit.term, via=hit.via, detail=detail))

    async def _fetch(self, target: str) -> Found | LookupFailed:
        try:
            return await fetch_spf(self.dns, target)
        except LookupFailed as exc:
            return exc

    def _follow(self, visit: _Visit, record: SpfRecord) -> list[_Visit]:
        target = visit.target
        self.result.records[target] = record.text
        self.result.problems += [(target, p) for p in record.problems[:MAX_PROBLEMS]]
        via = (*visit.at.via, visit.term.text)
        add_networks(self.result, record, via)
        self.includes.append(visit.hit)
        self.costs.append(1)
        at = visit.at
        branch = _Branch(
            domain=target,
            via=via,
            path=(*at.path, target),
            top=at.top or visit.term.text,
            above=(*at.above, len(self.costs) - 1),
        )
        return self.expand(branch, record)

    def _no_record(self, hit: Hit, found: Found) -> None:
        if found.records:
            self.result.several_records.append(hit)
            return
        self.result.no_record.append(hit)
        if not found.answer.records:
            self.result.voids.append(_void(hit, found.answer))

    async def _resolve(self, visit: _Visit, probe: Ticket, hosts: Ticket | None) -> _Resolved:
        try:
            if hosts is None:
                void, networks = await self._addresses(visit, visit.target)
                return _Resolved(voids=[void] if void else [], networks=networks)
            return await self._mx(visit, hosts)
        except LookupFailed as exc:
            # RFC 7208 5.5: receivers skip a name whose CNAME chain loops
            if await probe.claim(1) and await cname_loops(self.dns, exc.name):
                return _Resolved(voids=[_detailed(visit.hit, f"{exc.name}: CNAME loop")])
            detail = f"{exc.rdtype} {exc.name}: {exc.reason}"
            return _Resolved(failure=_detailed(visit.hit, detail))
        finally:
            probe.close()
            if hosts is not None:
                hosts.close()

    async def _addresses(self, visit: _Visit, name: str) -> tuple[Hit | None, list[Network]]:
        """A and AAAA of `name`: the void lookup if it has neither (RFC 7208 4.6.4), the networks."""
        answers = await asyncio.gather(self.dns.query(name, "A"), self.dns.query(name, "AAAA"))
        addresses = [value for answer in answers for value in answer.values()]
        void = None if addresses else _void(visit.hit, answers[0])
        return void, _networks(visit, addresses[: MAX_NETWORKS + 1])

    async def _mx(self, visit: _Visit, hosts: Ticket) -> _Resolved:
        answer = await self.dns.query(visit.target, "MX")
        if not answer.records:
            return _Resolved(voids=[_void(visit.hit, answer)])
        if len(answer.records) > MAX_MX_HOSTS:  # a receiver stops here: permerror
            return _Resolved(big_mx=_detailed(visit.hit, f"{len(answer.records)} MX hosts"))
        resolved = _Resolved()
        ordered = sorted(answer.records, key=lambda r: r.preference)
        names = [h for h in (normalize_name(str(r.exchange)) for r in ordered) if h]
        granted = await hosts.claim(len(names))
        resolved.hosts_left_out = len(names) - granted
        # each host's address lookup is one more that can be void (RFC 7208 4.6.4; pyspf)
        for void, networks in await asyncio.gather(
            *(self._addresses(visit, h) for h in names[:granted])
        ):
            resolved.voids += [void] if void else []
            resolved.networks += networks
        return resolved


def _networks(visit: _Visit, addresses: list[str]) -> list[Network]:
    term = visit.term
    if term.qualifier != "+":
        return []
    found = []
    for address in addresses:
        prefix = term.cidr4 if ipaddress.ip_address(address).version == 4 else term.cidr6
        network = _network(address, prefix)
        if network:
            found.append(Network(network=network, via=visit.at.via, term=term.text))
    return found


def add_networks(result: Walk, record: SpfRecord, via: tuple[str, ...]) -> None:
    """The ip4/ip6 ranges a record authorizes (qualifier '+'), with the chain `via`."""
    for term in record.mechanisms:
        if term.name in ("ip4", "ip6") and term.qualifier == "+":
            network = _network(term.value, term.cidr4)
            if network:
                result.networks.append(Network(network=network, via=via, term=term.text))


@functools.lru_cache(maxsize=16384)  # the providers' ranges recur in every domain of a bulk run
def _network(address: str, prefix: int | None) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
        length = ip.max_prefixlen if prefix is None else prefix
        return str(ipaddress.ip_network(f"{ip}/{length}", strict=False))
    except ValueError:
        return None


def _detailed(hit: Hit, detail: str) -> Hit:
    return Hit(domain=hit.domain, term=hit.term, via=hit.via, detail=detail)


def _void(hit: Hit, answer: Answer) -> Hit:
    outcome = "NXDOMAIN" if answer.nxdomain else "no records (NODATA)"
    return _detailed(hit, f"{answer.name}: {outcome}")
