"""SPF of the envelope-sender (--mail-from) domain: the record, its limits, and the verdict per IP.

Receivers check that the host sending a message is authorized by the SPF record of
the envelope-sender domain (RFC 7208); Gmail, Yahoo and Microsoft require SPF or
DKIM of every sender, and both of bulk senders. The check finds the record, judges
its syntax, walks every include and redirect (counting the DNS-querying terms and void
lookups a receiver would meet), and flags policies that protect nothing. With --ip it
gives each IP's check_host() result, computed by pyspf, the reference implementation,
fed from the same DNS answers; --helo adds the HELO identity. With a null sender
(--mail-from "") and --helo, the HELO name is the MAIL FROM identity (RFC 7208 2.4).

JSON data: record, lookups, lookups_exact, truncated, void_lookups, lookup_breakdown, networks [{network, via,
term}], unflattenable, results {ip: result}, matched {ip: term}, helo_results.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import re

from deliverability.change import Action, Change, txt_change
from deliverability.checks.spf.advice import edited, ip_term, publish
from deliverability.checks.spf.changes import combined, decision, record_fix
from deliverability.checks.spf.evaluate import Verdict, evaluate, is_checkable_domain, spf_identity
from deliverability.checks.spf.findings import record_findings, stopped_evidence
from deliverability.checks.spf.parse import (
    SpfRecord,
    is_spf_record,
    lookalike_reason,
    parse_record,
)
from deliverability.checks.spf.walk import Found, Walk, fetch_spf, walk
from deliverability.concurrency import sub_tasks
from deliverability.context import Context
from deliverability.finding import Finding, Location, Severity
from deliverability.net.addresses import network as parsed_network
from deliverability.net.dns import Answer, LookupFailed, normalize_name

NAME = "spf"
CODES = {
    "spf.ok": "The SPF record is valid and within the lookup limits",
    "spf.missing": "The envelope-sender domain publishes no SPF record",
    "spf.invalid-domain": "The envelope-sender domain is not a valid domain name",
    "spf.multiple": "The domain publishes several SPF records (permerror)",
    "spf.lookalike": "A TXT record looks like SPF but is not a valid v=spf1 record",
    "spf.spf-rr-type": "An SPF record of the deprecated DNS type SPF (99) exists",
    "spf.too-long": "The record is over 450 bytes",
    "spf.syntax": "A term of the record (or of an included record) is malformed",
    "spf.too-many-lookups": "More than 10 DNS-querying terms (permerror)",
    "spf.too-many-void-lookups": "More than 2 terms name nothing (permerror)",
    "spf.void-lookup": "A term names a domain with no records",
    "spf.loop": "An include or redirect loops back",
    "spf.include-no-record": "An include or redirect target has no single SPF record",
    "spf.mx-too-many": "An mx term names a domain with more than 10 MX hosts",
    "spf.ptr": "The record uses the deprecated ptr mechanism",
    "spf.pass-all": "The record ends in +all: anyone may send",
    "spf.neutral-all": "The record ends in ?all",
    "spf.no-all": "The record has no all and no redirect",
    "spf.after-all": "Terms after all are never evaluated",
    "spf.redirect-ignored": "redirect= is ignored because the record has all",
    "spf.broad-range": "The record authorizes an overly broad address range",
    "spf.softfail-dmarc-none": "~all while DMARC is p=none: nothing is enforced",
    "spf.unflattenable": "Some authorized hosts cannot be listed as address ranges",
    "spf.unresolved": "A lookup in the SPF walk failed; that part is unknown",
    "spf.ip-pass": "The sending IP passes SPF",
    "spf.ip-fail": "The sending IP fails SPF",
    "spf.ip-softfail": "The sending IP gets softfail",
    "spf.ip-neutral": "The sending IP gets neutral",
    "spf.ip-none": "No SPF result for the sending IP: no record",
    "spf.ip-permerror": "The record is broken: permerror for the sending IP",
    "spf.ip-temperror": "A DNS failure: temperror for the sending IP",
    "spf.helo-pass": "The sending IP passes SPF for its HELO name",
    "spf.helo-not-pass": "The sending IP does not pass SPF for its HELO name",
    "spf.helo-temperror": "A DNS failure: temperror for the HELO identity",
}

_IP_SEVERITY = {
    "pass": Severity.OK,
    "fail": Severity.ERROR,
    "softfail": Severity.WARNING,
    "neutral": Severity.WARNING,
    "none": Severity.ERROR,
    "permerror": Severity.ERROR,
    "temperror": Severity.UNKNOWN,
}


async def run(ctx: Context) -> list[Finding]:
    """Find, walk and judge the record; give each --ip its verdict, side by side."""
    sender, domain = spf_identity(ctx.target)
    ctx.data.update(
        domain=domain,
        record=None,
        lookups=0,
        void_lookups=0,
        lookup_breakdown={},
        networks=[],
        unflattenable=[],
        results={},
        matched={},
    )
    answer = None
    async with sub_tasks() as tasks:
        verdicts = tasks.start(_verdicts(ctx, sender))
        if not is_checkable_domain(domain):
            findings = [_invalid_domain(domain)]
        else:
            findings, answer = await _record(ctx, domain)
        mail, by_helo = await verdicts
    record = parse_record(ctx.data["record"]) if ctx.data["record"] else None
    missing = any(f.code == "spf.missing" for f in findings)
    findings += [_ip_finding(ip, sender, v, record, missing) for ip, v in mail.items()]
    if record is not None and answer is not None:
        findings = combined(findings, domain, record, answer, _known_senders(ctx, mail))
    helo = normalize_name(ctx.target.helo or "")
    fixes = await asyncio.gather(
        *(_helo_fix(ctx, ip, helo, domain, v) for ip, v in by_helo.items())
    )
    return findings + [
        _helo_finding(ip, helo, v, fix) for (ip, v), fix in zip(by_helo.items(), fixes, strict=True)
    ]


def _known_senders(ctx: Context, mail: dict[str, Verdict]) -> tuple[str, ...]:
    """Terms for the known senders (--ip, the profile's IPs) that pass only through +all:
    a fix that ends +all must authorize them by name (RFC 7208 5.1)."""
    via_all = [ip for ip, v in mail.items() if v.result == "pass" and _is_all(v.term)]
    listed = [parsed_network(n["network"]) for n in ctx.data["networks"]]
    profiled = (
        [n for n in getattr(ctx.profile, "ips", ()) if not any(n.subnet_of(m) for m in listed)]
        if ctx.data["record"] and "+all" in ctx.data["record"].lower().split()
        else []
    )
    return tuple(ip_term(ip) for ip in via_all) + tuple(_network_term(n) for n in profiled)


def _is_all(term: str | None) -> bool:
    return bool(term) and (term or "").lstrip("+").lower() == "all"


def _network_term(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    if network.prefixlen == network.max_prefixlen:
        return ip_term(str(network.network_address))
    return f"ip{network.version}:{network}"


async def _record(ctx: Context, domain: str) -> tuple[list[Finding], Answer | None]:
    async with sub_tasks() as tasks:  # what is not awaited by a return is cancelled
        spf_type = tasks.start(_spf_type_records(ctx, domain))
        # Needed only after the walk (~all with p=none): ask now, not after the chain.
        dmarc = tasks.start(_dmarc_policy(ctx))
        try:
            found = await fetch_spf(ctx.dns, domain)
        except LookupFailed as exc:  # finer than the engine's: the IP verdicts still report
            return [_lookup_failed(domain, exc)], None
        findings = _lookalikes(domain, found)
        if not found.records:
            return findings + await spf_type + [_missing(domain, ctx.target.ips)], found.answer
        if len(found.records) > 1:
            return findings + await spf_type + [_multiple(domain, found)], found.answer
        record = parse_record(found.records[0])
        # The include chain is the critical path: walk it before the type-99 answer is in.
        result = await walk(ctx.dns, domain, record)
        _fill_data(ctx, record, result)
        findings += record_findings(domain, record, result, found.answer.location)
        findings += _dmarc_note(ctx, domain, record, await dmarc)
        findings += await spf_type
    if not any(
        f.severity in (Severity.ERROR, Severity.WARNING, Severity.UNKNOWN) for f in findings
    ):
        findings.append(_ok(domain, record, result, found.answer.location))
    return findings, found.answer


def _fill_data(ctx: Context, record: SpfRecord, result: Walk) -> None:
    all_term = record.all_term
    ctx.data.update(
        record=record.text,
        all=all_term.qualifier if all_term is not None else None,  # for baseline regressions
        lookups=result.lookups,
        lookups_exact=not result.unfollowed,  # False: `lookups` is a floor (docs/limits.md)
        truncated=result.truncated,
        void_lookups=len(result.voids),
        lookup_breakdown=result.breakdown,
        networks=[
            {"network": n.network, "via": list(n.via), "term": n.term}
            for n in dict.fromkeys(result.networks)
        ],
        unflattenable=[
            {"term": h.term, "domain": h.domain, "via": list(h.via)} for h in result.unflattenable
        ],
    )


async def _verdicts(ctx: Context, sender: str) -> tuple[dict[str, Verdict], dict[str, Verdict]]:
    """check_host() of each IP for MAIL FROM and, with --helo, for HELO, all side by side."""
    helo = normalize_name(ctx.target.helo) if ctx.target.helo else ""
    ips = ctx.target.ips
    asked = [evaluate(ctx.dns, ip=ip, sender=sender, helo=helo or "unknown") for ip in ips]
    if helo:
        asked += [evaluate(ctx.dns, ip=ip, sender="", helo=helo) for ip in ips]
    verdicts = await asyncio.gather(*asked)
    mail = dict(zip(ips, verdicts[: len(ips)], strict=True))
    by_helo = dict(zip(ips, verdicts[len(ips) :], strict=True)) if helo else {}
    ctx.data["results"] = {ip: v.result for ip, v in mail.items()}
    ctx.data["matched"] = {ip: v.term for ip, v in mail.items()}
    if helo:
        ctx.data["helo_results"] = {ip: v.result for ip, v in by_helo.items()}
    return mail, by_helo


def _ip_finding(
    ip: str, sender: str, verdict: Verdict, record: SpfRecord | None, missing: bool
) -> Finding:
    domain = sender.rpartition("@")[2]
    matched = f" (matched '{verdict.term}')" if verdict.term else ""
    summary = f"SPF for {ip} sending as {sender}: {verdict.result}{matched}"
    authorize = (f"If {ip} sends your mail, authorize it (or add your provider's include).",)
    changes: tuple[Change, ...] = ()
    if verdict.result in ("fail", "softfail", "neutral") and record is not None:
        changes = record_fix(domain, record, edited(record, add=(ip_term(ip),)))
    elif verdict.result == "none" and missing:
        changes = (txt_change(domain, None, f"v=spf1 {ip_term(ip)} ~all"),)
    fixes = {
        "pass": (),
        "temperror": (
            "Retry; if it persists, check the DNS servers of the names in the "
            f"SPF record of {domain}.",
        ),
        "permerror": (
            f"Fix the errors reported for the SPF record of {domain}"
            + (f": {publish(domain, record.text)}" if record else "."),
        ),
    }
    return Finding(
        code=f"spf.ip-{verdict.result}",
        severity=_IP_SEVERITY[verdict.result],
        subject=ip,
        summary=summary,
        remediation=fixes.get(verdict.result, authorize),
        evidence=(verdict.explanation,) if verdict.explanation else (),
        # no record is why there is no result: one fix (publish it) for both findings
        caused_by="spf.missing" if verdict.result == "none" and record is None else None,
        changes=changes,
    )


def _helo_finding(ip: str, helo: str, verdict: Verdict, fix: tuple[Change, ...] = ()) -> Finding:
    subject = f"{ip} HELO {helo}"
    summary = f"SPF for {ip} with HELO name {helo}: {verdict.result}"
    if verdict.result == "pass":
        return Finding(code="spf.helo-pass", severity=Severity.OK, subject=subject, summary=summary)
    if verdict.result == "temperror":
        return Finding(
            code="spf.helo-temperror",
            severity=Severity.UNKNOWN,
            subject=subject,
            summary=summary,
            remediation=(f"Retry; check the DNS servers of {helo}.",),
        )
    return Finding(
        code="spf.helo-not-pass",
        severity=Severity.WARNING,
        subject=subject,
        summary=summary,
        remediation=(
            f"Publish an SPF record for the HELO name: "
            f"{publish(helo, f'v=spf1 {ip_term(ip)} -all')}",
        ),
        changes=fix,
    )


async def _helo_fix(
    ctx: Context, ip: str, helo: str, spf_domain: str, verdict: Verdict
) -> tuple[Change, ...]:
    """`v=spf1 a -all` at the HELO name when that is clearly the fix: the name is the
    domain's own (not its MAIL FROM record), has no SPF record, and its address is `ip`."""
    if verdict.result in ("pass", "temperror"):
        return ()
    domain = ctx.target.domain
    if not (helo == domain or helo.endswith("." + domain)):
        return decision(
            helo,
            f"The HELO name {helo} is not under {domain}: whoever runs the host sending from "
            f"{ip} must publish its SPF record (e.g. {publish(helo, 'v=spf1 a -all')} with "
            f"{helo} resolving to {ip}), or the host must greet with a name under {domain}.",
        )
    if helo == spf_domain or verdict.result != "none":
        return decision(
            helo,
            f"{helo} already publishes SPF: add {ip_term(ip)} to it only if {ip} is meant to "
            f"greet as {helo}; otherwise configure the host's HELO name.",
        )
    try:
        addresses = await ctx.dns.addresses(helo)
    except LookupFailed:
        addresses = []
    if ipaddress.ip_address(ip) not in {ipaddress.ip_address(a) for a in addresses}:
        return decision(
            helo,
            f"{helo} does not resolve to {ip}: give the host a name that does (A/AAAA and PTR "
            f"agreeing), then publish {publish(helo, 'v=spf1 a -all')}.",
        )
    return (txt_change(helo, None, "v=spf1 a -all"),)


async def _spf_type_records(ctx: Context, domain: str) -> list[Finding]:
    try:
        answer = await ctx.dns.query(domain, "SPF")
    except LookupFailed:
        return []  # the SPF RR type is obsolete: its failure changes nothing
    if not answer.records:
        return []
    texts = answer.texts()
    return [
        Finding(
            code="spf.spf-rr-type",
            severity=Severity.INFO,
            subject=domain,
            summary=f"{domain} has a record of DNS type SPF (99); receivers ignore it since "
            "RFC 7208 (section 3.1): only the TXT record counts",
            evidence=tuple(f"{domain} SPF {t}" for t in texts),
            location=answer.location,
            remediation=(
                "Delete the SPF-type record; receivers read only the TXT record "
                "(publish that if it is missing).",
            ),
            changes=tuple(
                Change(name=domain, type="SPF", action=Action.REMOVE, old=str(r.to_text()))
                for r in answer.records
            ),
        )
    ]


def _lookalikes(domain: str, found: Found) -> list[Finding]:
    findings = []
    for text in found.answer.texts():
        reason = lookalike_reason(text)
        if reason:
            findings.append(_lookalike(domain, text, reason, found))
    return findings


def _lookalike(domain: str, text: str, reason: str, found: Found) -> Finding:
    sender_id = text.strip().lower().startswith("spf2.0/")
    # RFC 7208 4.5: a Sender ID record is simply not SPF; beside a valid one it harms nothing
    if sender_id and found.records:
        return Finding(
            code="spf.lookalike",
            severity=Severity.INFO,
            subject=f"{domain} {text[:40]}",
            summary=f"{domain} also publishes a Sender ID record; SPF receivers ignore it "
            "(RFC 7208 4.5)",
            evidence=(f"{domain} TXT {text}",),
            location=found.answer.location,
            remediation=("Nothing to change for SPF; delete it when you tidy the zone.",),
        )
    old = found.answer.presentation_of(text)
    stripped = text.strip().strip('"')
    changes: tuple[Change, ...] = ()
    if old is not None and found.records:
        changes = (Change(name=domain, type="TXT", action=Action.REMOVE, old=old),)
    elif old is not None and is_spf_record(stripped):
        changes = (dataclasses.replace(txt_change(domain, stripped, stripped), old=old),)
    return Finding(
        code="spf.lookalike",
        severity=Severity.WARNING,
        subject=f"{domain} {text[:40]}",
        summary=f"A TXT record of {domain} looks like SPF but receivers ignore it: {reason}",
        evidence=(f"{domain} TXT {text}",),
        location=found.answer.location,
        remediation=(
            "Delete it; the domain's one SPF record must start with 'v=spf1 '."
            if found.records
            else "Publish it starting with 'v=spf1 ' (no space or quote before it)."
            if changes
            else "Replace it with one record that starts with 'v=spf1 ', listing every "
            "host and provider that sends as the domain.",
        ),
        changes=changes,
    )


def _missing(domain: str, ips: tuple[str, ...]) -> Finding:
    terms = " ".join(ip_term(ip) for ip in ips) or "mx"
    return Finding(
        code="spf.missing",
        severity=Severity.ERROR,
        subject=domain,
        summary=f"{domain} publishes no SPF record: receivers cannot tell which hosts may send "
        "as it; Gmail, Yahoo and Microsoft junk or reject such mail",
        evidence=(f"{domain} TXT: no v=spf1 record",),
        remediation=("List every host and provider that sends as the domain in it.",),
        changes=(txt_change(domain, None, f"v=spf1 {terms} ~all"),) if ips else (),
    )


def _multiple(domain: str, found: Found) -> Finding:
    return Finding(
        code="spf.multiple",
        severity=Severity.ERROR,
        subject=domain,
        summary=f"{domain} publishes {len(found.records)} SPF records; receivers return "
        "permerror (RFC 7208 4.5)",
        evidence=tuple(f"{domain} TXT {r}" for r in found.records),
        location=found.answer.location,
        remediation=("Merge them into one record and delete the others.",),
        changes=_merge_changes(domain, found),
    )


_STRICTNESS = "?~-"  # weakest first: a merge must not turn any sender's softfail into fail


def _merged(records: tuple[str, ...]) -> str:
    terms: list[str] = []
    qualifiers = []
    for text in records:
        record = parse_record(text)
        terms += [t.text for t in record.terms if t.name not in ("all", "redirect")]
        if record.all_term is not None:
            qualifiers.append(record.all_term.qualifier)
    weakest = min(qualifiers, key=lambda q: _STRICTNESS.find(q), default="~")
    ending = f"{weakest if weakest in _STRICTNESS else '~'}all"
    return edited(parse_record("v=spf1 " + " ".join(dict.fromkeys(terms))), ending=ending)


def _merge_changes(domain: str, found: Found) -> tuple[Change, ...]:
    olds = [found.answer.presentation_of(text) for text in found.records]
    first = dataclasses.replace(
        txt_change(domain, found.records[0], _merged(found.records)), old=olds[0]
    )
    rest = [Change(name=domain, type="TXT", action=Action.REMOVE, old=old) for old in olds[1:]]
    return (first, *rest)


def _invalid_domain(domain: str) -> Finding:
    return Finding(
        code="spf.invalid-domain",
        severity=Severity.ERROR,
        subject=domain or "(empty)",
        summary=f"'{domain}' is not a valid domain name, so SPF gives 'none' (RFC 7208 4.3)",
        remediation=(
            "Send with an envelope sender (Return-Path) at a domain you publish "
            'SPF for, e.g. bounces@example.com with example.com. TXT "v=spf1 mx -all".',
        ),
    )


def _lookup_failed(domain: str, exc: LookupFailed) -> Finding:
    return Finding(
        code="spf.lookup-failed",
        severity=Severity.UNKNOWN,
        subject=domain,
        summary=f"Could not look up the SPF record of {domain}: {exc.reason}; receivers "
        "meeting this give temperror",
        remediation=(
            f"Retry; if it persists, check the DNS servers of {domain} "
            f'(the TXT record {domain}. TXT "v=spf1 ...").',
        ),
    )


async def _dmarc_policy(ctx: Context) -> str | None:
    """The From domain's DMARC record (shared with the dmarc check through the cache)."""
    try:
        texts = await ctx.dns.txt(f"_dmarc.{ctx.target.domain}")
    except LookupFailed:
        return None
    return next((t for t in texts if t.lower().startswith("v=dmarc1")), None)


def _dmarc_note(ctx: Context, domain: str, record: SpfRecord, dmarc: str | None) -> list[Finding]:
    final = record.all_term
    if final is None or final.qualifier != "~":
        return []
    name = f"_dmarc.{ctx.target.domain}"
    if dmarc is None or not re.search(r"(^|;)\s*p\s*=\s*none\s*(;|$)", dmarc, re.IGNORECASE):
        return []
    return [
        Finding(
            code="spf.softfail-dmarc-none",
            severity=Severity.INFO,
            subject=domain,
            summary=f"{domain} ends in ~all and {ctx.target.domain}'s DMARC policy is p=none: "
            "forged mail is marked at most, never refused",
            evidence=(f"{domain} TXT {record.text}", f"{name} TXT {dmarc}"),
            remediation=(
                "Once DMARC reports show every source passing, publish "
                + publish(domain, edited(record, replace={final.text: "-all"}))
                + f" and raise {name} to p=quarantine.",
            ),
        )
    ]


def _ok(domain: str, record: SpfRecord, result: Walk, location: Location | None) -> Finding:
    return Finding(
        code="spf.ok",
        severity=Severity.OK,
        subject=domain,
        summary=f"{domain} has a valid SPF record using {result.lookups} of 10 DNS lookups",
        evidence=(f"{domain} TXT {record.text}",) + stopped_evidence(result),
        location=location,
    )
