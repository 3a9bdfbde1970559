"""BIMI: will mailbox providers show the sender's logo next to its mail?

The `default._bimi` TXT record (`v=BIMI1; l=<SVG URL>; a=<mark certificate URL>`,
at the domain or else its organizational domain) names an SVG logo. Providers show
it only when DMARC is enforcing (p=quarantine with pct=100, or p=reject), the logo
is served over HTTPS as SVG Tiny Portable/Secure, and (Gmail, Apple Mail) a
Verified or Common Mark Certificate is published with `a=`.
"""

from __future__ import annotations

import asyncio

from deliverability.change import Change, sole_record, txt_value
from deliverability.checks.bimi.vmc import vmc_findings
from deliverability.checks.dmarc.parse import is_dmarc
from deliverability.context import Context
from deliverability.finding import Finding, Severity, finding_with_fix
from deliverability.net.https import FetchFailed, FetchProblem, is_https_url

NAME = "bimi"
MAX_LOGO_BYTES = 32 * 1024  # the BIMI group's recommended maximum for the SVG
_FETCH_CODES = {p: f"bimi.logo-{p.value}" for p in FetchProblem} | {
    FetchProblem.REFUSED: "bimi.fetch-refused"
}
CODES = {
    "bimi.ok": "BIMI record, enforcing DMARC and a valid SVG logo",
    "bimi.missing": "No BIMI record: no logo is shown",
    "bimi.declined": "The record declines BIMI (empty l= and a=)",
    "bimi.record-invalid": "The BIMI record is malformed",
    "bimi.dmarc-not-enforcing": "DMARC is not enforcing, so no provider shows the logo",
    "bimi.logo-not-https": "The logo URL is not an https: URL",
    "bimi.svg-not-tiny-ps": "The logo is not SVG Tiny Portable/Secure",
    "bimi.vmc": "A mark certificate (VMC or CMC) is published with a=",
    "bimi.no-vmc": "No mark certificate: Gmail and Apple Mail do not show the logo",
    "bimi.logo-no-address": "The logo host has no address",
    "bimi.logo-unreachable": "The logo could not be fetched (connection, timeout, DNS)",
    "bimi.logo-certificate": "The logo host's certificate is not valid for its name",
    "bimi.logo-redirect": "The logo URL redirects",
    "bimi.logo-http-status": "The logo URL does not answer 200",
    "bimi.logo-content-type": "The logo is not served as image/svg+xml",
    "bimi.logo-too-large": "The logo is larger than 32 KiB",
    "bimi.logo-invalid-url": "The logo URL is not a valid URL (control characters, no host)",
    "bimi.fetch-refused": "A BIMI URL names a non-public address or a port other than 443",
    "bimi.vmc-not-validated": "The mark certificate was not validated (checkdmarc not installed)",
    "bimi.vmc-unavailable": "The mark certificate could not be fetched",
    "bimi.vmc-unreadable": "The a= file is not a PEM certificate",
    "bimi.vmc-untrusted": "The mark certificate does not chain to a mark verifying authority",
    "bimi.vmc-expired": "The mark certificate has expired",
    "bimi.vmc-not-yet-valid": "The mark certificate is not valid yet",
    "bimi.vmc-wrong-domain": "The mark certificate does not cover the domain",
    "bimi.vmc-logo-mismatch": "The certificate's embedded logo is not the l= logo",
    "bimi.vmc-invalid": "The mark certificate breaks a VMC/CMC requirement",
}
DEFAULTS = {"mark_roots": ""}  # a PEM file of roots to trust instead of the MVAs' (tests)


def parse_record(record: str) -> dict[str, str]:
    """The record's tags; ValueError when it is not a BIMI1 record with an l= or a= tag."""
    parts = [p.strip() for p in record.split(";") if p.strip()]
    names = [k.strip().lower() for k, _, _ in (p.partition("=") for p in parts)]
    tags = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in parts)}
    if not parts or parts[0].replace(" ", "") != "v=BIMI1":
        raise ValueError("the record must start with v=BIMI1")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:  # RFC 6376 3.2 (BIMI's tag-list syntax): a repeated tag is an error
        raise ValueError(f"the tag {', '.join(f'{n}=' for n in repeated)} appears more than once")
    if "l" not in tags and "a" not in tags:
        raise ValueError("the record has neither l= (logo) nor a= (mark certificate)")
    return tags


def dmarc_enforcing(record: str | None, subdomain: bool) -> bool:
    """p (sp for a subdomain under its organization's record) is quarantine or reject, pct 100."""
    if record is None:
        return False
    tags = {
        k.strip().lower(): v.strip().lower()
        for k, _, v in (p.partition("=") for p in record.split(";") if p.strip())
    }
    policy = tags.get("sp", tags.get("p")) if subdomain else tags.get("p")
    return policy in ("quarantine", "reject") and tags.get("pct", "100") == "100"


async def run(ctx: Context) -> list[Finding]:
    """Find the record and the DMARC policy side by side, then fetch and check the logo."""
    domain = ctx.target.domain
    org = await asyncio.to_thread(_organizational, domain)  # the PSL parse stays off the loop
    names = [f"default._bimi.{domain}", f"_dmarc.{domain}", f"default._bimi.{org}", f"_dmarc.{org}"]
    found = await asyncio.gather(
        *(
            _records(ctx, n, p)
            for n, p in zip(names, ("v=BIMI1", "v=DMARC1", "v=BIMI1", "v=DMARC1"), strict=True)
        )
    )
    own, own_dmarc, org_bimi, org_dmarc = (r[0] if len(r) == 1 else None for r in found)
    record, record_name = (own, names[0]) if found[0] or org == domain else (org_bimi, names[2])
    record = record if len(found[0]) < 2 else " | ".join(found[0])
    dmarc = own_dmarc or (org_dmarc if org != domain else None)
    ctx.data.update(
        {
            "record": record,
            "record_name": record_name,
            "logo_url": None,
            "vmc_url": None,
            "dmarc_enforcing": False,
            "svg_problems": [],
        }
    )
    if record is None and len(found[0]) < 2:
        return [
            finding_with_fix(
                "bimi.missing",
                Severity.INFO,
                domain,
                f"{domain} publishes no BIMI record",
                (f"{names[0]} TXT: no v=BIMI1 record",),
                f'Publish {names[0]}. TXT "v=BIMI1; l=https://<host>/logo.svg; a=<VMC URL>"',
            )
        ]
    evidence = (f"{record_name} TXT {record}",)
    subdomain = not own_dmarc and org != domain
    try:
        if len(found[0]) > 1:
            raise ValueError(f"{len(found[0])} v=BIMI1 records; providers use none")
        tags = parse_record(record or "")  # None returned above
    except ValueError as exc:
        fix, changes = await _correction(ctx, domain, names[0], found[0], (dmarc, org, subdomain))
        return [
            finding_with_fix(
                "bimi.record-invalid",
                Severity.WARNING,
                domain,
                f"The BIMI record of {domain} is invalid: {exc}",
                evidence,
                fix,
                changes=changes,
            )
        ]
    return await _judge(ctx, domain, tags, evidence, dmarc, org=org, subdomain=subdomain)


def corrected_record(records: list[str]) -> str | None:
    """The one valid record that `records` clearly mean: identical copies, or a tag repeated
    with one value, collapsed; None when which value is meant is not clear."""
    parts = {tuple(p.strip() for p in r.split(";") if p.strip()) for r in records}
    if len(parts) != 1:
        return None
    tags: dict[str, str] = {}
    for part in next(iter(parts)):
        name, _, value = (s.strip() for s in part.partition("="))
        if tags.setdefault(name.lower(), value) != value:
            return None  # l= twice with two logos: only the owner knows which
    text = "; ".join(f"{name}={value}" for name, value in tags.items())
    try:
        parse_record(text)
    except ValueError:
        return None
    return text


async def _correction(
    ctx: Context, domain: str, name: str, records: list[str], policy: tuple[str | None, str, bool]
) -> tuple[str, tuple[Change, ...]]:
    """The corrected record at `name` as a change, and the advice (an edit at the domain's
    own name only: an organization's record is read by all its subdomains)."""
    corrected = corrected_record(records) if records else None
    if corrected is None:
        return (
            f"Publish exactly one record at {name}: v=BIMI1; l=<HTTPS URL of the SVG logo>; "
            "a=<mark certificate URL> (each tag once).",
            (),
        )
    answer = await ctx.dns.query(name, "TXT")
    olds = [answer.presentation_of(r) or txt_value(r) for r in sorted(records)]
    changes = sole_record(name, olds, txt_value(corrected))
    # fetch what the corrected record names now, so the re-check (remedy.py) can judge it
    saved = dict(ctx.data)
    dmarc, org, subdomain = policy
    await _judge(ctx, domain, parse_record(corrected), (), dmarc, org=org, subdomain=subdomain)
    ctx.data.clear()
    ctx.data.update(saved)
    return "Publish the record once, each tag once.", changes


async def _judge(
    ctx: Context,
    domain: str,
    tags: dict[str, str],
    evidence: tuple[str, ...],
    dmarc: str | None,
    *,
    org: str,
    subdomain: bool,
) -> list[Finding]:
    logo, vmc = tags.get("l", ""), tags.get("a", "")
    ctx.data.update({"logo_url": logo or None, "vmc_url": vmc or None})
    if not logo and not vmc:
        return [
            finding_with_fix(
                "bimi.declined",
                Severity.INFO,
                domain,
                f"{domain} declines BIMI (empty l= and a=)",
                evidence,
                "",
            )
        ]
    findings = [_dmarc_finding(ctx, domain, dmarc, subdomain)]
    logo_findings, body = await _logo_findings(ctx, domain, logo, evidence) if logo else ([], None)
    findings += logo_findings
    if vmc:
        findings += await vmc_findings(ctx, domain, org, vmc, body, evidence)
    else:
        findings.append(
            finding_with_fix(
                "bimi.no-vmc",
                Severity.INFO,
                domain,
                "No mark certificate (a=): Gmail and Apple Mail will not show the logo",
                evidence,
                "Obtain a Verified Mark Certificate (trademarked logo) or a "
                "Common Mark Certificate and publish its URL with a=.",
            )
        )
    kept: list[Finding] = [f for f in findings if f is not None]
    if not any(f.severity in (Severity.WARNING, Severity.UNKNOWN, Severity.ERROR) for f in kept):
        kept.insert(
            0,
            finding_with_fix(
                "bimi.ok",
                Severity.OK,
                domain,
                f"{domain} has a BIMI logo and an enforcing DMARC policy",
                evidence,
                "",
            ),
        )
    return kept


def _dmarc_finding(ctx: Context, domain: str, dmarc: str | None, subdomain: bool) -> Finding | None:
    enforcing = dmarc_enforcing(dmarc, subdomain)
    ctx.data["dmarc_enforcing"] = enforcing
    if enforcing:
        return None
    seen = f"DMARC: {dmarc}" if dmarc else "DMARC: no record"
    return finding_with_fix(
        "bimi.dmarc-not-enforcing",
        Severity.WARNING,
        domain,
        f"DMARC of {domain} is not enforcing; no provider shows a BIMI logo without it",
        (seen,),
        f"Move the DMARC policy of {domain} to enforcement: p=quarantine without t=y, or "
        "p=reject (the dmarc check's findings give the record; RFC 9989 has no pct=).",
    )


async def _logo_findings(
    ctx: Context, domain: str, logo: str, evidence: tuple[str, ...]
) -> tuple[list[Finding], bytes | None]:
    """Fetch and judge the logo: its findings, and its bytes for the certificate's check."""
    if not is_https_url(logo):
        return (
            [
                finding_with_fix(
                    "bimi.logo-not-https",
                    Severity.WARNING,
                    domain,
                    f"The BIMI logo URL {logo} is not an https: URL",
                    evidence,
                    f"Serve the SVG ({logo}) over HTTPS and publish that https: URL in l=.",
                )
            ],
            None,
        )
    try:
        fetched = await ctx.https.fetch(
            logo, max_bytes=MAX_LOGO_BYTES, content_types=("image/svg+xml",)
        )
    except FetchFailed as exc:
        severity = Severity.UNKNOWN if exc.problem is FetchProblem.UNREACHABLE else Severity.WARNING
        return (
            [
                finding_with_fix(
                    _FETCH_CODES[exc.problem],
                    severity,
                    domain,
                    f"The BIMI logo of {domain} could not be used: {exc.reason}",
                    evidence + (f"GET {logo}: {exc.reason}",),
                    f"Serve {logo} directly (no redirect) from a public address on port "
                    "443 with HTTP 200, Content-Type image/svg+xml, a valid certificate, "
                    "under 32 KiB.",
                )
            ],
            None,
        )
    # here: only a fetched logo needs the SVG reader (xml.etree) and the certificate code
    from deliverability.checks.bimi.certificate import CheckdmarcMissing, svg_requirements
    from deliverability.checks.bimi.svg import declares, svg_problems

    problems = svg_problems(fetched.body)
    ctx.data["svg_problems"] = problems
    # checkdmarc's SVG requirements beside our Tiny PS rules, when the extra is installed
    try:  # never hand checkdmarc's XML parser a document with declarations
        theirs = (
            []
            if declares(fetched.body)
            else await asyncio.to_thread(svg_requirements, fetched.body)
        )
    except CheckdmarcMissing:
        theirs = []
    ctx.data["svg_requirements"] = theirs
    problems = problems + [f"checkdmarc: {p}" for p in theirs]
    if not problems:
        return [], fetched.body
    return [
        finding_with_fix(
            "bimi.svg-not-tiny-ps",
            Severity.WARNING,
            domain,
            f"The BIMI logo is not SVG Tiny PS: {'; '.join(problems)}",
            evidence + tuple(f"SVG: {p}" for p in problems),
            'Export the logo as SVG Tiny 1.2 Portable/Secure: version="1.2" '
            'baseProfile="tiny-ps", a <title>, no scripts, images or external links.',
        )
    ], fetched.body


async def _records(ctx: Context, name: str, prefix: str) -> list[str]:
    if prefix == "v=DMARC1":  # RFC 7489 6.6.3: the DMARC check's rule, a leading space too
        return [r for r in await ctx.dns.txt(name) if is_dmarc(r)]
    return [r for r in await ctx.dns.txt(name) if r.replace(" ", "").startswith(prefix)]


def _organizational(domain: str) -> str:
    from deliverability.checks.dmarc.suffixes import public_suffix_list  # read once, shared

    return public_suffix_list().privatesuffix(domain) or domain
