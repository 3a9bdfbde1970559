"""The `a=` mark certificate as findings: fetched through the HTTPS layer, then validated.

Without checkdmarc (the `bimi` extra) the certificate is not validated, and the
finding says so and how to enable it. See deliverability/checks/bimi/certificate.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from deliverability.checks.bimi.certificate import (
    CONTENT_TYPES,
    INSTALL_HINT,
    MAX_CERTIFICATE_BYTES,
    CertificateVerdict,
    CheckdmarcMissing,
    validate,
)
from deliverability.context import Context
from deliverability.files import MAX_SMALL_FILE, read_user_text
from deliverability.finding import Finding, Severity, finding_with_fix
from deliverability.net.https import FetchFailed, FetchProblem, is_https_url

_FIX = (
    "Have the mark verifying authority (DigiCert, Entrust, GlobalSign, SSL.com) reissue the "
    "certificate for this domain with the logo published at l=, and publish its PEM chain "
    "at an https: URL in a=."
)


async def vmc_findings(
    ctx: Context, domain: str, org: str, url: str, logo: bytes | None, evidence: tuple[str, ...]
) -> list[Finding]:
    """Findings for the certificate at `url`; `logo` is the l= SVG when it was fetched."""
    if not is_https_url(url):
        return [
            finding_with_fix(
                "bimi.vmc-unavailable",
                Severity.WARNING,
                domain,
                f"The mark certificate URL {url} is not an https: URL",
                evidence,
            )
        ]
    try:
        fetched = await ctx.https.fetch(
            url, max_bytes=MAX_CERTIFICATE_BYTES, content_types=CONTENT_TYPES
        )
    except FetchFailed as exc:
        severity = Severity.UNKNOWN if exc.problem is FetchProblem.UNREACHABLE else Severity.WARNING
        return [
            finding_with_fix(
                "bimi.fetch-refused"
                if exc.problem is FetchProblem.REFUSED
                else "bimi.vmc-unavailable",
                severity,
                domain,
                f"The mark certificate could not be fetched: {exc.reason}",
                (*evidence, f"GET {url}: {exc.reason}"),
            )
        ]
    try:
        verdict = await asyncio.to_thread(
            validate,
            fetched.body,
            domain=domain,
            org_domain=org,
            logo=logo,
            roots=_roots(ctx),
        )
    except CheckdmarcMissing:
        return [_not_validated(domain, url, evidence)]
    return _verdict_findings(ctx, domain, url, verdict, evidence)


def _roots(ctx: Context) -> bytes | None:
    """The `mark_roots` option: a PEM file of roots to trust instead of the MVAs' own."""
    path = str(ctx.options.get("mark_roots") or "")
    return read_user_text(Path(path), "mark_roots file", MAX_SMALL_FILE).encode() if path else None


def _verdict_findings(
    ctx: Context, domain: str, url: str, verdict: CertificateVerdict, evidence: tuple[str, ...]
) -> list[Finding]:
    ctx.data["vmc"] = {
        **verdict.facts,
        "validated": True,
        "problems": [problem.value for problem, _ in verdict.problems],
    }
    if not verdict.problems:
        return [
            finding_with_fix(
                "bimi.vmc",
                Severity.INFO,
                domain,
                f"Mark certificate published and valid for {domain}: {url}",
                evidence,
            )
        ]
    return [
        finding_with_fix(
            f"bimi.vmc-{problem.value}",
            Severity.WARNING,
            domain,
            f"The mark certificate does not let providers show the logo: {reason}",
            (*evidence, f"a= {url}: {reason}"),
            _FIX,
        )
        for problem, reason in verdict.problems
    ]


def _not_validated(domain: str, url: str, evidence: tuple[str, ...]) -> Finding:
    return finding_with_fix(
        "bimi.vmc-not-validated",
        Severity.INFO,
        domain,
        f"Mark certificate published ({url}) but not validated: checkdmarc is not installed",
        evidence,
        f"Install the BIMI extra to validate it: {INSTALL_HINT}",
    )
