"""Organizational domains: the RFC 9989 DNS Tree Walk, and the Public Suffix List answer.

RFC 9989 (DMARCbis) finds a domain's DMARC policy and its Organizational Domain by
walking up the DNS tree, asking `_dmarc.<name>` at each step:

    a.b.c.d.e.f.g.h.example.com  (x >= 8 labels: jump to 7, then one label at a time)
      -> _dmarc.a.b...  -> _dmarc.<7 labels> -> ... -> _dmarc.example.com -> _dmarc.com

RFC 7489 receivers, still common, use the Public Suffix List instead. The list
comes from the `publicsuffixlist` package, which bundles it: it is never fetched at
run time (suffixes.py reads it). `Walk.organizational_domain` and
`psl_organizational_domain()` give the two answers; a check says when they differ.
"""

from __future__ import annotations

import asyncio

from deliverability.checks.dmarc import names
from deliverability.checks.dmarc.parse import DmarcRecord, is_dmarc, parse_dmarc
from deliverability.checks.dmarc.suffixes import SuffixList
from deliverability.lean import dataclass
from deliverability.net.dns import Answer, DnsClient, LookupFailed, normalize_name


@dataclass(frozen=True, kw_only=True)
class Step:
    """One `_dmarc.<domain>` question of the walk and what it returned."""

    domain: str
    answer: Answer | None = None
    failure: str | None = None  # why the lookup failed, when it did

    @property
    def name(self) -> str:
        """The DNS name asked."""
        return f"_dmarc.{self.domain}"

    @property
    def texts(self) -> list[str]:
        """Every TXT record at the name."""
        return self.answer.texts() if self.answer is not None else []

    @property
    def dmarc_texts(self) -> list[str]:
        """The records that start with v=DMARC1."""
        return [text for text in self.texts if is_dmarc(text)]

    @property
    def record(self) -> DmarcRecord | None:
        """The step's record: exactly one DMARC record, else none (RFC 9989 4.10 step 2)."""
        found = self.dmarc_texts
        return parse_dmarc(found[0]) if len(found) == 1 else None


@dataclass(frozen=True, kw_only=True)
class Walk:
    """The steps of one Tree Walk, in order, up to where it stopped."""

    domain: str
    steps: tuple[Step, ...]

    @property
    def failure(self) -> Step | None:
        """The first step whose lookup failed: the walk could not see past it."""
        return next((s for s in self.steps if s.failure is not None), None)

    @property
    def found(self) -> list[Step]:
        """Steps with a single DMARC record, nearest the domain first."""
        return [s for s in self.steps if s.record is not None]

    @property
    def policy_step(self) -> Step | None:
        """Where the applicable record is: the domain's own, else the highest found."""
        found = self.found
        if found and found[0].domain == self.domain:
            return found[0]
        return found[-1] if found else None

    @property
    def organizational_domain(self) -> str:
        """RFC 9989 4.10.2: psd=n there; psd=y one label below; else fewest labels."""
        for step in self.found:
            record = step.record
            if record is not None and record.psd == "n":
                return step.domain
            if record is not None and record.psd == "y" and step.domain != self.domain:
                return _child_towards(self.domain, step.domain)
        found = self.found
        return found[-1].domain if found else self.domain


def walk_targets(domain: str) -> list[str]:
    """The domains whose `_dmarc` names the walk asks, in order (RFC 9989 4.10)."""
    return names.walk_targets(normalize_name(domain))


async def tree_walk(dns: DnsClient, domain: str) -> Walk:
    """Walk from `domain` to its TLD; the questions go out side by side (cached per run).

    The walk stops at a record with psd=y or psd=n (RFC 9989 4.10 steps 2 and 6);
    asking every name at once costs at most seven extra questions and keeps the
    walk to one round trip.
    """
    targets = walk_targets(domain)
    answers = await asyncio.gather(
        *(dns.query(f"_dmarc.{target}", "TXT") for target in targets), return_exceptions=True
    )
    steps: list[Step] = []
    for target, answer in zip(targets, answers, strict=True):
        if isinstance(answer, LookupFailed):
            steps.append(Step(domain=target, failure=answer.reason))
            break
        if isinstance(answer, BaseException):
            raise answer
        step = Step(domain=target, answer=answer)
        steps.append(step)
        if step.record is not None and step.record.psd in {"y", "n"}:
            break
    return Walk(domain=normalize_name(domain), steps=tuple(steps))


def _child_towards(domain: str, ancestor: str) -> str:
    """The name one label below `ancestor` on the way to `domain`."""
    labels = domain.split(".")
    depth = len(ancestor.split(".")) + 1
    return ".".join(labels[-depth:])


def psl_organizational_domain(domain: str, psl: SuffixList) -> str:
    """RFC 7489 3.2: the public suffix plus one label; the domain itself when it is a suffix."""
    name = normalize_name(domain)
    return psl.privatesuffix(name) or name
