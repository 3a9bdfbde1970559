"""Findings about a message's path, the receiver's results, DKIM, ARC and verdicts.

Subjects are short and stable (`path`, `spf`, `dkim d=a.example s=sel`, a header
name); variable text goes in the summary and evidence.
"""

from __future__ import annotations

from deliverability.checks.message.alignment import Alignment
from deliverability.checks.message.authres import AuthResults, MethodResult
from deliverability.checks.message.facts import Facts
from deliverability.checks.message.received import Hop
from deliverability.checks.message.signatures import MIN_STRONG_BITS, ArcChain, Signature
from deliverability.checks.message.verdicts import Verdict
from deliverability.finding import Finding, Severity

METHODS = ("spf", "dkim", "dmarc", "arc", "compauth")
_FAIL = {
    "fail": Severity.ERROR,
    "softfail": Severity.WARNING,
    "neutral": Severity.WARNING,
    "permerror": Severity.ERROR,
    "temperror": Severity.UNKNOWN,
}


def _f(
    code: str,
    severity: Severity,
    subject: str,
    summary: str,
    evidence: tuple[str, ...] = (),
    remediation: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        subject=subject,
        summary=summary,
        evidence=evidence,
        remediation=remediation,
    )


def hop_line(number: int, hop: Hop, delay: float | None) -> str:
    """One hop as an evidence line."""
    parts = [
        f"{number}. from {hop.from_host or '?'}",
        f"[{hop.ip}]" if hop.ip else "",
        f"by {hop.by or '?'}",
        f"with {hop.with_}" if hop.with_ else "",
        f"TLS {hop.tls}" if hop.tls else "no TLS stated",
        hop.time.isoformat() if hop.time else "no time",
        f"+{duration(delay)}" if delay is not None else "",
    ]
    return " ".join(p for p in parts if p)


def duration(seconds: float) -> str:
    """A delay as people read it: '1h 2m 5s', '3m 0s', '4s', '0.5s'."""
    if seconds < 60:
        return f"{seconds:g}s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes}m {secs}s" if hours else f"{minutes}m {secs}s"


def _hops(count: int) -> str:
    return f"{count} hop{'' if count == 1 else 's'}"


def path(facts: Facts, slow_hop_s: float) -> list[Finding]:
    """The Received chain, the hand-off to the receiver, and slow hops."""
    if not facts.hops:
        return [
            _f(
                "message.no-received",
                Severity.INFO,
                "path",
                "The message has no Received fields: the path cannot be traced",
                remediation=("Give the message as the recipient received it, with all headers.",),
            )
        ]
    delays = facts.delays
    lines = tuple(
        hop_line(i + 1, h, d) for i, (h, d) in enumerate(zip(facts.hops, delays, strict=True))
    )
    where = (
        f"the receiver {facts.handoff.by or '?'} accepted it from "
        f"{facts.handoff.from_host or '?'} [{facts.connecting_ip}]"
        if facts.handoff
        else "the hand-off to the receiver is not recorded"
    )
    total = f", {duration(facts.total_delay_s)} in total" if facts.total_delay_s is not None else ""
    findings = [
        _f(
            "message.path",
            Severity.INFO,
            "path",
            f"{_hops(len(facts.hops))}{total}; {where}",
            lines,
        )
    ]
    for number, (hop, delay) in enumerate(zip(facts.hops, delays, strict=True), start=1):
        if delay is not None and delay > slow_hop_s:
            findings.append(
                _f(
                    "message.slow-hop",
                    Severity.WARNING,
                    f"hop {number}",
                    f"{hop.by or '?'} received the message {duration(delay)} after the "
                    "previous hop",
                    (lines[number - 1],),
                    (
                        "A queue held the message: check the sending host's queue and any "
                        "deferrals (4xx) the receiver gave, e.g. greylisting or rate limits.",
                    ),
                )
            )
    return findings


def receiver(facts: Facts) -> list[Finding]:
    """The receiver's own results, method by method, and the fields not trusted."""
    results = facts.receiver
    findings = [_untrusted(a, results.authserv_id) for a in results.untrusted]
    if not results.trusted:
        findings.append(
            _f(
                "message.no-authres",
                Severity.INFO,
                "authentication-results",
                "No Authentication-Results field from the receiving system",
            )
        )
        return findings
    arc = results.result("arc")
    forwarded = arc is not None and arc.result in ("pass", "fail")
    for method in METHODS:
        result = results.result(method)
        if result is None:
            continue
        if method == "spf" and forwarded and result.result != "pass":
            findings.append(_forwarded_spf(result))
        else:
            findings.append(_method(method, result))
    return findings


def _forwarded_spf(result: MethodResult) -> Finding:
    # RFC 7208 appendix D / RFC 8617 1: a forwarder sends from its own IP, so the
    # receiver's SPF judges the forwarder; the ARC set carries what it saw from the sender.
    return _f(
        "message.spf-forwarded",
        Severity.INFO,
        "spf",
        f"Forwarded mail: the receiver's spf={result.result} is about the forwarder's IP, "
        "not the sender's SPF",
        (_describe(result), "the receiver recorded an ARC result: the message was forwarded"),
        (
            "Nothing to change in the sender's SPF for this; SPF does not survive forwarding. "
            "Make sure the mail is DKIM-signed with an aligned d= (DKIM survives forwarding).",
        ),
    )


def _method(method: str, result: MethodResult) -> Finding:
    evidence = (_describe(result),)
    if result.result == "pass":
        return _f(
            "message.auth-pass",
            Severity.OK,
            method,
            f"The receiver recorded {method}={result.result}",
            evidence,
        )
    if result.result in ("temperror",):
        return _f(
            "message.auth-error",
            Severity.UNKNOWN,
            method,
            f"The receiver could not evaluate {method} ({result.result})",
            evidence,
            ("A DNS lookup failed at the receiver; if it repeats, check your DNS servers.",),
        )
    if result.result in _FAIL:
        code = "message.auth-error" if result.result == "permerror" else "message.auth-fail"
        return _f(
            code,
            _FAIL[result.result],
            method,
            f"The receiver recorded {method}={result.result}",
            evidence,
            (_check_sender_step(method),),
        )
    severity = Severity.INFO if method in ("arc", "compauth") else Severity.WARNING
    return _f(
        "message.auth-none",
        severity,
        method,
        f"The receiver recorded {method}={result.result}",
        evidence,
        (f"Publish and use {_NAMES.get(method, method.upper())} for this mail stream.",),
    )


_NAMES = {"spf": "SPF", "dkim": "DKIM", "dmarc": "DMARC", "arc": "ARC", "compauth": "compauth"}


def _check_sender_step(method: str) -> str:
    if method == "compauth":  # Microsoft's verdict over SPF, DKIM and DMARC, not a setup
        return (
            "Microsoft's composite authentication failed: fix the SPF, DKIM and DMARC "
            "findings; `deliverability message FILE --check-sender` shows the sender's records."
        )
    return (
        f"Run `deliverability message FILE --check-sender` (or `deliverability check DOMAIN`) "
        f"to see what is wrong with the sender's {_NAMES.get(method, method.upper())} records."
    )


# Microsoft's composite authentication reason codes, by first digit (docs/message.md).
_COMPAUTH = {
    "0": "explicit or implicit authentication failure",
    "1": "passed",
    "2": "soft-passed",
    "3": "not checked",
    "4": "skipped (bypassed)",
}


def _describe(result: MethodResult) -> str:
    props = " ".join(f"{k}={v}" for k, v in result.properties.items())
    reason = f" reason={result.reason}" if result.reason else ""
    if result.method == "compauth" and result.reason and result.reason[:1] in _COMPAUTH:
        reason += f" ({_COMPAUTH[result.reason[:1]]})"
    comment = f" ({result.comment})" if result.comment else ""
    return f"{result.method}={result.result}{reason} {props}{comment}".strip()


def _untrusted(fields: AuthResults, receiver_id: str | None) -> Finding:
    claims_receiver = receiver_id is not None and fields.authserv_id == receiver_id
    severity = Severity.WARNING if claims_receiver else Severity.INFO
    summary = (
        "Authentication-Results below the receiver's hand-off claims the receiver's "
        "authserv-id: inserted before delivery, not trusted"
        if claims_receiver
        else f"Authentication-Results from {fields.authserv_id or 'an unnamed system'} "
        "was not written by the receiver: not trusted"
    )
    return _f(
        "message.untrusted-authres",
        severity,
        f"authentication-results {fields.authserv_id or '-'}",
        summary,
        (f"Authentication-Results: {fields.raw}",),
        ("Ignore it: only the receiving system's own results count (RFC 8601 section 5).",),
    )


def dkim(
    signatures: list[Signature], aligned: list[Alignment], has_body: bool, adkim: str
) -> list[Finding]:
    """One finding per signature, plus weak keys and l= tags."""
    if not signatures:
        return [
            _f(
                "message.dkim-none",
                Severity.WARNING,
                "dkim",
                "The message has no DKIM-Signature",
                remediation=("Sign outgoing mail with DKIM using your From domain as d=.",),
            )
        ]
    findings = (
        []
        if has_body
        else [
            _f(
                "message.body-missing",
                Severity.INFO,
                "body",
                "The input has headers only: body hashes were not checked",
                remediation=(
                    "For a full check give the whole message (.eml), not just its headers.",
                ),
            )
        ]
    )
    for signature, alignment in zip(signatures, aligned, strict=True):
        findings += _signature(signature, alignment.under(adkim))
    return findings


def _signature(sig: Signature, aligned: bool) -> list[Finding]:
    subject = f"dkim d={sig.domain} s={sig.selector}"
    evidence = (
        f"a={sig.algorithm} key={sig.key_bits or '?'} bits body hash {sig.body_hash}",
        f"signed headers: {', '.join(sig.signed_headers)}",
        f"aligned with From: {'yes' if aligned else 'no'}",
    )
    code, severity = {
        "pass": ("message.dkim-pass", Severity.OK),
        "unknown": ("message.dkim-unknown", Severity.UNKNOWN),
    }.get(sig.result, ("message.dkim-fail", Severity.ERROR))
    fix = {
        "pass": (),
        "unknown": (
            "Give the whole message (.eml) and a working --resolver (or a --zone-file holding "
            f"{sig.key_name}), then run again.",
        ),
    }.get(
        sig.result,
        (
            f"Check the key at {sig.key_name} TXT and that nothing alters the message after signing.",
        ),
    )
    findings = [_f(code, severity, subject, f"DKIM {sig.result}: {sig.reason}", evidence, fix)]
    if sig.key_bits and sig.key_bits < MIN_STRONG_BITS and sig.algorithm.startswith("rsa"):
        findings.append(
            _f(
                "message.dkim-weak-key",
                Severity.WARNING,
                subject,
                f"The RSA key is {sig.key_bits} bits; 2048 is the norm (RFC 8301)",
                evidence,
                (
                    f"Publish a 2048-bit key at a new selector and sign "
                    f"with it; then revoke {sig.key_name}.",
                ),
            )
        )
    if sig.length is not None:
        findings.append(
            _f(
                "message.dkim-length-tag",
                Severity.WARNING,
                subject,
                f"The signature covers only the first {sig.length} body bytes (l=)",
                evidence,
                (
                    "Sign without l=: anyone can append content that still "
                    "verifies (RFC 6376 section 8.2).",
                ),
            )
        )
    return findings


def arc(chain: ArcChain) -> list[Finding]:
    """The ARC chain's validation, when the message has one."""
    if chain.result == "none":
        return []
    code, severity = {
        "pass": ("message.arc-pass", Severity.OK),
        "unknown": ("message.arc-unknown", Severity.UNKNOWN),
    }.get(chain.result, ("message.arc-fail", Severity.WARNING))
    return [
        _f(
            code,
            severity,
            "arc",
            f"ARC chain ({chain.instances} sets) {chain.result}: {chain.reason}",
            remediation=()
            if chain.result == "pass"
            else ("Ask the forwarder (mailing list, gateway) to sign ARC sets correctly.",),
        )
    ]


def verdicts(found: list[Verdict]) -> list[Finding]:
    """One finding per verdict header: spam or not, every field decoded; unknown ones listed."""
    by_header: dict[str, list[Verdict]] = {}
    for verdict in found:
        by_header.setdefault(verdict.header, []).append(verdict)
    findings = []
    for header, items in by_header.items():
        evidence = tuple(
            f"{v.field or header}={v.value}: {v.meaning or 'not documented'}" for v in items
        )
        if all(v.meaning is None and v.field is None for v in items):
            findings.append(
                _f(
                    "message.unknown-header",
                    Severity.INFO,
                    header,
                    f"{header} is not documented here: listed, not decoded",
                    evidence,
                )
            )
        elif any(v.spam for v in items) and any(v.skipped for v in items):
            named = ", ".join(f"{v.field}={v.value}" for v in items if v.spam or v.skipped)
            findings.append(
                _f(
                    "message.verdict",
                    Severity.INFO,
                    header,
                    f"{items[0].vendor or header} bypassed spam filtering and delivered"
                    f" the message ({named})",
                    evidence,
                )
            )
        elif any(v.spam for v in items):
            spam = [v for v in items if v.spam]
            findings.append(
                _f(
                    "message.marked-spam",
                    Severity.ERROR,
                    header,
                    f"{items[0].vendor or header} treated the message as spam "
                    f"({', '.join(f'{v.field}={v.value}' for v in spam)})",
                    evidence,
                    (
                        "Fix the authentication findings first; then see docs/message.md for what "
                        "each field means and the vendor's documentation.",
                    ),
                )
            )
        else:
            findings.append(
                _f(
                    "message.verdict",
                    Severity.INFO,
                    header,
                    f"{items[0].vendor or header} verdict decoded",
                    evidence,
                )
            )
    return findings
