"""Findings for the sources the reports show, each with the exact fix (docs/checks.md)."""

from __future__ import annotations

from deliverability.checks.dmarc_reports.aggregate import Corpus, Domain, Source
from deliverability.checks.dmarc_reports.diagnose import Diagnosis
from deliverability.checks.dmarc_reports.lookups import KeyToday, SpfToday
from deliverability.checks.dmarc_reports.model import Category
from deliverability.finding import Finding, Severity

_BROKEN_KEYS = ("missing", "revoked", "broken")


def source(diagnosis: Diagnosis) -> list[Finding]:
    """The findings for one failing source: its category's, a dead key's, an unknown lookup's."""
    category = diagnosis.source.failing_category
    main = {
        Category.FORWARDED: _forwarded,
        Category.AUTHORIZED_UNALIGNED: _unaligned,
    }.get(category or Category.UNAUTHORIZED, _unauthorized)(diagnosis)
    return [main, *_dead_keys(diagnosis), *_unknown(diagnosis)]


def _subject(s: Source) -> str:
    return f"{s.ip} as {s.header_from}"


def _evidence(d: Diagnosis) -> tuple[str, ...]:
    s, r = d.source, d.reverse
    ptr = (
        f"PTR {r.ptr} ({'forward-confirmed' if r.confirmed else 'not forward-confirmed'})"
        if r.ptr
        else f"PTR lookup failed: {r.failure}"
        if r.failure
        else "no PTR name"
    )
    return (
        f"{s.messages} messages, {s.dmarc_fail} failed DMARC; disposition "
        + ", ".join(f"{k} {s.disposition.get(k, 0)}" for k in ("none", "quarantine", "reject")),
        ptr,
        *(f"reported SPF: {dom or '(none)'} {res}" for (dom, res), _ in s.spf.most_common(3)),
        *(
            f"reported DKIM: d={dd} s={ss or '-'} {res}"
            for (dd, ss, res), _ in s.dkim.most_common(4)
        ),
        *(f"SPF today for {s.ip} as {v.domain}: {v.result}" for v in _verdicts(d)),
        *(
            f"DKIM key today {k.selector}._domainkey.{k.domain}: {k.state} ({k.detail})"
            for k in d.keys
        ),
        *((f"sending service: {d.provider.name}",) if d.provider else ()),
    )


def _verdicts(d: Diagnosis) -> list[SpfToday]:
    return [*d.spf, *((d.spf_from,) if d.spf_from else ())]


def _forwarded(d: Diagnosis) -> Finding:
    s = d.source
    return Finding(
        code="dmarc-reports.forwarded",
        severity=Severity.INFO,
        subject=_subject(s),
        summary=f"{s.dmarc_fail} messages as {s.header_from} were relayed by a forwarder or "
        "mailing list and failed DMARC on the way",
        evidence=_evidence(d),
        remediation=(
            f"Nothing to change in DNS; sign all mail with DKIM d={s.header_from}: an "
            "unchanged body keeps the signature valid through forwarding, and receivers "
            "that trust ARC accept what a list changed.",
        ),
    )


def _unaligned(d: Diagnosis) -> Finding:
    s = d.source
    who = d.provider.name if d.provider else "a service"
    own = ", ".join(
        sorted(
            {dom for (dom, res) in s.spf if res == "pass"}
            | {dd for (dd, _, res) in s.dkim if res == "pass"}
        )
    )
    fixes = (
        d.provider.fixes(s.header_from)
        if d.provider
        else (
            f"At the service that sends from {s.ip}, set a custom Return-Path (bounce domain) under "
            f"{s.header_from}, authorized by SPF there.",
            f"Or have it sign with d={s.header_from}: publish the DKIM key or CNAME it gives for "
            f"SELECTOR._domainkey.{s.header_from}.",
        )
    )
    return Finding(
        code="dmarc-reports.authorized-unaligned",
        severity=Severity.WARNING,
        subject=_subject(s),
        summary=f"{who} sends as {s.header_from} from {s.ip}; SPF or DKIM passes only for "
        f"{own or 'its own domain'}, so {s.dmarc_fail} messages failed DMARC",
        evidence=_evidence(d),
        remediation=fixes,
    )


def _unauthorized(d: Diagnosis) -> Finding:
    s = d.source
    if any(v.result == "pass" and _aligned(v.domain, s.header_from) for v in _verdicts(d)):
        return Finding(
            code="dmarc-reports.spf-fixed",
            severity=Severity.INFO,
            subject=_subject(s),
            summary=f"SPF for {s.header_from} now passes for {s.ip}, which failed in the reports: "
            "fixed since, or the reports predate the change",
            evidence=_evidence(d),
        )
    if d.provider:
        fix = (
            f"If you send through {d.provider.name}: add include:{d.provider.spf_include} to the "
            f"SPF record of {s.header_from}.",
            *d.provider.fixes(s.header_from),
        )
    else:
        family = "ip6" if ":" in s.ip else "ip4"
        fix = (
            f"If {s.ip} is yours: add {family}:{s.ip} to the SPF record of {s.header_from} and "
            f"sign its mail with DKIM d={s.header_from}.",
            "If it is not: this is spoofing, which p=quarantine or p=reject stops (see readiness).",
        )
    return Finding(
        code="dmarc-reports.unauthorized",
        severity=Severity.WARNING,
        subject=_subject(s),
        summary=f"{s.ip} sent {s.dmarc_fail} messages as {s.header_from} with neither SPF nor DKIM "
        "passing: a sender you forgot, or someone spoofing you",
        evidence=_evidence(d),
        remediation=fix,
    )


def _aligned(domain: str, header_from: str) -> bool:
    return (
        domain == header_from
        or domain.endswith("." + header_from)
        or header_from.endswith("." + domain)
    )


def _dead_keys(d: Diagnosis) -> list[Finding]:
    return [
        _dead_key(d.source, k)
        for k in d.keys
        if k.state in _BROKEN_KEYS and _aligned(k.domain, d.source.header_from)
    ]


def _dead_key(s: Source, key: KeyToday) -> Finding:
    name = f"{key.selector}._domainkey.{key.domain}"
    return Finding(
        code="dmarc-reports.dkim-key-missing",
        severity=Severity.ERROR,
        subject=name,
        summary=f"Mail as {s.header_from} is signed with s={key.selector} d={key.domain}, whose key "
        f"is {key.state}: those signatures cannot verify",
        evidence=(key.detail,),
        remediation=(
            f"Publish the key the signing service gives for {name}, or have it sign with "
            "a selector whose key is published.",
        ),
    )


def _unknown(d: Diagnosis) -> list[Finding]:
    reasons = [
        f"SPF for {v.domain}: {v.explanation or v.result}"
        for v in _verdicts(d)
        if v.result == "temperror"
    ]
    reasons += [
        f"key {k.selector}._domainkey.{k.domain}: {k.detail}"
        for k in d.keys
        if k.state == "unknown"
    ]
    reasons += [f"PTR: {d.reverse.failure}"] if d.reverse.failure else []
    if not reasons:
        return []
    return [
        Finding(
            code="dmarc-reports.diagnosis-unknown",
            severity=Severity.UNKNOWN,
            subject=_subject(d.source),
            summary=f"Part of the diagnosis of {d.source.ip} failed: a DNS lookup gave no answer",
            evidence=tuple(reasons),
            remediation=("Run again with a working --resolver or a longer --timeout.",),
        )
    ]


def domain_summary(domain: Domain) -> Finding:
    """`dmarc-reports.summary`: reporters, messages, pass rate, what the policy did."""
    rate = 100.0 * domain.dmarc_pass / domain.messages if domain.messages else 0.0
    p = domain.policy
    return Finding(
        code="dmarc-reports.summary",
        severity=Severity.INFO,
        subject=domain.name,
        summary=f"{domain.reports} reports from {len(domain.reporters)} reporters, "
        f"{domain.messages} messages, {rate:.1f}% pass DMARC ({domain.begin} to {domain.end})",
        evidence=(
            f"published: p={p.p or '-'} sp={p.sp or '-'} np={p.np or '-'} adkim={p.adkim or '-'} "
            f"aspf={p.aspf or '-'} testing={p.testing or '-'}",
            "disposition: "
            + ", ".join(
                f"{k} {domain.disposition.get(k, 0)}" for k in ("none", "quarantine", "reject")
            ),
            "reporters: " + ", ".join(sorted(domain.reporters)[:20]),
        ),
    )


def selectors(corpus: Corpus, domain: Domain) -> list[Finding]:
    """`dmarc-reports.selectors`: the DKIM selectors seen for the domain, for `check --selector`."""
    seen = sorted(
        {
            (d, s)
            for src in corpus.sources.values()
            for (d, s, _) in src.dkim
            if s and _aligned(d, domain.name)
        }
    )
    if not seen:
        return []
    return [
        Finding(
            code="dmarc-reports.selectors",
            severity=Severity.INFO,
            subject=domain.name,
            summary=f"{len(seen)} DKIM selectors seen signing for {domain.name}",
            evidence=tuple(f"s={s} d={d}" for d, s in seen[:50]),
            remediation=(
                f"Probe them with `deliverability check {domain.name} "
                + " ".join(f"--selector {s}" for s in sorted({s for _, s in seen})[:10])
                + "`.",
            ),
        )
    ]


MAX_SKIPPED_FINDINGS = 20  # one finding each; the rest in one (data.files lists them all)
_SKIPPED_FIX = (
    "Check that the file is a DMARC aggregate report (XML, gzip, zip or the report email).",
)


def inputs(corpus: Corpus) -> list[Finding]:
    """Skipped files, duplicates, and an empty run."""
    skipped = [f for f in corpus.files if f.error]
    found = [
        Finding(
            code="dmarc-reports.file-skipped",
            severity=Severity.WARNING,
            subject=f.path,
            summary=f"{f.path}: {f.error}",
            remediation=_SKIPPED_FIX,
        )
        for f in skipped[:MAX_SKIPPED_FINDINGS]
    ]
    if len(skipped) > MAX_SKIPPED_FINDINGS:
        rest = skipped[MAX_SKIPPED_FINDINGS:]
        found.append(
            Finding(
                code="dmarc-reports.file-skipped",
                severity=Severity.WARNING,
                subject="more files",
                summary=f"{len(rest)} more inputs were skipped (data.files lists each with its reason)",
                evidence=tuple(f"{f.path}: {f.error}" for f in rest[:50]),
                remediation=_SKIPPED_FIX,
            )
        )
    if corpus.duplicates:
        found.append(
            Finding(
                code="dmarc-reports.duplicates",
                severity=Severity.INFO,
                subject="reports",
                summary=f"{corpus.duplicates} reports were received more than once "
                "and counted once",
            )
        )
    if not corpus.reports:
        found.append(
            Finding(
                code="dmarc-reports.no-reports",
                severity=Severity.WARNING,
                subject="reports",
                summary="No DMARC aggregate report was read",
                remediation=(
                    "Point the command at the reports (files, a Maildir, "
                    "--imap, or --db with --since).",
                ),
            )
        )
    return found
