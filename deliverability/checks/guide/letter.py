"""The guidance for one recipient domain (checks/guide/check.py says what it is): the
platform detected from its MX hosts and SPF includes, its steps filled in with the
sender's values, as findings. Imported only when a recipient is given.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import replace

from deliverability.checks.guide.platforms import (
    NONE,
    UNKNOWN,
    Catalog,
    Detection,
    Platform,
    detect_platform,
    load_catalog,
)
from deliverability.checks.guide.spf_ranges import includes_of
from deliverability.checks.guide.values import (
    Conversion,
    SenderValues,
    collect_sender,
    steps_for,
    values_for,
)
from deliverability.context import Context
from deliverability.finding import Finding, Severity
from deliverability.net.dns import Answer, LookupFailed
from deliverability.profile import PlaybookItem, SenderProfile


async def guidance(ctx: Context, recipient: str, sender_checks: tuple[str, ...]) -> list[Finding]:
    """Detect the recipient's platform and write its steps with the sender's values;
    `sender_checks` (the check's NEEDS) judge the sender's own authentication."""
    catalog = load_catalog()
    (detection, failure), sender = await asyncio.gather(
        _detect(ctx, catalog, recipient), collect_sender(ctx.dns, sender_profile(ctx))
    )
    platforms = [catalog.platforms[p] for p in detection.hops] or [catalog.generic]
    if detection.platform == NONE:
        platforms = []
    values, conversions = values_for(sender, platforms)
    ctx.data.update(
        {"platform": detection.platform, "hops": list(detection.hops), "values": values}
    )
    findings = [_platform_finding(recipient, detection, failure, catalog)]
    findings += await _sender_auth(ctx, sender_checks)
    for index, platform in enumerate(platforms):
        steps = steps_for(
            platform, values, catalog, behind_gateway=index > 0, last=index == len(platforms) - 1
        )
        findings += _platform_findings(recipient, platform, steps)
    findings += [_conversion(c) for c in conversions]
    findings += _sender_findings(sender)
    findings.append(_confirm(recipient, platforms, catalog, sender_profile(ctx)))
    findings += [_playbook(item) for item in ctx.profile.playbook]
    return findings


def sender_profile(ctx: Context) -> SenderProfile:
    """The profile, with the command line's IPs added; without one, what the target says."""
    target = ctx.target
    flag_ips = tuple(ipaddress.ip_network(ip) for ip in target.ips)
    profile = ctx.profile
    if not ctx.options.get("sender_known", True):
        return SenderProfile(path="")
    if not profile.loaded:
        return_path = (target.mail_from_domain,) if target.mail_from_domain != target.domain else ()
        return SenderProfile(
            path="",
            from_domains=(target.domain,),
            return_path_domains=return_path,
            dkim_domains=(target.domain,),
            ips=flag_ips,
            ips_from_spf=True,
        )
    from_domains = tuple(dict.fromkeys((target.domain, *profile.from_domains)))
    return replace(
        profile, from_domains=from_domains, ips=tuple(dict.fromkeys(profile.ips + flag_ips))
    )


async def _detect(ctx: Context, catalog: Catalog, recipient: str) -> tuple[Detection, str | None]:
    """The detection, and why the MX lookup failed (None when it did not)."""
    try:
        answer, includes = await asyncio.gather(
            ctx.dns.query(recipient, "MX"), _spf_includes(ctx, recipient)
        )
        hosts = [(r.preference, str(r.exchange).rstrip(".").lower()) for r in answer.records]
        implicit = [] if hosts or answer.nxdomain else await ctx.dns.addresses(recipient)
    except LookupFailed as exc:
        return Detection(platform=UNKNOWN, hops=(), evidence=()), exc.reason
    if answer.nxdomain or any(host in ("", ".") for _, host in hosts):
        return Detection(platform=NONE, hops=(), evidence=_mx_evidence(recipient, answer)), None
    if not hosts and not implicit:
        return Detection(
            platform=NONE,
            hops=(),
            evidence=(f"{recipient} MX: no records", f"{recipient} A/AAAA: no records"),
        ), None
    hosts = hosts or [(0, recipient)]  # RFC 5321 5.1: no MX, so the domain itself (implicit MX)
    return detect_platform(catalog, hosts, includes), None


def _mx_evidence(recipient: str, answer: Answer) -> tuple[str, ...]:
    if answer.nxdomain:
        return (f"{recipient}: NXDOMAIN (the domain does not exist)",)
    return tuple(f"{recipient} MX {r.preference} {r.exchange}" for r in answer.records)


async def _spf_includes(ctx: Context, recipient: str) -> list[str]:
    try:
        return includes_of(await ctx.dns.txt(recipient))
    except LookupFailed:
        return []  # only the second signal: the MX hop is still known


def _platform_finding(
    recipient: str, detection: Detection, failure: str | None, catalog: Catalog
) -> Finding:
    if failure is not None:
        return Finding(
            code="guide.mx-failed",
            severity=Severity.UNKNOWN,
            subject=recipient,
            summary=f"Could not look up the MX records of {recipient}: {failure}; the guidance below is generic",
            remediation=("Run the guide again; if it persists, check --resolver and --timeout.",),
        )
    if detection.platform == NONE:
        return Finding(
            code="guide.no-mail",
            severity=Severity.ERROR,
            subject=recipient,
            summary=f"{recipient} accepts no mail (no MX and no address, a null MX, or no such domain):"
            " no allowlist can help",
            evidence=detection.evidence,
            remediation=(
                f"Check the recipient's address: mail to @{recipient} cannot be delivered.",
            ),
        )
    if detection.platform == UNKNOWN:
        return Finding(
            code="guide.platform-unknown",
            severity=Severity.INFO,
            subject=recipient,
            summary=f"{recipient} receives mail through a platform we do not recognize; the steps are generic",
            evidence=detection.evidence,
        )
    names = [catalog.platforms[p].name for p in detection.hops]
    route = names[0] + "".join(f", which delivers to {n}" for n in names[1:])
    return Finding(
        code="guide.platform",
        severity=Severity.INFO,
        subject=recipient,
        summary=f"{recipient} receives mail through {route}",
        evidence=detection.evidence,
    )


def _platform_findings(recipient: str, platform: Platform, steps: list[str]) -> list[Finding]:
    subject = f"{recipient} {platform.id}"
    checked = f" (checked {platform.checked})" if platform.checked else ""
    found = [
        Finding(
            code="guide.steps",
            severity=Severity.INFO,
            subject=subject,
            summary=f"Steps in {platform.name}",
            evidence=tuple(f"Source: {url}{checked}" for url in platform.sources),
            remediation=tuple(steps),
        )
    ]
    if platform.caveats:
        found.append(
            Finding(
                code="guide.caveats",
                severity=Severity.INFO,
                subject=subject,
                summary=f"Limits of {platform.name}",
                evidence=platform.caveats,
            )
        )
    return found


def _conversion(conversion: Conversion) -> Finding:
    subject = f"{conversion.platform} {conversion.network}"
    if conversion.entries:
        return Finding(
            code="guide.converted",
            severity=Severity.INFO,
            subject=subject,
            summary=conversion.reason,
            evidence=conversion.entries,
        )
    return Finding(
        code="guide.not-accepted",
        severity=Severity.WARNING,
        subject=subject,
        summary=f"{conversion.network} cannot be entered: {conversion.reason}",
        remediation=(
            "Rely on the domain rule with authentication for mail from this range, or send"
            " from addresses the platform can take.",
        ),
    )


def _sender_findings(sender: SenderValues) -> list[Finding]:
    found = []
    if sender.empty:
        found.append(
            Finding(
                code="guide.no-values",
                severity=Severity.WARNING,
                subject="sender profile",
                summary="Nothing to allow: no sender domains or IP addresses are known",
                remediation=(
                    "Give the sender with --sender DOMAIN, or run `deliverability init` and"
                    " fill in deliverability.toml.",
                ),
            )
        )
    for failure in sender.spf.failures:
        domain, _, reason = failure.partition(": ")
        found.append(
            Finding(
                code="guide.spf-unknown",
                severity=Severity.UNKNOWN,
                subject=domain,
                summary=f"Could not read the SPF of {domain} ({reason}); its ranges are missing from the values",
                remediation=(
                    "Run the guide again; if it persists, list the ranges in the profile's ips.",
                ),
            )
        )
    for network, why in sender.refused.items():
        via = " > ".join(sender.spf_via.get(network, ()))
        found.append(
            Finding(
                code="guide.spf-range-refused",
                severity=Severity.WARNING,
                subject=f"sender SPF {network}",
                summary=f"The sender's SPF authorizes {network}, which {why}; it is not given to allow",
                evidence=(f"SPF of {via}",) if via else (),
                remediation=(
                    "Replace the range in the SPF record with the ranges the sender really"
                    " sends from, or list them in the profile's ips.",
                ),
            )
        )
    if sender.spf.unflattened:
        found.append(
            Finding(
                code="guide.spf-unflattened",
                severity=Severity.INFO,
                subject="sender SPF",
                summary="SPF terms that name no fixed ranges were left out of the values",
                evidence=tuple(sender.spf.unflattened),
                remediation=("List the addresses these terms stand for in the profile's ips.",),
            )
        )
    return found


async def _sender_auth(ctx: Context, sender_checks: tuple[str, ...]) -> list[Finding]:
    """Errors of the spf, dkim and dmarc checks (when they ran): allow rules that require
    authentication cannot match until these are fixed."""
    results = await asyncio.gather(*(ctx.result_of(name) for name in sender_checks))
    failing = [
        f for r in results if r is not None for f in r.findings if f.severity is Severity.ERROR
    ]
    if not failing:
        return []
    return [
        Finding(
            code="guide.sender-auth",
            severity=Severity.WARNING,
            subject=ctx.target.domain,
            summary=f"Fix first: {len(failing)} problem(s) with the sender's own authentication; an allow"
            " rule that requires authentication will not match until they are fixed",
            evidence=tuple(f"{f.code} on {f.subject}: {f.summary}" for f in failing),
            remediation=tuple(dict.fromkeys(step for f in failing for step in f.remediation[:1])),
        )
    ]


def _confirm(
    recipient: str, platforms: list[Platform], catalog: Catalog, profile: SenderProfile
) -> Finding:
    lines = [line for p in platforms for line in p.confirm] + list(catalog.out_of_band)
    if profile.support_contact:
        who = f"{profile.name} support" if profile.name else "the sender's support team"
        lines.append(
            f"If messages still do not arrive, send the message trace result to {who}"
            f" at {profile.support_contact}."
        )
    return Finding(
        code="guide.confirm",
        severity=Severity.INFO,
        subject=recipient,
        summary="How to confirm it worked",
        remediation=tuple(lines),
    )


def _playbook(item: PlaybookItem) -> Finding:
    return Finding(
        code="guide.playbook",
        severity=Severity.INFO,
        subject=item.title,
        summary=f"Check first in the sending application: {item.title}",
        remediation=item.steps,
    )
