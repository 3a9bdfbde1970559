"""The one DNS layer every check shares: async, single-flight cached, capped, traced.

    DnsClient.query(name, type)
      |-- zone overlay (--zone-file): names under a file's origin answered from it
      |-- offline and not in a zone: LookupFailed
      `-- dns.asyncresolver (UDP, TCP on truncation); a new try at each third of
          --timeout while earlier ones keep listening: any answer within it counts

Outcomes: an answer; NXDOMAIN and NODATA as empty answers that say which; or
`LookupFailed` (timeout, SERVFAIL, REFUSED, no resolver) whose message is shown to
users as the reason a finding is `unknown`. Each (name, type) is asked once per run:
concurrent askers await the same shielded task, so one check's timeout cannot
cancel a lookup another check is waiting for.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import logging
import time
from collections.abc import Awaitable, Sequence
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.reversename

from deliverability.finding import Location, TraceEntry
from deliverability.lean import dataclass
from deliverability.net import exchange, prefetch, reply
from deliverability.net.addresses import parse_resolver
from deliverability.net.rate import QueryRate
from deliverability.net.zones import Rcode, ZoneSet

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 5.0
# A full check's first wave is ~110 independent questions (DKIM selectors, blocklists):
# a cap below that queues the SPF include chain, the critical path, behind them.
DEFAULT_MAX_IN_FLIGHT = 128
HEDGED_TRIES = 3  # a try at 0, 1/3 and 2/3 of --timeout, each listening to the end


OFFLINE = "offline, and no --zone-file holds this name"  # the reason of an --offline miss
OFFLINE_FIX = "Not checked offline: run live, or give a --zone-file holding the names."


class LookupFailed(Exception):
    """A lookup gave no usable answer; `reason` is fit to show a user."""

    def __init__(self, name: str, rdtype: str, reason: str) -> None:
        super().__init__(f"{rdtype} lookup of {name} failed: {reason}")
        self.name = name
        self.rdtype = rdtype
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What DNS said about (name, type). Empty `records` means NXDOMAIN or NODATA."""

    name: str
    type: str
    records: tuple[Any, ...] = ()
    nxdomain: bool = False
    cnames: tuple[str, ...] = ()  # where each CNAME on the way pointed, in order
    location: Location | None = None  # where the records were written, for zone files

    @property
    def nodata(self) -> bool:
        """The name exists but has no records of this type."""
        return not self.records and not self.nxdomain

    def texts(self) -> list[str]:
        """TXT/SPF records, each one's strings joined with nothing between (RFC 7208 3.3)."""
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self.records]

    def presentation_of(self, text: str) -> str | None:
        """The zone-file form of the TXT record whose joined strings are `text` (its own
        string split kept, so a change can name the record exactly)."""
        for record, joined in zip(self.records, self.texts(), strict=True):
            if joined == text:
                return str(record.to_text())
        return None

    def values(self) -> list[str]:
        """Each record in presentation form, names without the trailing dot."""
        return [_presentation(r) for r in self.records]


def _presentation(rdata: Any) -> str:
    for attr in ("address", "target", "exchange"):
        value = getattr(rdata, attr, None)
        if value is not None:
            return str(value).rstrip(".") if attr != "address" else str(value)
    return rdata.to_text()


def normalize_name(name: str) -> str:
    """Lower case, no trailing dot: how names are cached, traced and shown."""
    return name.strip().rstrip(".").lower()


def reverse_name(ip: str) -> str:
    """The in-addr.arpa / ip6.arpa name for an IP address."""
    return normalize_name(dns.reversename.from_address(ip).to_text())


class DnsClient:
    """Answers DNS questions for one run; see the module docstring."""

    def __init__(
        self,
        *,
        nameservers: Sequence[str] = (),
        timeout: float = DEFAULT_TIMEOUT,
        zones: ZoneSet | None = None,
        offline: bool = False,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        secrets: Sequence[str] = (),
        max_cached: int | None = None,
        qps: float | None = None,
    ) -> None:
        self.zones = zones or ZoneSet()
        # Bulk runs: past this many answers the oldest finished ones are forgotten,
        # so memory stays flat however many targets share the cache. None: keep all.
        self.max_cached = max_cached
        self.offline = offline
        self.timeout = timeout
        self.secrets = tuple(s for s in secrets if s)
        self.trace: list[TraceEntry] = []
        self.queries = 0  # questions sent to a resolver (zone answers not counted)
        self.failed = 0  # of those, the ones no resolver answered (timeout, SERVFAIL, REFUSED)
        self.answered = 0  # and the ones it did (NXDOMAIN included); the rest were cut short
        self._nameservers = list(nameservers)
        self._resolver: dns.asyncresolver.Resolver | None = None
        self._tasks: dict[tuple[str, str], asyncio.Task[Answer]] = {}
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._rate = QueryRate(qps) if qps else None  # --qps; views share it

    def view(self) -> DnsClient:
        """A client sharing this one's cache, resolver and cap, with its own trace and count.

        Bulk runs give each target a view: a (name, type) any target asked is asked
        once; each view traces and counts only the lookups it was first to ask.
        """
        if not self.offline:  # build the resolver once, for every view to share
            with contextlib.suppress(LookupFailed):
                self._get_resolver("", "")
        other = copy.copy(self)
        other.trace, other.queries, other.failed, other.answered = [], 0, 0, 0
        return other

    @property
    def resolver_names(self) -> tuple[str, ...]:
        """The resolvers asked, as given (--resolver) or as the system configures them."""
        if self._nameservers:
            return tuple(self._nameservers)
        if self._resolver is not None:
            return tuple(str(ns) for ns in self._resolver.nameservers)
        return ("the system resolver",)

    async def query(self, name: str, rdtype: str) -> Answer:
        """Ask once per run; every later or concurrent ask shares the first one's answer."""
        key = (normalize_name(name), rdtype.upper())
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(self._lookup_traced(*key))
            task.add_done_callback(_retrieved)
            self._tasks[key] = task
            if self.max_cached is not None and len(self._tasks) > self.max_cached:
                self._forget_oldest(len(self._tasks) - self.max_cached)
        elif task.done():  # answered before: nothing to wait for, nothing to shield
            return task.result()
        return await asyncio.shield(task)

    def _forget_oldest(self, count: int) -> None:
        """Drop up to `count` of the oldest finished answers (dicts keep insertion order)."""
        oldest = list(itertools.islice(self._tasks.items(), count))
        for key, task in oldest:
            if task.done():
                del self._tasks[key]

    async def txt(self, name: str) -> list[str]:
        """The TXT records of `name`, strings joined; [] for NXDOMAIN or NODATA."""
        return (await self.query(name, "TXT")).texts()

    async def addresses(self, name: str) -> list[str]:
        """A and AAAA of `name`, asked side by side; [] when it has neither."""
        answers = await asyncio.gather(self.query(name, "A"), self.query(name, "AAAA"))
        return [value for answer in answers for value in answer.values()]

    def redact(self, text: str) -> str:
        """`text` with every secret (a DNSBL access key) replaced."""
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>").replace(secret.lower(), "<redacted>")
        return text

    async def _lookup_traced(self, name: str, rdtype: str) -> Answer:
        started = time.perf_counter()
        try:
            qname = _absolute(name)
        except (dns.exception.DNSException, ValueError):  # IDNA, empty or long labels
            self._record(name, rdtype, "not a valid domain name", started, "input")
            raise LookupFailed(self.redact(name), rdtype, "not a valid domain name") from None
        in_zone = self.zones.covers(qname)
        source = "zone" if in_zone else "dns"
        try:
            answer = await self._lookup(name, qname, rdtype, in_zone)
        except LookupFailed as exc:
            reason: str | None = exc.reason
        else:
            reason = None
        if reason is not None:
            # Raised outside the except: the cached task keeps this one exception, not
            # the chain under it (the resolver's timeout, its traceback, every frame's
            # locals): against a resolver that drops questions that doubled a bulk run's
            # memory (docs/performance.md).
            self._record(name, rdtype, reason, started, source)
            raise LookupFailed(self.redact(name), rdtype, self.redact(reason))
        outcome = "nxdomain" if answer.nxdomain else "nodata" if not answer.records else "answer"
        self._record(name, rdtype, outcome, started, source)
        return answer

    def _record(self, name: str, rdtype: str, outcome: str, started: float, source: str) -> None:
        ms = round((time.perf_counter() - started) * 1000)
        entry = TraceEntry(name=self.redact(name), type=rdtype, outcome=outcome, ms=ms)
        self.trace.append(entry)
        log.debug("dns %s %s -> %s (%s, %d ms)", entry.name, rdtype, outcome, source, ms)

    async def _lookup(self, name: str, qname: dns.name.Name, rdtype: str, in_zone: bool) -> Answer:
        if not in_zone:
            return await self._from_network(name, qname, rdtype, ())
        found = self.zones.resolve(qname, dns.rdatatype.from_text(rdtype))
        if found.rcode == Rcode.SERVFAIL:
            raise LookupFailed(name, rdtype, "CNAME chain loops or is too long (zone file)")
        wanted = dns.rdatatype.from_text(rdtype)
        cnames = tuple(
            normalize_name(r[0].target.to_text())
            for r in found.rrsets
            if r.rdtype == dns.rdatatype.CNAME and wanted != dns.rdatatype.CNAME
        )
        if found.continue_at is not None:  # an alias that leaves the zone files
            rest = await self.query(found.continue_at.to_text(), rdtype)
            return Answer(
                name=name,
                type=rdtype,
                records=rest.records,
                nxdomain=rest.nxdomain,
                cnames=cnames + rest.cnames,
                location=rest.location,
            )
        final = [r for r in found.rrsets if r.rdtype == wanted]
        return Answer(
            name=name,
            type=rdtype,
            records=tuple(final[0]) if final else (),
            nxdomain=found.rcode == Rcode.NXDOMAIN,
            cnames=cnames,
            location=found.location,
        )

    async def _from_network(
        self, name: str, qname: dns.name.Name, rdtype: str, cnames: tuple[str, ...]
    ) -> Answer:
        if self.offline:
            raise LookupFailed(name, rdtype, OFFLINE)
        resolver = self._get_resolver(name, rdtype)
        if self._rate is not None:  # before the lookup's own time starts
            await self._rate.wait()
        try:
            result = await self._counted(self._ask(resolver, name, qname, rdtype))
        except dns.resolver.NXDOMAIN:
            return Answer(name=name, type=rdtype, nxdomain=True, cnames=cnames)
        except dns.resolver.LifetimeTimeout:
            raise LookupFailed(name, rdtype, f"timed out after {self.timeout:g}s") from None
        except dns.resolver.NoNameservers as exc:
            raise LookupFailed(name, rdtype, _no_nameservers_reason(exc)) from None
        except dns.exception.DNSException as exc:
            raise LookupFailed(name, rdtype, " ".join(str(exc).split())) from None
        return _answer_from_resolver(name, rdtype, result)

    async def _ask(
        self, resolver: dns.asyncresolver.Resolver, name: str, qname: dns.name.Name, rdtype: str
    ) -> reply.Reply:
        """The answer the console script prefetched (net/prefetch.py) when it is usable,
        else the resolver's."""
        early = prefetch.take(self._nameservers, name, rdtype)
        if early is not None:
            self.queries += 1  # it was sent, whether or not its answer is used
            wire = None
            with contextlib.suppress(TimeoutError):  # the thread gives up at a third of it
                wire = await asyncio.wait_for(asyncio.wrap_future(early), self.timeout)
            if wire is not None and prefetch.usable(wire):
                try:
                    return _answer_from_wire(qname, rdtype, wire)
                except dns.resolver.NXDOMAIN:
                    raise  # an answer like any other (a DNSException, not a malformed one)
                except (dns.exception.DNSException, ValueError):
                    pass  # malformed: asked again below
        return await self._hedged(resolver, qname, rdtype)

    async def _hedged(
        self, resolver: dns.asyncresolver.Resolver, qname: dns.name.Name, rdtype: str
    ) -> reply.Reply:
        """Ask, and ask again at each third of --timeout while no answer came, keeping
        every earlier try listening: an answer arriving any time within --timeout is
        used (a slow resolver), and one dropped packet costs a third, not a failure."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        tries: list[asyncio.Task[reply.Reply]] = []
        try:
            for attempt in range(HEDGED_TRIES):
                try_ = self._try(resolver, qname, rdtype, deadline, paced=attempt > 0)
                tries.append(asyncio.ensure_future(try_))
                tries[-1].add_done_callback(_retrieved)  # the tries not picked, too
                last = attempt == HEDGED_TRIES - 1
                wait = deadline - loop.time() if last else self.timeout / HEDGED_TRIES
                done, _ = await asyncio.wait(tries, timeout=wait, return_when="FIRST_COMPLETED")
                if done:
                    return done.pop().result()
            raise dns.resolver.LifetimeTimeout(timeout=self.timeout, errors=[])
        finally:
            for task in tries:
                task.cancel()

    async def _try(
        self,
        resolver: dns.asyncresolver.Resolver,
        qname: dns.name.Name,
        rdtype: str,
        deadline: float,
        *,
        paced: bool,
    ) -> reply.Reply:
        """One question to the resolver; each try holds an in-flight slot of its own until
        the next try is due, then listens on without it: a resolver that drops questions
        fills the slots for a third of --timeout at most, never the healthy lookups' turn.
        A retry (`paced`) keeps to --qps like any query (the first waited before)."""
        if paced and self._rate is not None:
            await self._rate.wait()
        loop = asyncio.get_running_loop()
        await self._in_flight.acquire()
        released = False

        def free() -> None:  # once: by the timer or at the end, whichever comes first
            nonlocal released
            if not released:
                released = True
                self._in_flight.release()

        timer = loop.call_later(self.timeout / HEDGED_TRIES, free)
        try:
            lifetime = deadline - loop.time()
            if lifetime <= 0:
                raise dns.resolver.LifetimeTimeout(timeout=self.timeout, errors=[])
            self.queries += 1
            servers = _plain_servers(resolver)
            if servers is None:  # DNS over HTTPS: dnspython's own path
                answer = await resolver.resolve(
                    qname, rdtype, search=False, raise_on_no_answer=False, lifetime=lifetime
                )
                return reply.from_answer(answer)
            return await exchange.ask(servers, qname, rdtype, lifetime)
        finally:
            timer.cancel()
            free()

    async def _counted(self, lookup: Awaitable[reply.Reply]) -> reply.Reply:
        """A lookup's outcome, counted in `answered` (NXDOMAIN too) or, with no answer, `failed`."""
        try:
            answer = await lookup
        except dns.resolver.NXDOMAIN:
            self.answered += 1
            raise
        except dns.exception.DNSException:
            self.failed += 1
            raise
        self.answered += 1
        return answer

    def _get_resolver(self, name: str, rdtype: str) -> dns.asyncresolver.Resolver:
        if self._resolver is None:
            self._resolver = build_resolver(self._nameservers, self.timeout, name, rdtype)
        return self._resolver


def _plain_servers(resolver: dns.asyncresolver.Resolver) -> list[exchange.Server] | None:
    """The resolver's (address, port)s when all are plain DNS; None with DNS over HTTPS."""
    servers = []
    for server in resolver.nameservers:
        if isinstance(server, str):
            servers.append((server, resolver.nameserver_ports.get(server, resolver.port)))
        elif isinstance(server, dns.nameserver.Do53Nameserver):
            servers.append((server.address, server.port))
        else:
            return None
    return servers


def _retrieved(task: asyncio.Future[Any]) -> None:
    """Mark a lookup's failure as seen: its askers may all have gone (a check that
    finished or timed out), and asyncio would then print 'Task exception was never
    retrieved' with a traceback. Askers still awaiting it get the failure as usual."""
    if not task.cancelled():
        task.exception()


def _absolute(name: str) -> dns.name.Name:
    """`name` as dns.name.from_text reads it, absolute. A plain ASCII name is split
    here: from_text reads ASCII one byte at a time, a tenth of a lookup's own CPU."""
    text = normalize_name(name)
    if text.isascii() and "\\" not in text:
        labels = text.encode().split(b".")
        if all(labels):
            return dns.name.Name([*labels, b""])  # checks label and name lengths
    return dns.name.from_text(text + ".")


def _answer_from_wire(qname: dns.name.Name, rdtype: str, wire: bytes) -> reply.Reply:
    """A prefetched response read as an answer of our own: NXDOMAIN raised; a
    DNSException when it is malformed or its CNAME chain cannot be followed."""
    answer = reply.read(wire, qname, rdtype)
    if answer.rcode == dns.rcode.NXDOMAIN:
        raise dns.resolver.NXDOMAIN(qnames=[qname])
    if answer.problem is not None:
        raise answer.problem
    return answer


def _answer_from_resolver(name: str, rdtype: str, result: reply.Reply) -> Answer:
    cnames = tuple(normalize_name(target.to_text()) for target in result.aliases)
    return Answer(name=name, type=rdtype, records=result.records, cnames=cnames)


def _no_nameservers_reason(exc: dns.resolver.NoNameservers) -> str:
    """Say what the resolvers answered: SERVFAIL, REFUSED, or could not be reached."""
    errors = exc.kwargs.get("errors") or []
    reasons = []
    for error in errors:
        what = error[3]
        if isinstance(what, str):
            reasons.append(f"the resolver answered {what}")
        elif isinstance(what, ConnectionRefusedError):
            reasons.append(f"the resolver at {error[0]} refused the connection")
        elif isinstance(what, dns.message.Truncated):
            continue
        else:
            reasons.append(" ".join(str(what).split()) or type(what).__name__)
    return "; ".join(dict.fromkeys(reasons)) or "no resolver answered"


def build_resolver(
    nameservers: Sequence[str], timeout: float, name: str = "", rdtype: str = ""
) -> dns.asyncresolver.Resolver:
    """A dnspython resolver for `nameservers` (see parse_resolver), or the system's."""
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [_nameserver(spec) for spec in nameservers]
    else:
        try:
            resolver = dns.asyncresolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration:
            raise LookupFailed(
                name, rdtype, "no system resolver is configured; give --resolver"
            ) from None
    # Each try may wait the whole --timeout for its answer; DnsClient starts the
    # next try alongside it rather than giving it up (see DnsClient._hedged).
    resolver.lifetime = timeout
    resolver.timeout = timeout
    resolver.retry_servfail = False
    resolver.cache = None  # our own single-flight cache is the only one
    return resolver


def _nameserver(spec: str) -> dns.nameserver.Nameserver:
    if spec.startswith("https://"):
        return dns.nameserver.DoHNameserver(spec)
    host, port = parse_resolver(spec)
    return dns.nameserver.Do53Nameserver(host, port)
