"""Policy readiness: what p=quarantine / p=reject would do to the mail the reports show.

The messages from non-aligned sources are split by category. A step is called safe
only when every failing message comes from a `forwarded` or `unauthorized` source:
an `authorized-unaligned` one is your own mail that the step would junk or bounce.
"""

from __future__ import annotations

from dataclasses import field

from deliverability.checks.dmarc_reports.aggregate import Corpus, Domain
from deliverability.checks.dmarc_reports.model import Category
from deliverability.finding import Finding, Severity
from deliverability.lean import dataclass

NEXT_STEP = {None: "quarantine", "none": "quarantine", "quarantine": "reject", "reject": None}


@dataclass(frozen=True, kw_only=True)
class Readiness:
    """The failing messages of one policy domain by category, and whether tightening is safe."""

    domain: str
    p: str | None
    affected: dict[str, int] = field(default_factory=dict)

    @property
    def safe(self) -> bool:
        """No failing message comes from an authorized-unaligned source."""
        return self.affected.get(Category.AUTHORIZED_UNALIGNED.value, 0) == 0

    @property
    def next_step(self) -> str | None:
        """The policy to move to next, or None at p=reject."""
        return NEXT_STEP.get(self.p, "quarantine")

    def to_data(self) -> dict[str, object]:
        """The JSON form."""
        return {
            "p": self.p,
            "affected": self.affected,
            "next_step": self.next_step,
            "quarantine_safe": self.safe,
            "reject_safe": self.safe,
        }


def readiness(corpus: Corpus, domain: Domain) -> Readiness:
    """What tightening `domain`'s policy would affect: its sources' failing messages."""
    affected = {c.value: 0 for c in Category if c is not Category.ALIGNED}
    for source in corpus.sources.values():
        if _under(source.header_from, domain.name):
            for category, count in source.categories.items():
                if category is not Category.ALIGNED:
                    affected[category.value] += count
    return Readiness(domain=domain.name, p=domain.policy.p, affected=affected)


def _under(name: str, domain: str) -> bool:
    return name == domain or name.endswith("." + domain)


def finding(state: Readiness) -> Finding:
    """`dmarc-reports.readiness`: ok when the next step is safe (or p=reject is reached)."""
    failing = sum(state.affected.values())
    split = ", ".join(f"{name} {count}" for name, count in state.affected.items())
    evidence = (f"published: p={state.p or 'unknown'}", f"failing messages: {failing} ({split})")
    if state.next_step is None:
        return Finding(
            code="dmarc-reports.readiness",
            severity=Severity.OK,
            subject=state.domain,
            summary=f"p=reject is published for {state.domain}",
            evidence=evidence,
        )
    if state.safe:
        return Finding(
            code="dmarc-reports.readiness",
            severity=Severity.OK,
            subject=state.domain,
            summary=f"p={state.next_step} is safe for {state.domain}: the {failing} failing messages "
            "are forwarded or unauthorized",
            evidence=evidence,
            remediation=(
                f"Publish p={state.next_step} in _dmarc.{state.domain} and keep reading "
                "the reports for new sources.",
            ),
        )
    own = state.affected[Category.AUTHORIZED_UNALIGNED.value]
    return Finding(
        code="dmarc-reports.readiness",
        severity=Severity.WARNING,
        subject=state.domain,
        summary=f"p={state.next_step} is not yet safe for {state.domain}: {own} messages from "
        "authorized-unaligned senders (your own services) would be affected",
        evidence=evidence,
        remediation=(
            "Align the authorized-unaligned sources first (custom Return-Path or DKIM "
            "with d= your domain, see their findings), then tighten the policy.",
        ),
    )
