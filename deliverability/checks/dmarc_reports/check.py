"""What receivers saw: DMARC aggregate reports summarized, failing sources diagnosed.

Run by `deliverability dmarc-reports PATH...` only (never by `check`): the command
reads the reports into a Corpus and hands it over as this check's `corpus` option.
Every source (IP, From domain) gets a category: aligned, authorized-unaligned,
forwarded or unauthorized; each failing one is diagnosed against DNS as published
today (its SPF verdict, its DKIM keys, PTR/FCrDNS) with the exact fix, and each
policy domain gets its readiness for p=quarantine / p=reject. See docs/dmarc-reports.md.
"""

from __future__ import annotations

from deliverability.checks.dmarc_reports import data, findings
from deliverability.checks.dmarc_reports.aggregate import Corpus
from deliverability.checks.dmarc_reports.diagnose import look_up
from deliverability.checks.dmarc_reports.providers import load_catalog
from deliverability.checks.dmarc_reports.readiness import finding as readiness_finding
from deliverability.checks.dmarc_reports.readiness import readiness
from deliverability.context import Context
from deliverability.finding import Finding

NAME = "dmarc-reports"
CODES = {
    "dmarc-reports.summary": "A policy domain's reports: reporters, messages, pass rate, dispositions",
    "dmarc-reports.authorized-unaligned": "A service passes SPF or DKIM for its own domain, not for From",
    "dmarc-reports.forwarded": "Mail relayed by a forwarder or mailing list failed DMARC",
    "dmarc-reports.unauthorized": "A source passes neither SPF nor DKIM: a forgotten sender or spoofing",
    "dmarc-reports.spf-fixed": "SPF passes today for a source that failed in the reports",
    "dmarc-reports.dkim-key-missing": "A reported DKIM selector of the domain has no usable key today",
    "dmarc-reports.diagnosis-unknown": "A lookup needed to diagnose a source failed",
    "dmarc-reports.readiness": "Whether p=quarantine / p=reject is safe, from the failing sources",
    "dmarc-reports.selectors": "The DKIM selectors the reports show signing for the domain",
    "dmarc-reports.file-skipped": "An input is not a report or is broken beyond repair",
    "dmarc-reports.duplicates": "Reports received more than once, counted once",
    "dmarc-reports.no-reports": "No aggregate report was read",
}


async def run(ctx: Context) -> list[Finding]:
    """Summarize the corpus the command read, and diagnose its failing sources."""
    corpus: Corpus | None = ctx.options.get("corpus")
    if corpus is None:
        return []
    names, diagnoses = await look_up(ctx.dns, corpus, load_catalog())
    domains = [corpus.domains[name] for name in sorted(corpus.domains)]
    ready = [readiness(corpus, domain) for domain in domains]
    ctx.data.update(data.build(corpus, names, ready))
    found = findings.inputs(corpus)
    for domain, state in zip(domains, ready, strict=True):
        found += [
            findings.domain_summary(domain),
            readiness_finding(state),
            *findings.selectors(corpus, domain),
        ]
    for diagnosis in diagnoses:
        found += findings.source(diagnosis)
    return found
