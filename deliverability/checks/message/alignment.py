"""DMARC computed from the message (RFC 7489 3.1, 6.6; RFC 9989): alignment and result.

The From domain must align, relaxed (same organizational domain) or strict (the
same name), with a domain that passed: the SPF domain (the Return-Path, from the
receiver's own SPF result: we cannot re-run SPF for a connection we did not see)
or the d= of a DKIM signature we verified.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from publicsuffixlist import PublicSuffixList

from deliverability.checks.dmarc.parse import DmarcRecord
from deliverability.checks.dmarc.tree import psl_organizational_domain
from deliverability.checks.message.signatures import Signature


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


def align(from_domain: str, other: str, psl: PublicSuffixList) -> Alignment:
    """Compare `other` with the From domain, both ways."""
    org_from = psl_organizational_domain(from_domain, psl)
    return Alignment(
        domain=other,
        relaxed=psl_organizational_domain(other, psl) == org_from,
        strict=other == from_domain,
    )


def applicable_policy(from_domain: str, policy_domain: str, record: DmarcRecord) -> str | None:
    """p= for the domain's own record, sp= (defaulting to p=) for a parent's."""
    policy = record.policy if policy_domain == from_domain else record.subdomain_policy
    return policy.value if policy is not None else None


def evaluate(
    *,
    from_domain: str,
    spf_pass: bool,
    spf: Alignment | None,
    signatures: list[Signature],
    dkim: list[Alignment],
    record: DmarcRecord | None,
    policy_domain: str | None,
    lookup_failed: str | None,
) -> DmarcOutcome:
    """Our verdict: pass on any aligned pass; otherwise fail, none or unknown (and why)."""
    aspf = record.alignment_mode("aspf") if record else "r"
    adkim = record.alignment_mode("adkim") if record else "r"
    policy = applicable_policy(from_domain, policy_domain or "", record) if record else None
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
        return DmarcOutcome(
            result="none", reason=f"{from_domain} publishes no DMARC policy", **common
        )
    return DmarcOutcome(
        result="fail", reason="neither SPF nor DKIM passed with an aligned domain", **common
    )
