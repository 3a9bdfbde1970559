"""DKIM keys of the From domain (and the envelope-sender domain): found, parsed, judged.

A selector cannot be listed from DNS, so this check probes, side by side, the
selectors given with `--selector`, those of the sender profile, and a built-in list
of the names providers use by default. Finding none is `unknown`, never "DKIM
missing": the domain may sign with a selector nobody can guess. Each key found is
parsed (dkimpy): type, RSA size (Gmail does not accept keys under 1024 bits),
testing mode, revocation, sha1-only, unknown tags, and CNAME delegation to a provider.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import Any

from deliverability.change import Action, Change, txt_value
from deliverability.checks.dkim.key import DkimKey, parse_key
from deliverability.checks.dkim.selectors import BUILT_IN_SELECTORS, provider_of
from deliverability.context import Context
from deliverability.finding import Finding, Severity
from deliverability.lean import dataclass
from deliverability.net.dns import Answer, LookupFailed

NAME = "dkim"
CODES = {
    "dkim.ok": "A usable DKIM key is published at this selector",
    "dkim.no-selector-found": "No key found at any selector tried (selectors cannot be listed)",
    "dkim.selector-missing": "A selector you named has no key record",
    "dkim.delegation-broken": "The selector is a CNAME to a provider, but no key is there",
    "dkim.delegated": "The selector is delegated (CNAME) to a provider",
    "dkim.malformed": "The key record cannot be used (syntax, version, key data, key type)",
    "dkim.revoked": "The key is revoked (empty p=)",
    "dkim.key-too-small": "RSA key under 1024 bits: receivers (Gmail) reject its signatures",
    "dkim.key-weak": "RSA key under 2048 bits",
    "dkim.testing": "t=y: the domain says it is testing DKIM",
    "dkim.sha1-only": "h= allows only sha1, which receivers no longer accept",
    "dkim.not-for-email": "s= excludes email: the key does not sign mail",
    "dkim.unknown-tag": "A tag RFC 6376 does not define",
    "dkim.multiple-records": "Several TXT records at one selector",
    "dkim.ed25519-only": "Only ed25519 keys found; many receivers verify only RSA",
    "dkim.probe-failed": "A selector lookup failed",
}
_KEY_LIKE = re.compile(r"(^|;)\s*(v\s*=\s*DKIM1|k\s*=|p\s*=)", re.IGNORECASE)
MIN_BITS = 1024  # Gmail: shorter keys are not accepted; RFC 8301 3.2 requires 1024+
GOOD_BITS = 2048  # Google and M3AAWG recommend 2048


@dataclass(frozen=True, kw_only=True)
class Probe:
    """One `<selector>._domainkey.<domain>` question and its outcome."""

    selector: str
    domain: str
    named: bool  # given by --selector or the profile, not guessed
    answer: Answer | None = None
    failure: str | None = None
    alias: str | None = None  # where the selector's CNAME points

    @property
    def name(self) -> str:
        """The DNS name asked."""
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def texts(self) -> list[str]:
        """The TXT records that may be keys: for a guessed selector, only key-like ones
        (a wildcard TXT record of the domain would otherwise answer every guess)."""
        texts = self.answer.texts() if self.answer is not None else []
        return texts if self.named else [t for t in texts if _KEY_LIKE.search(t)]

    @property
    def found(self) -> bool:
        """A key record (or, for a named selector, any TXT record) answered."""
        return bool(self.texts)


async def run(ctx: Context) -> list[Finding]:
    """Probe every selector on each sending domain at once, then judge what answered."""
    named = list(dict.fromkeys([*ctx.target.selectors, *ctx.profile.dkim_selectors]))
    guesses = [s.name for s in BUILT_IN_SELECTORS if s.name not in named]
    delegated = {s.name for s in BUILT_IN_SELECTORS if s.delegated}
    domains = list(
        dict.fromkeys(
            [
                ctx.target.domain,
                ctx.target.mail_from_domain,
                *ctx.profile.dkim_domains,
            ]
        )
    )
    probes = await asyncio.gather(
        *(
            _probe(
                ctx,
                selector,
                domain,
                named=selector in named,
                follow=selector in named or selector in delegated,
            )
            for domain in domains
            for selector in [*named, *guesses]
        )
    )
    findings: list[Finding] = []
    ctx.data.update({"selectors": {}, "domains": []})
    # A named selector is missing when no probed domain has it (said once, for DOMAIN).
    found = {p.selector for p in probes if p.found}
    for probe in probes:
        findings += _judge_probe(ctx, probe, found)
    findings += _failures(probes)
    for domain in domains:
        findings += _domain_summary(ctx, domain, [p for p in probes if p.domain == domain])
    return findings


async def _probe(ctx: Context, selector: str, domain: str, *, named: bool, follow: bool) -> Probe:
    name = f"{selector}._domainkey.{domain}"
    try:
        answer = await ctx.dns.query(name, "TXT")
        alias = answer.cnames[-1] if answer.cnames else None
        if answer.nxdomain and follow:  # NXDOMAIN hides a CNAME whose target is missing
            alias = next(iter((await ctx.dns.query(name, "CNAME")).values()), None)
    except LookupFailed as exc:  # one selector failing says nothing about the others
        return Probe(selector=selector, domain=domain, named=named, failure=exc.reason)
    return Probe(selector=selector, domain=domain, named=named, answer=answer, alias=alias)


def _judge_probe(ctx: Context, probe: Probe, found: set[str]) -> list[Finding]:
    if probe.failure is not None or probe.answer is None:
        return []
    if not probe.found:
        missing = probe.named and probe.domain == ctx.target.domain and probe.selector not in found
        return _not_found(probe, missing=missing)
    keys = [parse_key(text) for text in probe.texts]
    usable = [k for k in keys if k.error is None]
    key = (usable or keys)[0]
    _record(ctx, probe, key)
    findings = [_key_finding(probe, k) for k in keys]
    findings += [f for k in keys if k.error is None for f in _key_details(probe, k)]
    if len(keys) > 1:
        findings.append(
            _finding(
                probe,
                "dkim.multiple-records",
                Severity.WARNING,
                f"{probe.name} has {len(keys)} TXT records; verifiers may pick either",
                (f"Keep one key record at {probe.name}.",),
            )
        )
    if probe.alias:
        findings.append(_delegated(probe))
    return findings


def _record(ctx: Context, probe: Probe, key: DkimKey) -> None:
    label = probe.selector if probe.domain == ctx.target.domain else probe.name
    target = probe.alias
    ctx.data["selectors"][label] = {
        "key_type": key.key_type or None,
        "bits": key.bits or None,
        "testing": key.testing,
        "revoked": key.revoked,
        "domain": probe.domain,
        "delegated_to": target,
        "valid": key.error is None,
    }
    if key.error is None and not key.revoked and probe.domain not in ctx.data["domains"]:
        ctx.data["domains"].append(probe.domain)


def _not_found(probe: Probe, *, missing: bool) -> list[Finding]:
    answer, target = probe.answer, probe.alias
    if target:
        provider = provider_of(target) or "another domain"
        return [
            _finding(
                probe,
                "dkim.delegation-broken",
                Severity.ERROR if probe.named else Severity.WARNING,
                f"{probe.name} points to {target} ({provider}), which has no key record",
                (
                    f"Enable DKIM signing for {probe.domain} at {provider} so it publishes the key at "
                    f"{target}, or delete the CNAME {probe.name}.",
                ),
                (f"{probe.name} CNAME {target}",),
            )
        ]
    if not missing:
        return []
    return [
        _finding(
            probe,
            "dkim.selector-missing",
            Severity.ERROR,
            f"No key record at {probe.name}: signatures with s={probe.selector} fail",
            (
                f'Publish {probe.name}. TXT "v=DKIM1; k=rsa; p=<base64 public key>" '
                "with the public key of the private key you sign with.",
            ),
            (f"{probe.name} TXT: {'NXDOMAIN' if answer and answer.nxdomain else 'no record'}",),
        )
    ]


def _key_finding(probe: Probe, key: DkimKey) -> Finding:
    if key.error is not None:
        return _finding(
            probe,
            "dkim.malformed",
            Severity.ERROR,
            f"The key record at {probe.name} cannot be used: {key.error}",
            (f'Publish {probe.name}. TXT "v=DKIM1; k=rsa; p=<base64 public key>" in place of it.',),
            key=key,
        )
    if key.revoked:
        return _finding(
            probe,
            "dkim.revoked",
            Severity.INFO,
            f"The key at {probe.name} is revoked (empty p=); signatures with it fail",
            (
                f"If you still sign with s={probe.selector}, publish its public key: "
                f'{probe.name}. TXT "v=DKIM1; k=rsa; p=<base64 public key>"',
            ),
            key=key,
        )
    if key.key_type == "rsa" and key.bits < MIN_BITS:
        return _new_key(
            probe,
            key,
            "dkim.key-too-small",
            Severity.ERROR,
            f"{key.bits}-bit RSA key at {probe.name}: Gmail and RFC 8301 require 1024 bits or more",
        )
    if key.key_type == "rsa" and key.bits < GOOD_BITS:
        return _new_key(
            probe,
            key,
            "dkim.key-weak",
            Severity.WARNING,
            f"{key.bits}-bit RSA key at {probe.name}: 2048 bits is recommended",
        )
    return _finding(
        probe,
        "dkim.ok",
        Severity.OK,
        f"{key.key_type} key of {key.bits} bits at {probe.name}",
        (),
        key=key,
    )


def _new_key(probe: Probe, key: DkimKey, code: str, severity: Severity, summary: str) -> Finding:
    return _finding(
        probe,
        code,
        severity,
        summary,
        _rotation(probe),
        key=key,
    )


def _rotation(probe: Probe) -> tuple[str, ...]:
    """How to get a stronger key: from the provider when the selector is delegated to one
    (the key is theirs), else a new key pair at a new selector."""
    if probe.alias:
        provider = provider_of(probe.alias) or f"the operator of {probe.alias}"
        return (
            f"{probe.name} is a CNAME to {probe.alias}: the key belongs to {provider}. Ask "
            f"{provider} to rotate it to a 2048-bit key (or enable their 2048-bit option); "
            "nothing changes in your zone.",
        )
    return (
        "Generate a 2048-bit RSA key pair and publish it at a new selector: "
        f'<new-selector>._domainkey.{probe.domain}. TXT "v=DKIM1; k=rsa; p=<base64 public key>"',
        f'Sign with the new selector, then revoke this one: {probe.name}. TXT "v=DKIM1; p="',
    )


def _key_details(probe: Probe, key: DkimKey) -> list[Finding]:
    flagged = []
    if key.testing:
        flagged.append(
            (
                "dkim.testing",
                Severity.WARNING,
                "t=y: the domain says it is testing DKIM; receivers may ignore failures",
                "t",
            )
        )
    if key.hashes == {"sha1"}:
        flagged.append(
            (
                "dkim.sha1-only",
                Severity.ERROR,
                "h=sha1 allows only sha1, which RFC 8301 forbids: sha256 signatures fail",
                "h",
            )
        )
    if not key.for_email:
        flagged.append(
            (
                "dkim.not-for-email",
                Severity.ERROR,
                f"s={key.tags.get('s')} excludes email: the key cannot verify mail",
                "s",
            )
        )
    for tag in key.unknown_tags:
        flagged.append(
            (
                "dkim.unknown-tag",
                Severity.INFO,
                f"{tag}= is not a DKIM key tag (RFC 6376 3.6.1); verifiers ignore it",
                tag,
            )
        )
    # one record drops every flagged tag, so following one finding never undoes another
    change = _without_tags(probe, key, {tag for *_rest, tag in flagged})
    return [
        _rewrite(probe, key, code, severity, summary, tag, change)
        for code, severity, summary, tag in flagged
    ]


def _without_tags(probe: Probe, key: DkimKey, tags: set[str]) -> Change | None:
    """The key record with `tags` dropped; None when the record is not in the domain's own
    zone (a CNAME to the provider: theirs to change)."""
    if not tags or probe.alias or probe.answer is None:
        return None
    kept = "; ".join(f"{name}={value}" for name, value in key.tags.items() if name not in tags)
    old = probe.answer.presentation_of(key.text) or txt_value(key.text)
    return Change(name=probe.name, type="TXT", action=Action.REPLACE, old=old, new=txt_value(kept))


def _rewrite(
    probe: Probe,
    key: DkimKey,
    code: str,
    severity: Severity,
    summary: str,
    tag: str,
    change: Change | None,
) -> Finding:
    if probe.alias:
        provider = provider_of(probe.alias) or f"the operator of {probe.alias}"
        step = (
            f"{probe.name} is a CNAME to {probe.alias}: the record is {provider}'s. Ask "
            f"{provider} to drop {tag}= from it; nothing changes in your zone."
        )
    else:
        step = f"Drop {tag}= from the key record."
    finding = _finding(probe, code, severity, summary, (step,), key=key, subject_tag=tag)
    return replace(finding, changes=(change,) if change else ())


def _delegated(probe: Probe) -> Finding:
    target = probe.alias or ""
    provider = provider_of(target) or f"the operator of {target}"
    return _finding(
        probe,
        "dkim.delegated",
        Severity.INFO,
        f"{probe.name} is delegated to {provider} (CNAME {target}); they manage and rotate the key",
        (f'To manage the key yourself, replace the CNAME with {probe.name}. TXT "v=DKIM1; ...".',),
        (f"{probe.name} CNAME {target}",),
    )


def _finding(
    probe: Probe,
    code: str,
    severity: Severity,
    summary: str,
    remediation: tuple[str, ...],
    evidence: tuple[str, ...] = (),
    key: DkimKey | None = None,
    subject_tag: str = "",
) -> Finding:
    if key is not None:
        evidence = (f"{probe.name} TXT {key.text}", *evidence)
    return Finding(
        code=code,
        severity=severity,
        subject=f"{probe.name} {subject_tag}".rstrip(),
        summary=summary,
        evidence=evidence,
        remediation=remediation,
        location=probe.answer.location if probe.answer else None,
    )


def _failures(probes: list[Probe]) -> list[Finding]:
    failed = [p for p in probes if p.failure is not None]
    findings = [
        Finding(
            code="dkim.probe-failed",
            severity=Severity.UNKNOWN,
            subject=p.name,
            summary=f"Could not look up {p.name}: {p.failure}",
            remediation=("Run again; if it persists, check the DNS servers of " + p.domain + ".",),
        )
        for p in failed
        if p.named
    ]
    guessed: dict[str, list[Probe]] = {}
    for p in failed:
        if not p.named:
            guessed.setdefault(p.domain, []).append(p)
    for domain, group in guessed.items():
        findings.append(
            Finding(
                code="dkim.probe-failed",
                severity=Severity.UNKNOWN,
                subject=f"{domain} built-in selectors",
                summary=f"{len(group)} built-in selector lookups for {domain} failed: {group[0].failure}",
                evidence=tuple(p.name for p in group),
                remediation=(
                    "Run again; if it persists, check the DNS servers of " + domain + ".",
                ),
            )
        )
    return findings


def _domain_summary(ctx: Context, domain: str, probes: list[Probe]) -> list[Finding]:
    keys: list[dict[str, Any]] = [
        v for v in ctx.data["selectors"].values() if v["domain"] == domain and v["valid"]
    ]
    named = any(p.named for p in probes)  # a named selector's own finding says it all
    answered = [p for p in probes if p.failure is None]
    if not answered:  # every lookup failed: dkim.probe-failed says so, nothing was "not found"
        return []
    if not any(p.found for p in probes) and domain == ctx.target.domain and not named:
        failed = len(probes) - len(answered)
        also = f" ({failed} more lookups failed)" if failed else ""
        return [
            Finding(
                code="dkim.no-selector-found",
                severity=Severity.UNKNOWN,
                subject=domain,
                summary=f"No DKIM key found at the {len(answered)} selectors tried for {domain}{also}. "
                "Selectors cannot be listed from DNS, so this does not mean DKIM is missing",
                remediation=(
                    "Find the selector in a message you sent: the s= value of its DKIM-Signature "
                    "header, then run again with --selector SELECTOR.",
                    f"If you do not sign yet, publish <selector>._domainkey.{domain}. TXT "
                    '"v=DKIM1; k=rsa; p=<base64 public key>" and sign with it.',
                ),
            )
        ]
    live = [k for k in keys if not k["revoked"]]
    if live and all(k["key_type"] == "ed25519" for k in live):
        return [
            Finding(
                code="dkim.ed25519-only",
                severity=Severity.INFO,
                subject=domain,
                summary=f"{domain} publishes only ed25519 keys; receivers that verify only RSA "
                "see no valid signature",
                remediation=(
                    f"Also sign with an RSA key: <selector>._domainkey.{domain}. TXT "
                    '"v=DKIM1; k=rsa; p=<base64 public key>"',
                ),
            )
        ]
    return []
