"""DMARC identifier alignment: does the From domain match the SPF and DKIM domains?

DMARC passes only when SPF or DKIM passes *for a domain aligned with the From
domain* (RFC 9989 4.4): the same domain (strict, `aspf=s` / `adkim=s`) or the same
Organizational Domain (relaxed, the default). The SPF domain is the envelope
sender's (`--mail-from`); the DKIM domains are those the dkim check found keys for.
Organizational domains come from the RFC 9989 DNS Tree Walk; RFC 7489 receivers
still use the Public Suffix List, so the check says when the two answers differ.
"""

from __future__ import annotations

import asyncio
from typing import Any

from deliverability.checks.dmarc.suffixes import public_suffix_list
from deliverability.checks.dmarc.tree import Walk, psl_organizational_domain, tree_walk
from deliverability.concurrency import sub_tasks
from deliverability.context import Context
from deliverability.finding import CheckResult, Finding, Severity

NAME = "alignment"
NEEDS = ("dkim",)
CODES = {
    "alignment.spf-aligned": "The envelope-sender (SPF) domain is aligned with From",
    "alignment.spf-not-aligned": "The envelope-sender (SPF) domain is not aligned with From",
    "alignment.dkim-aligned": "A DKIM domain found is aligned with From",
    "alignment.dkim-not-aligned": "A DKIM domain found is not aligned with From",
    "alignment.dkim-unknown": "DKIM alignment cannot be judged: no DKIM key was found",
    "alignment.none": "Neither SPF nor DKIM can align with From: DMARC fails",
    "alignment.orgdomain-differs": "The DNS Tree Walk and the Public Suffix List disagree",
}


async def run(ctx: Context) -> list[Finding]:
    """Compare From with the SPF domain and each DKIM domain, strict and relaxed."""
    from_domain, spf_domain = ctx.target.domain, ctx.target.mail_from_domain
    # Walk From and MAIL FROM and read the PSL while the dkim check is still probing.
    async with sub_tasks() as tasks:  # cancelled with the check (its time limit)
        early_walks = tasks.start(_walks(ctx, [from_domain, spf_domain]))
        early_psl = tasks.start(asyncio.to_thread(public_suffix_list))
        dkim = await ctx.result_of("dkim")
        walks, psl = await early_walks, await early_psl
    dkim_domains = list(dkim.data.get("domains", [])) if dkim is not None else None
    names = list(dict.fromkeys([from_domain, spf_domain, *(dkim_domains or [])]))
    walks.update(await _walks(ctx, [n for n in names if n not in walks]))
    orgs = {n: (walks[n].organizational_domain, psl_organizational_domain(n, psl)) for n in names}
    modes = _modes(walks[from_domain])
    spf = _compare(from_domain, spf_domain, orgs, modes["spf"])
    dkims = [_compare(from_domain, d, orgs, modes["dkim"]) for d in dkim_domains or []]
    ctx.data.update(
        {
            "from_domain": from_domain,
            "modes": modes,
            "organizational_domains": {n: {"tree_walk": t, "psl": p} for n, (t, p) in orgs.items()},
            "spf": spf,
            "dkim": dkims if dkim_domains is not None else None,
            "aligned": {
                "spf": spf["aligned"],
                "dkim": any(d["aligned"] for d in dkims) if dkims else None,
            },
        }
    )
    findings = [_spf_finding(spf, modes["spf"], walks[from_domain])]
    findings += [_dkim_finding(d, modes["dkim"], from_domain) for d in dkims]
    if not dkims:
        findings.append(_dkim_unknown(from_domain, dkim))
    elif not spf["aligned"] and not any(d["aligned"] for d in dkims):
        findings.append(_none(from_domain, spf_domain))
    verdicts_differ = any(c["relaxed"] != c["relaxed_psl"] for c in [spf, *dkims])
    findings += [_differs(n, t, p, verdicts_differ) for n, (t, p) in orgs.items() if t != p]
    return findings


async def _walks(ctx: Context, names: list[str]) -> dict[str, Walk]:
    names = list(dict.fromkeys(names))
    return dict(
        zip(names, await asyncio.gather(*(tree_walk(ctx.dns, n) for n in names)), strict=True)
    )


def _modes(walk: Walk) -> dict[str, str]:
    step = walk.policy_step
    record = step.record if step is not None else None
    if record is None:
        return {"spf": "r", "dkim": "r"}
    return {"spf": record.alignment_mode("aspf"), "dkim": record.alignment_mode("adkim")}


def _compare(
    from_domain: str, other: str, orgs: dict[str, tuple[str, str]], mode: str
) -> dict[str, Any]:
    strict = other == from_domain
    relaxed = orgs[other][0] == orgs[from_domain][0]
    return {
        "domain": other,
        "strict": strict,
        "relaxed": relaxed,
        "relaxed_psl": orgs[other][1] == orgs[from_domain][1],
        "aligned": strict if mode == "s" else relaxed,
    }


def _mode_name(mode: str) -> str:
    return "strict" if mode == "s" else "relaxed"


def _spf_finding(spf: dict[str, Any], mode: str, walk: Walk) -> Finding:
    domain = spf["domain"]
    subject = f"spf {domain}"
    evidence = (f"envelope sender domain {domain}", f"alignment mode: {_mode_name(mode)} (aspf)")
    if spf["aligned"]:
        return Finding(
            code="alignment.spf-aligned",
            severity=Severity.OK,
            subject=subject,
            summary=f"SPF domain {domain} is aligned with From ({_mode_name(mode)})",
            evidence=evidence,
        )
    step = walk.policy_step
    record = step.record if step is not None else None
    fix = (
        (
            f'Change the record to {step.name}. TXT "{record.rewritten("aspf", None)}" '
            "(relaxed alignment would pass).",
        )
        if spf["relaxed"] and step and record
        else (
            "Send with an envelope sender (Return-Path) under the From domain, e.g. "
            f"bounce@bounces.{walk.domain}, and publish its SPF record: "
            f'bounces.{walk.domain}. TXT "v=spf1 include:<your provider> -all" '
            "(your provider calls this a custom return path or custom MAIL FROM domain)",
        )
    )
    return Finding(
        code="alignment.spf-not-aligned",
        severity=Severity.WARNING,
        subject=subject,
        summary=f"SPF domain {domain} is not aligned with From ({_mode_name(mode)}): "
        "an SPF pass does not count for DMARC",
        evidence=evidence,
        remediation=fix,
    )


def _dkim_finding(entry: dict[str, Any], mode: str, from_domain: str) -> Finding:
    domain = entry["domain"]
    evidence = (f"DKIM key found for d={domain}", f"alignment mode: {_mode_name(mode)} (adkim)")
    if entry["aligned"]:
        return Finding(
            code="alignment.dkim-aligned",
            severity=Severity.OK,
            subject=f"dkim {domain}",
            summary=f"DKIM domain {domain} is aligned with From ({_mode_name(mode)})",
            evidence=evidence,
        )
    return Finding(
        code="alignment.dkim-not-aligned",
        severity=Severity.WARNING,
        subject=f"dkim {domain}",
        summary=f"DKIM domain {domain} is not aligned with From ({_mode_name(mode)})",
        evidence=evidence,
        remediation=(
            f"Sign with d={from_domain}: publish <selector>._domainkey.{from_domain}. TXT "
            '"v=DKIM1; k=rsa; p=<base64 public key>" and sign with that selector.',
        ),
    )


def _dkim_unknown(domain: str, dkim: CheckResult | None) -> Finding:
    failed = dkim is not None and any(f.code == "dkim.probe-failed" for f in dkim.findings)
    if dkim is None:
        why, severity = "the dkim check was not run", Severity.INFO
    elif failed:  # a lookup failure is not "no key": say we could not tell
        why, severity = "DKIM key lookups failed (see dkim.probe-failed)", Severity.UNKNOWN
    else:
        why, severity = "no DKIM key was found at the selectors tried", Severity.INFO
    return Finding(
        code="alignment.dkim-unknown",
        severity=severity,
        subject=f"dkim {domain}",
        summary=f"DKIM alignment of {domain} cannot be judged: {why}",
        remediation=("Run again with --selector SELECTOR (the s= of your DKIM-Signature header).",),
    )


def _none(from_domain: str, spf_domain: str) -> Finding:
    return Finding(
        code="alignment.none",
        severity=Severity.ERROR,
        subject=from_domain,
        summary=f"Neither the SPF domain {spf_domain} nor any DKIM domain found is aligned with "
        f"{from_domain}: DMARC fails for this mail",
        remediation=(
            f"Sign with d={from_domain}: publish <selector>._domainkey.{from_domain}. TXT "
            '"v=DKIM1; k=rsa; p=<base64 public key>"',
            f"Or send with an envelope sender under {from_domain} whose SPF record authorizes you.",
        ),
    )


def _differs(name: str, tree: str, psl: str, verdicts_differ: bool) -> Finding:
    return Finding(
        code="alignment.orgdomain-differs",
        severity=Severity.WARNING if verdicts_differ else Severity.INFO,
        subject=name,
        summary=f"Organizational domain of {name}: {tree} by the RFC 9989 Tree Walk, {psl} by "
        "the Public Suffix List (RFC 7489 receivers); alignment can differ between receivers",
        evidence=(f"tree walk: {tree}", f"public suffix list: {psl}"),
        remediation=(
            f'Publish a DMARC record at _dmarc.{psl}. TXT "v=DMARC1; p=none; psd=n" (psd=n marks '
            "the organizational domain for the Tree Walk), so both methods agree.",
        ),
    )
