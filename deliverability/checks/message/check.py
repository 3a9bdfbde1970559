"""What the receiving system saw and decided, read from a delivered message.

Run by `deliverability message FILE` only (never by `check`): the Received chain
and the hand-off to the receiver, the receiver's own Authentication-Results
(lower, sender-written ones are not trusted), every DKIM signature and the ARC
chain verified with keys fetched through our DNS layer, DMARC computed from the
message next to the receiver's, vendors' spam verdict headers decoded, and the
bulk-sender hygiene the message shows. See docs/message.md.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

from deliverability.checks.dmarc.suffixes import public_suffix_list
from deliverability.checks.dmarc.tree import tree_walk
from deliverability.checks.message import findings as build
from deliverability.checks.message import hygiene
from deliverability.checks.message.alignment import (
    DmarcOutcome,
    FoundPolicy,
    align,
    evaluate,
    strictest,
)
from deliverability.checks.message.facts import Facts, read_facts
from deliverability.checks.message.parse import ParsedMessage
from deliverability.checks.message.signatures import (
    MAX_SIGNATURES,
    ArcChain,
    KeyLookupFailed,
    Signature,
    key_names,
    verify_arc,
    verify_dkim,
)
from deliverability.checks.message.telling import load_rules, told
from deliverability.checks.message.verdicts import Verdict, decode, load_catalog
from deliverability.context import Context
from deliverability.finding import Finding, Severity
from deliverability.net.dns import LookupFailed

NAME = "message"
DEFAULTS = {"slow_hop_s": 600}
CODES = {
    "message.path": "The Received chain: hops, delays and the hand-off to the receiver",
    "message.no-received": "The message has no Received fields",
    "message.slow-hop": "A hop received the message long after the previous one",
    "message.auth-pass": "The receiver recorded a pass for a method",
    "message.auth-fail": "The receiver recorded a failure for a method",
    "message.auth-none": "The receiver recorded no usable result for a method",
    "message.spf-forwarded": "Forwarded mail: the receiver's SPF result judges the forwarder",
    "message.auth-error": "The receiver could not evaluate a method",
    "message.no-authres": "No Authentication-Results from the receiving system",
    "message.untrusted-authres": "Authentication-Results not written by the receiver (not trusted)",
    "message.dkim-pass": "A DKIM signature verifies",
    "message.dkim-fail": "A DKIM signature does not verify",
    "message.dkim-unknown": "A DKIM signature could not be verified (lookup failed, body missing)",
    "message.dkim-none": "The message has no DKIM signature",
    "message.dkim-weak-key": "A DKIM signature uses an RSA key under 2048 bits",
    "message.dkim-length-tag": "A DKIM signature covers only part of the body (l=)",
    "message.body-missing": "Headers only: body hashes were not checked",
    "message.arc-pass": "The ARC chain validates",
    "message.arc-fail": "The ARC chain does not validate",
    "message.arc-unknown": "The ARC chain could not be validated",
    "message.dmarc-pass": "DMARC passes for the message",
    "message.dmarc-fail": "DMARC fails for the message",
    "message.dmarc-none": "The From domain publishes no DMARC policy",
    "message.dmarc-unknown": "DMARC could not be computed",
    "message.dmarc-disagrees": "Our DMARC result differs from the receiver's",
    "message.marked-spam": "A verdict header says the message was treated as spam",
    "message.verdict": "A verdict header decoded (not spam)",
    "message.unknown-header": "A vendor header this tool does not decode",
    "message.unsubscribe-ok": "One-click unsubscribe present and signed",
    "message.unsubscribe-missing": "Bulk-looking mail without List-Unsubscribe",
    "message.one-click-missing": "List-Unsubscribe without RFC 8058 one-click",
    "message.one-click-unsigned": "One-click unsubscribe not covered by a valid DKIM signature",
    "message.one-click-unverified": "One-click unsubscribe signed, but the signature unverifiable",
    "message.message-id-invalid": "Message-ID missing, repeated or malformed",
    "message.date-invalid": "Date missing, repeated or unreadable",
    "message.date-skewed": "Date far from the time the message was first received",
    "message.identities": "The From, Reply-To and Return-Path domains (for allowlists)",
    "message.from-invalid": "No single From address with a usable domain",
    "message.malformed": "The message has structural defects",
}


async def run(ctx: Context) -> list[Finding]:
    """Analyse the message the `message` command put in the session."""
    message: ParsedMessage | None = getattr(ctx.session, "message", None)
    if message is None:
        return []
    facts = read_facts(message)
    found = decode(list(message.headers), load_catalog())
    # The policy walks and the key lookups are independent: one round trip for all.
    domains = facts.from_domains
    (signatures, chain), policies = await asyncio.gather(
        _verify(ctx, message), asyncio.gather(*(_policy(ctx, domain) for domain in domains))
    )
    outcomes = [_dmarc(facts, d, signatures, p) for d, p in zip(domains, policies, strict=True)]
    # RFC 7489 6.6.1: several From domains: each is evaluated, the strictest stands.
    outcome = strictest(outcomes) if outcomes else _dmarc(facts, "", signatures, FoundPolicy())
    _fill_data(ctx.data, facts, signatures, chain, outcome, found, message)
    ctx.data["dmarc_from_domains"] = [
        {"domain": o.from_domain, "result": o.result, "policy": o.policy} for o in outcomes
    ]
    subject = facts.from_domain or "message"
    return told(
        [
            *_structure(message, facts),
            *build.path(facts, float(ctx.options["slow_hop_s"])),
            *build.receiver(facts),
            *build.dkim(signatures, list(outcome.dkim), message.has_body, outcome.adkim),
            *build.arc(chain),
            *_dmarc_findings(outcome, facts, outcomes),
            *build.verdicts(found),
            *hygiene.unsubscribe(
                message, hygiene.looks_bulk(message, _bulk(found)), signatures, subject
            ),
            *hygiene.message_id(message, subject),
            *hygiene.date(message, facts.hops[0].time if facts.hops else None, subject),
            _identities(facts),
        ],
        load_rules(),
    )


async def _verify(ctx: Context, message: ParsedMessage) -> tuple[list[Signature], ArcChain]:
    """dkimpy runs in worker threads; every key it asks for comes from our DNS layer."""
    loop = asyncio.get_running_loop()
    limit = ctx.dns.timeout * 3 + 5

    def fetch_txt(name: str) -> list[str]:
        future = asyncio.run_coroutine_threadsafe(ctx.dns.query(name, "TXT"), loop)
        try:
            return future.result(limit).texts()
        except LookupFailed as exc:
            raise KeyLookupFailed(name, exc.reason) from None
        except concurrent.futures.TimeoutError:
            raise KeyLookupFailed(name, f"no answer within {limit:g}s") from None

    # dkimpy asks for keys one at a time: ask for all of them side by side first.
    names = key_names(message)[: MAX_SIGNATURES * 3]  # DKIM plus two per ARC set, capped
    await asyncio.gather(*(ctx.dns.query(name, "TXT") for name in names), return_exceptions=True)
    dkim_results, chain = await asyncio.gather(
        asyncio.to_thread(verify_dkim, message, fetch_txt),
        asyncio.to_thread(verify_arc, message, fetch_txt),
    )
    return dkim_results, chain


async def _policy(ctx: Context, from_domain: str) -> FoundPolicy:
    """The DMARC record that applies to the From domain (RFC 9989 tree walk), and np's fact."""
    walk, exists = await asyncio.gather(tree_walk(ctx.dns, from_domain), _exists(ctx, from_domain))
    step = walk.policy_step
    if step is None:
        return FoundPolicy(failure=walk.failure.failure if walk.failure else None)
    return FoundPolicy(record=step.record, domain=step.domain, exists=exists)


async def _exists(ctx: Context, domain: str) -> bool:
    """False only for NXDOMAIN (RFC 9989 np=); a failed lookup leaves sp= in force."""
    try:
        return not (await ctx.dns.query(domain, "TXT")).nxdomain
    except LookupFailed:
        return True


def _dmarc(
    facts: Facts, from_domain: str, signatures: list[Signature], found: FoundPolicy
) -> DmarcOutcome:
    psl = public_suffix_list()
    spf_result = facts.receiver.result("spf")
    spf_domain = _spf_domain(facts, spf_result.properties if spf_result else {})
    return evaluate(
        from_domain=from_domain,
        spf_pass=bool(spf_result and spf_result.result == "pass"),
        spf=align(from_domain, spf_domain, psl) if spf_domain else None,
        signatures=signatures,
        dkim=[align(from_domain, s.domain, psl) for s in signatures],
        found=found,
    )


def _spf_domain(facts: Facts, properties: dict[str, str]) -> str | None:
    mailfrom = properties.get("smtp.mailfrom", "")
    domain = mailfrom.rpartition("@")[2].strip().lower().rstrip(".") if mailfrom else ""
    return domain or facts.return_path_domain


def _dmarc_findings(
    outcome: DmarcOutcome, facts: Facts, every: list[DmarcOutcome]
) -> list[Finding]:
    if not outcome.from_domain:
        return []
    code, severity = {
        "pass": ("message.dmarc-pass", Severity.OK),
        "none": ("message.dmarc-none", Severity.WARNING),
        "unknown": ("message.dmarc-unknown", Severity.UNKNOWN),
    }.get(outcome.result, ("message.dmarc-fail", Severity.ERROR))
    spf = outcome.spf
    theirs = facts.receiver.result("dmarc")
    evidence = (
        f"receiver recorded: dmarc={theirs.result}"
        if theirs
        else "receiver recorded no DMARC result",
        f"policy: {outcome.policy or 'none found'}",
        f"SPF domain {spf.domain}: relaxed {_yn(spf.relaxed)}, strict {_yn(spf.strict)}"
        if spf
        else "SPF domain: not recorded",
        *(
            f"DKIM d={a.domain}: relaxed {_yn(a.relaxed)}, strict {_yn(a.strict)}"
            for a in outcome.dkim
        ),
        *(  # RFC 7489 6.6.1: with several From domains, what each one gave
            f"From domain {o.from_domain}: {o.result} (policy {o.policy or 'none found'})"
            for o in (every if len(every) > 1 else [])
        ),
    )
    found = [
        Finding(
            code=code,
            severity=severity,
            subject=outcome.from_domain,
            summary=f"DMARC {outcome.result}: {outcome.reason}",
            evidence=evidence,
            remediation=_dmarc_fix(outcome.result, outcome.from_domain),
        )
    ]
    return found + _disagreement(outcome, facts)


def _dmarc_fix(result: str, domain: str) -> tuple[str, ...]:
    """What to do about our DMARC result for `domain`."""
    if result == "pass":
        return ()
    if result == "unknown":
        return (
            "Run again with a working --resolver, or --offline with a --zone-file holding "
            f"_dmarc.{domain} and the DKIM keys.",
        )
    if result == "none":
        return (
            f'Publish _dmarc.{domain}. TXT "v=DMARC1; p=none; rua=mailto:dmarc@{domain}" '
            "and tighten p= once reports are clean.",
        )
    return (
        f"Sign with d={domain} (or a subdomain of its organizational domain), or send "
        f"with a Return-Path under {domain} that SPF authorizes.",
    )


def _disagreement(outcome: DmarcOutcome, facts: Facts) -> list[Finding]:
    theirs = facts.receiver.result("dmarc")
    if theirs is None or outcome.result == "unknown" or theirs.result == outcome.result:
        return []
    why = (
        "the message changed after the receiver checked it (a forwarder or footer), or "
        "the key changed since"
        if theirs.result == "pass"
        else "the receiver saw SPF or DKIM fail at delivery (forwarding, a key missing then), "
        "or it found a different policy"
    )
    return [
        Finding(
            code="message.dmarc-disagrees",
            severity=Severity.WARNING,
            subject=outcome.from_domain,
            summary=f"The receiver recorded dmarc={theirs.result}; we compute {outcome.result}: {why}",
            evidence=(
                f"receiver: dmarc={theirs.result} {theirs.comment}".strip(),
                f"ours: {outcome.result} ({outcome.reason})",
            ),
            remediation=(
                "Trust the receiver's result for this delivery; fix what our result "
                "shows for future mail.",
            ),
        )
    ]


def _structure(message: ParsedMessage, facts: Facts) -> list[Finding]:
    found = []
    if len(facts.from_addresses) > 1:
        found.append(_several_from(message, facts))
    elif facts.from_domain is None:
        found.append(
            Finding(
                code="message.from-invalid",
                severity=Severity.ERROR,
                subject="from",
                summary=f"No single From address with a usable domain ({len(facts.from_addresses)} "
                "addresses found): DMARC cannot apply and receivers reject such mail",
                evidence=tuple(f"From: {h.value}" for h in message.named("From")),
                remediation=("Send with exactly one From address at your own domain.",),
            )
        )
    if message.defects:
        found.append(
            Finding(
                code="message.malformed",
                severity=Severity.WARNING,
                subject="structure",
                summary=f"The message has {len(message.defects)} structural defects",
                evidence=tuple(dict.fromkeys(message.defects)),
                remediation=(
                    "Have the sending application produce RFC 5322 messages (check its "
                    "MIME library and encodings).",
                ),
            )
        )
    return found


def _several_from(message: ParsedMessage, facts: Facts) -> Finding:
    return Finding(
        code="message.from-invalid",
        severity=Severity.ERROR,
        subject="from",
        summary=f"From holds {len(facts.from_addresses)} addresses: DMARC is evaluated for "
        "each domain and the strictest result is reported, and a receiver may reject such "
        "a message outright (RFC 7489 6.6.1)",
        evidence=tuple(f"From: {h.value}" for h in message.named("From")),
        remediation=("Send with exactly one From address at your own domain.",),
    )


def _identities(facts: Facts) -> Finding:
    lines = (
        f"From: {', '.join(facts.from_addresses) or '-'} (domain {facts.from_domain or '-'})",
        f"Reply-To: {', '.join(facts.reply_to) or '-'}",
        f"Return-Path: {facts.return_path or '-'} (domain {facts.return_path_domain or '-'})",
        f"DKIM d=: {', '.join(sorted({d for d, _ in facts.selectors})) or '-'}",
        f"Connecting IP: {facts.connecting_ip or '-'}",
    )
    return Finding(
        code="message.identities",
        severity=Severity.INFO,
        subject="identities",
        summary="The identities a recipient's IT team allowlists",
        evidence=lines,
    )


def _bulk(found: list[Verdict]) -> bool:
    return any(v.field in ("SRV", "CAT") and v.value == "BULK" for v in found)


def _yn(value: bool) -> str:
    return "yes" if value else "no"


def _fill_data(
    data: dict[str, Any],
    facts: Facts,
    signatures: list[Signature],
    chain: ArcChain,
    outcome: DmarcOutcome,
    found: list[Verdict],
    message: ParsedMessage,
) -> None:
    receiver = facts.receiver
    data["hops"] = [
        {
            "from": h.from_host,
            "by": h.by,
            "ip": h.ip,
            "tls": h.tls,
            "time": h.time.isoformat() if h.time else None,
            "delay_s": d,
        }
        for h, d in zip(facts.hops, facts.delays, strict=True)
    ]
    data["total_delay_s"] = facts.total_delay_s
    data["connecting_ip"] = facts.connecting_ip
    data["handoff"] = facts.hops.index(facts.handoff) if facts.handoff else None
    data["authserv_id"] = receiver.authserv_id
    data["authentication_results"] = {
        m: (r.result if (r := receiver.result(m)) else None)
        for m in ("spf", "dkim", "dmarc", "arc")
    }
    data["dkim"] = [
        {
            "domain": s.domain,
            "selector": s.selector,
            "result": s.result,
            "reason": s.reason,
            "aligned": a.under(outcome.adkim),
        }
        for s, a in zip(signatures, outcome.dkim, strict=True)
    ]
    data["arc"] = {"result": chain.result, "reason": chain.reason}
    data["dmarc"] = {
        "from_domain": outcome.from_domain or None,
        "result": outcome.result,
        "policy": outcome.policy,
    }
    data["verdicts"] = [
        {"header": v.header, "field": v.field, "value": v.value, "meaning": v.meaning}
        for v in found
    ]
    data["body_missing"] = not message.has_body
    data["identities"] = {
        "from": list(facts.from_addresses),
        "reply_to": list(facts.reply_to),
        "return_path": facts.return_path,
    }
