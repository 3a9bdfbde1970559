"""DMARC computed from the message (RFC 7489 3.1, 6.6; RFC 9989): alignment and result.

The From domain must align, relaxed (same organizational domain) or strict (the
same name), with a domain that passed: the SPF domain (the Return-Path, from the
receiver's own SPF result: we cannot re-run SPF for a connection we did not see)
or the d= of a DKIM signature we verified. The policy is p= at the domain's own
record, sp= for an existing subdomain under a parent's record and np= for a From
domain that does not exist (RFC 9989). A record with no valid p= and no rua= is no
policy (RFC 7489 6.6.3). With several From domains each is evaluated and the
strictest outcome stands (RFC 7489 6.6.1).
"""

from __future__ import annotations

from typing import Any

from deliverability.checks.dmarc.parse import DmarcRecord
from deliverability.checks.dmarc.suffixes import SuffixList
from deliverability.checks.dmarc.tree import psl_organizational_domain
from deliverability.checks.message.signatures import Signature
from deliverability.lean import dataclass


@dataclass(frozen=True, kw_only=True)
class Alignment:
    """Whether one authenticated domain aligns with the From domain."""

    domain: str
    relaxed: bool
    strict: bool

    def under(self, mode: str) -> bool:
        """Aligned under `mode`: "s" strict, "r" relaxed."""
        return self.strict if mode == "s" else self.relaxed


@dataclass(frozen=True, kw_only=True)
class DmarcOutcome:
    """Our DMARC result for the message and the policy that applies to it."""

    from_domain: str
    result: str  # pass, fail, none (no policy), unknown
    policy: str | None  # none, quarantine, reject; None when unknown or absent
    reason: str
    spf: Alignment | None
    dkim: tuple[Alignment, ...]
    adkim: str = "r"  # the policy's DKIM alignment mode (relaxed when no policy)


def align(from_domain: str, other: str, psl: SuffixList) -> Alignment:
    """Compare `other` with the From domain, both ways."""
    org_from = psl_organizational_domain(from_domain, psl)
    return Alignment(
        domain=other,
        relaxed=psl_organizational_domain(other, psl) == org_from,
        strict=other == from_domain,
    )


@dataclass(frozen=True, kw_only=True)
class FoundPolicy:
    """What the tree walk found for one From domain, and whether that domain exists."""

    record: DmarcRecord | None = None
    domain: str | None = None  # where the record was found
    failure: str | None = None  # why the walk could not finish
    exists: bool = True  # False: NXDOMAIN for the From domain itself

    @property
    def usable(self) -> DmarcRecord | None:
        """The record, when a receiver applies it at all (RFC 7489 6.6.3, RFC 9989 4.7)."""
        return self.record if self.record is not None and self.record.usable else None


def applicable_policy(from_domain: str, found: FoundPolicy) -> str | None:
    """p= for the domain's own record; sp= for a parent's, np= if the domain does not exist."""
    record = found.usable
    if record is None:
        return None
    if found.domain == from_domain:
        policy = record.policy
    else:
        policy = record.subdomain_policy if found.exists else record.nonexistent_policy
    return policy.value if policy is not None else None


_RESULT_RANK = {"pass": 0, "none": 1, "unknown": 2, "fail": 3}
_POLICY_RANK = {None: 0, "none": 0, "quarantine": 1, "reject": 2}


def strictest(outcomes: list[DmarcOutcome]) -> DmarcOutcome:
    """The outcome a receiver acts on when From names several domains: the worst one."""
    return max(outcomes, key=lambda o: (_RESULT_RANK[o.result], _POLICY_RANK[o.policy]))


def evaluate(
    *,
    from_domain: str,
    spf_pass: bool,
    spf: Alignment | None,
    signatures: list[Signature],
    dkim: list[Alignment],
    found: FoundPolicy,
) -> DmarcOutcome:
    """Our verdict: pass on any aligned pass; otherwise fail, none or unknown (and why)."""
    record, lookup_failed = found.usable, found.failure
    aspf = record.alignment_mode("aspf") if record else "r"
    adkim = record.alignment_mode("adkim") if record else "r"
    policy = applicable_policy(from_domain, found)
    passing = [
        a for s, a in zip(signatures, dkim, strict=True) if s.result == "pass" and a.under(adkim)
    ]
    common: dict[str, Any] = {
        "from_domain": from_domain,
        "policy": policy,
        "spf": spf,
        "dkim": tuple(dkim),
        "adkim": adkim,
    }
    if spf_pass and spf is not None and spf.under(aspf):
        return DmarcOutcome(result="pass", reason=f"SPF passed for {spf.domain}, aligned", **common)
    if passing:
        return DmarcOutcome(
            result="pass", reason=f"DKIM passed for {passing[0].domain}, aligned", **common
        )
    if lookup_failed is not None:
        return DmarcOutcome(
            result="unknown", reason=f"the policy lookup failed: {lookup_failed}", **common
        )
    maybe = [
        s for s, a in zip(signatures, dkim, strict=True) if s.result == "unknown" and a.under(adkim)
    ]
    if maybe:
        return DmarcOutcome(
            result="unknown",
            reason=f"an aligned DKIM signature ({maybe[0].domain}) could not be "
            f"verified: {maybe[0].reason}",
            **common,
        )
    if record is None:
        return DmarcOutcome(result="none", reason=_no_policy(from_domain, found), **common)
    return DmarcOutcome(
        result="fail", reason="neither SPF nor DKIM passed with an aligned domain", **common
    )


def _no_policy(from_domain: str, found: FoundPolicy) -> str:
    if found.record is not None:
        return (
            f"the record at _dmarc.{found.domain} has no valid p= and no rua=, so "
            "receivers ignore it (RFC 7489 6.6.3)"
        )
    return f"{from_domain} publishes no DMARC policy"
