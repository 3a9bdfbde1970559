"""The DKIM selectors aggregate reports show signing for a domain, for `check --selectors-from`.

The reports name every (d=, s=) a receiver checked; the ones whose d= is the domain,
a subdomain of it or a parent of it are the selectors worth probing.
"""

from __future__ import annotations

from collections.abc import Iterable

from deliverability.checks.dmarc_reports.reading import read_inputs

MAX_SELECTORS = 50  # a probe per selector: enough for any real sender


def related(signing_domain: str, domain: str) -> bool:
    """Whether a d= domain could align with `domain` (the same name, a child or a parent)."""
    a, b = signing_domain.rstrip(".").lower(), domain.rstrip(".").lower()
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def reported_selectors(paths: Iterable[str], domain: str) -> list[str]:
    """Selectors seen for `domain` in the reports under `paths`, most used first."""
    counts: dict[str, int] = {}
    for outcome in read_inputs(paths):
        for report in outcome.reports:
            for row in report.rows:
                for signature in row.dkim:
                    if signature.selector and related(signature.domain, domain):
                        counts[signature.selector] = counts.get(signature.selector, 0) + row.count
    return sorted(counts, key=lambda s: (-counts[s], s))[:MAX_SELECTORS]
