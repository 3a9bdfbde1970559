"""Gmail, Yahoo and Outlook.com sender rules: which are met, which not, which DNS cannot show.

Summarizes the spf, dkim, dmarc, alignment and rdns checks against each provider's
rules for all senders and for bulk senders (about 5,000 messages a day). Rules that
no DNS lookup can decide (TLS on the connection, spam rate, one-click unsubscribe,
message format) are marked "not-visible" with what to check instead. A rule whose
check was not run is "not-checked". `checks.requirements.data.rules` lists
`{"id", "provider", "applies_to", "status", "detail"}` for every rule.
"""

from __future__ import annotations

from deliverability.checks.requirements.rules import (
    OUT_OF_DNS,
    PROVIDERS,
    RULES,
    Fact,
    Need,
    Rule,
    Status,
)
from deliverability.context import Context
from deliverability.finding import CheckResult, Finding, Severity

NAME = "requirements"
NEEDS = ("spf", "dkim", "dmarc", "alignment", "rdns")
CODES = {
    "requirements.met": "The provider's rules that DNS can show are met",
    "requirements.not-met": "A provider rule is not met",
    "requirements.not-visible": "Rules DNS cannot show, and what to check instead",
    "requirements.not-checked": "Rules resting on a check that was not run",
    "requirements.unknown": "A rule could not be judged: a lookup failed",
}


async def run(ctx: Context) -> list[Finding]:
    """Judge each fact once, then every rule from its fact."""
    results = {name: await ctx.result_of(name) for name in NEEDS}
    facts = judge_facts(ctx, results)
    judged = [(rule, facts[rule.need]) for rule in RULES]
    ctx.data["rules"] = [
        {
            "id": r.id,
            "provider": r.provider,
            "applies_to": r.applies_to,
            "status": f.status.value,
            "detail": f.detail,
        }
        for r, f in judged
    ]
    return _findings(judged)


def judge_facts(ctx: Context, results: dict[str, CheckResult | None]) -> dict[Need, Fact]:
    """Every need, judged from the checks' results."""
    facts: dict[Need, Fact] = dict(OUT_OF_DNS)
    facts[Need.SPF] = _spf(ctx, results["spf"])
    facts[Need.DKIM] = _dkim(ctx, results["dkim"])
    facts[Need.SPF_OR_DKIM] = _either(facts[Need.SPF], facts[Need.DKIM])
    facts[Need.SPF_AND_DKIM] = _both(facts[Need.SPF], facts[Need.DKIM])
    facts[Need.DKIM_KEY_SIZE] = _key_size(results["dkim"])
    facts[Need.DMARC] = _dmarc(ctx, results["dmarc"])
    facts[Need.ALIGNMENT] = _alignment(ctx, results["alignment"], facts[Need.SPF], facts[Need.DKIM])
    facts[Need.FCRDNS] = _fcrdns(ctx, results["rdns"])
    return facts


def _not_checked(check: str) -> Fact:
    return Fact(
        status=Status.NOT_CHECKED,
        detail=f"the {check} check was not run",
        topic=check,
        fix=(f"Run the {check} check too (drop --select/--ignore that exclude it).",),
    )


def _failed(result: CheckResult) -> bool:
    return any(f.severity == Severity.UNKNOWN for f in result.findings)


def _cause(result: CheckResult, *codes: str) -> str | None:
    """The code of the finding that makes a rule fail: the first of `codes` present,
    else the result's first error or warning."""
    present = [f.code for f in result.findings]
    chosen = [c for c in codes if c in present]
    problems = [f.code for f in result.findings if f.severity in (Severity.ERROR, Severity.WARNING)]
    return next(iter(chosen or problems), None)


def _probes_failed(dkim: CheckResult) -> bool:
    """Some DKIM key lookups failed: "no key found" would then be a guess."""
    return any(f.code == "dkim.probe-failed" for f in dkim.findings)


def _spf(ctx: Context, result: CheckResult | None) -> Fact:
    if result is None:
        return _not_checked("spf")
    domain = result.data.get("domain") or ctx.target.mail_from_domain
    publish = (
        f'Publish {domain}. TXT "v=spf1 include:<your provider> -all" listing every '
        "service that sends as the domain.",
    )
    if not result.data.get("record"):
        if _failed(result):
            return Fact(status=Status.UNKNOWN, detail=f"the SPF lookup of {domain} failed")
        return Fact(
            status=Status.NOT_MET,
            detail=f"{domain} has no SPF record",
            fix=publish,
            cause=_cause(result, "spf.missing"),
        )
    verdicts = result.data.get("results") or {}
    failing = {ip: v for ip, v in verdicts.items() if v != "pass"}
    if any(v == "temperror" for v in failing.values()):
        return Fact(status=Status.UNKNOWN, detail="SPF evaluation hit a DNS error (temperror)")
    if failing:
        listed = ", ".join(f"{ip}: {v}" for ip, v in failing.items())
        return Fact(
            status=Status.NOT_MET,
            detail=f"SPF of {domain} does not pass for {listed}",
            cause=_cause(result),
            fix=tuple(
                f"Authorize {ip} in the SPF record at {domain}: add "
                f"ip{'6' if ':' in ip else '4'}:{ip} to {domain}. TXT"
                for ip in failing
            ),
        )
    if result.status == Severity.ERROR:
        return Fact(
            status=Status.NOT_MET,
            detail=f"the SPF record of {domain} has errors (see spf)",
            cause=_cause(result),
            fix=("Fix the SPF record as the spf findings say.",),
        )
    checked = (
        f"passes for {', '.join(verdicts)}"
        if verdicts
        else "published (give --ip to test a sending IP)"
    )
    return Fact(status=Status.MET, detail=f"SPF of {domain} {checked}")


def _dkim(ctx: Context, result: CheckResult | None) -> Fact:
    if result is None:
        return _not_checked("dkim")
    domains = result.data.get("domains") or []
    if domains:
        return Fact(status=Status.MET, detail=f"DKIM key found for {', '.join(domains)}")
    publish = (
        f'Publish <selector>._domainkey.{ctx.target.domain}. TXT "v=DKIM1; k=rsa; '
        'p=<base64 public key>" and sign with it.',
    )
    if result.data.get("selectors"):
        return Fact(
            status=Status.NOT_MET,
            detail="DKIM keys found are revoked or unusable",
            fix=publish,
            cause=_cause(result),
        )
    if _probes_failed(result) or (
        _failed(result) and not any(f.code == "dkim.no-selector-found" for f in result.findings)
    ):
        return Fact(status=Status.UNKNOWN, detail="DKIM selector lookups failed")
    return Fact(
        status=Status.NOT_VISIBLE,
        topic="dkim-selector",
        detail="no DKIM key at the selectors tried; selectors cannot be listed from DNS",
        fix=(
            "Run again with --selector S, S being the s= of the DKIM-Signature header "
            "of a message you sent.",
        ),
    )


def _key_size(result: CheckResult | None) -> Fact:
    if result is None:
        return _not_checked("dkim")
    keys = {s: k for s, k in (result.data.get("selectors") or {}).items() if k.get("valid")}
    small = [
        s
        for s, k in keys.items()
        if k["key_type"] == "rsa" and (k["bits"] or 0) < 1024 and not k["revoked"]
    ]
    if small:
        return Fact(
            status=Status.NOT_MET,
            detail=f"RSA keys under 1024 bits: {', '.join(small)}",
            cause=_cause(result, "dkim.key-too-small"),
            fix=(
                "Publish a 2048-bit key at a new selector: <new>._domainkey.DOMAIN. TXT "
                '"v=DKIM1; k=rsa; p=<base64 public key>", sign with it, revoke the old.',
            ),
        )
    if keys:
        return Fact(status=Status.MET, detail=f"keys found: {', '.join(keys)}")
    if _probes_failed(result):
        return Fact(status=Status.UNKNOWN, detail="DKIM selector lookups failed")
    return Fact(
        status=Status.NOT_VISIBLE,
        topic="dkim-selector",
        detail="no DKIM key found",
        fix=("Run again with --selector S (the s= of your DKIM-Signature header).",),
    )


def _dmarc(ctx: Context, result: CheckResult | None) -> Fact:
    if result is None:
        return _not_checked("dmarc")
    policy, found_at = result.data.get("effective_policy"), result.data.get("found_at")
    if policy:
        return Fact(status=Status.MET, detail=f"policy {policy} (record at {found_at})")
    if _failed(result) and not result.data.get("record"):
        return Fact(status=Status.UNKNOWN, detail="the DMARC lookup failed")
    domain = ctx.target.domain
    return Fact(
        status=Status.NOT_MET,
        detail=f"no usable DMARC record governs {domain}",
        cause=_cause(result, "dmarc.missing"),
        fix=(
            f'Publish _dmarc.{domain}. TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}"',
        ),
    )


def _alignment(ctx: Context, result: CheckResult | None, spf: Fact, dkim: Fact) -> Fact:
    """Aligned *and* passing: an aligned domain without SPF or a DKIM key does not count."""
    if result is None:
        return _not_checked("alignment")
    aligned = result.data.get("aligned") or {}
    spf_ok = bool(aligned.get("spf")) and spf.status == Status.MET
    dkim_ok = bool(aligned.get("dkim")) and dkim.status == Status.MET
    if spf_ok or dkim_ok:
        which = " and ".join(n for n, ok in (("SPF", spf_ok), ("DKIM", dkim_ok)) if ok)
        return Fact(
            status=Status.MET, detail=f"From domain aligned with the passing {which} domain"
        )
    fix = (
        f"Sign with d={ctx.target.domain}: <selector>._domainkey.{ctx.target.domain}. TXT "
        '"v=DKIM1; k=rsa; p=<base64 public key>", or send with an envelope sender under it '
        "whose SPF record authorizes you.",
    )
    if dkim.status == Status.UNKNOWN:
        return Fact(status=Status.UNKNOWN, detail="no aligned, passing SPF; DKIM lookups failed")
    if aligned.get("dkim") is None or dkim.status == Status.NOT_VISIBLE:
        return Fact(
            status=Status.NOT_VISIBLE,
            topic="dkim-selector",
            fix=fix,
            detail="no aligned, passing SPF; DKIM alignment unknown (no key found)",
        )
    if aligned.get("spf") and spf.status == Status.UNKNOWN:
        return Fact(status=Status.UNKNOWN, detail="SPF is aligned but its result is unknown")
    return Fact(
        status=Status.NOT_MET,
        fix=fix,
        detail="neither an aligned SPF domain that passes nor an aligned DKIM key",
        cause=_cause(result),
    )


def _fcrdns(ctx: Context, result: CheckResult | None) -> Fact:
    if result is None:
        return _not_checked("rdns")
    if not ctx.target.ips:
        return Fact(
            status=Status.NOT_VISIBLE,
            topic="sending-ip",
            detail="no --ip given",
            fix=("Run again with --ip for each address your mail leaves from.",),
        )
    states = {ip: (result.data.get(ip) or {}).get("fcrdns") for ip in ctx.target.ips}
    bad = [ip for ip, ok in states.items() if ok is False]
    if bad:
        return Fact(
            status=Status.NOT_MET,
            detail=f"no forward-confirmed PTR for {', '.join(bad)}",
            cause=_cause(result, "rdns.missing", "rdns.not-confirmed"),
            fix=tuple(
                f"Set the PTR of {ip} to your mail host name and publish that "
                f"name's A/AAAA record pointing to {ip}."
                for ip in bad
            ),
        )
    if any(ok is None for ok in states.values()):
        return Fact(status=Status.UNKNOWN, detail="a PTR lookup failed")
    return Fact(status=Status.MET, detail=f"forward-confirmed PTR for {', '.join(states)}")


_ORDER = [Status.MET, Status.NOT_VISIBLE, Status.NOT_CHECKED, Status.UNKNOWN, Status.NOT_MET]


def _either(a: Fact, b: Fact) -> Fact:
    best = min(a, b, key=lambda f: _ORDER.index(f.status))
    return best if best.status != Status.NOT_MET else _joined(Status.NOT_MET, a, b)


def _both(a: Fact, b: Fact) -> Fact:
    worst = max(a, b, key=lambda f: _ORDER.index(f.status))
    return worst if worst.status != Status.MET else _joined(Status.MET, a, b)


def _joined(status: Status, a: Fact, b: Fact) -> Fact:
    return Fact(
        status=status, detail=f"{a.detail}; {b.detail}", fix=a.fix + b.fix, cause=a.cause or b.cause
    )


def _findings(judged: list[tuple[Rule, Fact]]) -> list[Finding]:
    findings = [
        _rule_finding(r, f) for r, f in judged if f.status in (Status.NOT_MET, Status.UNKNOWN)
    ]
    groups: dict[tuple[Status, str], list[tuple[Rule, Fact]]] = {}
    for rule, fact in judged:
        key = {
            Status.MET: rule.provider,
            Status.NOT_VISIBLE: fact.topic,
            Status.NOT_CHECKED: fact.topic,
        }.get(fact.status)
        if key is not None:
            groups.setdefault((fact.status, key), []).append((rule, fact))
    findings += [_group_finding(status, key, items) for (status, key), items in groups.items()]
    return findings


def _rule_finding(rule: Rule, fact: Fact) -> Finding:
    who = f"{PROVIDERS[rule.provider]} ({'all senders' if rule.applies_to == 'all' else 'bulk senders'})"
    if fact.status == Status.UNKNOWN:
        return Finding(
            code="requirements.unknown",
            severity=Severity.UNKNOWN,
            subject=rule.id,
            summary=f"{who}: {rule.text}: cannot tell, {fact.detail}",
            remediation=("Run again; see the unknown findings of the other checks.",),
        )
    return Finding(
        code="requirements.not-met",
        severity=Severity.ERROR if rule.applies_to == "all" else Severity.WARNING,
        subject=rule.id,
        summary=f"{who}: {rule.text}: not met, {fact.detail}",
        remediation=fact.fix,
        caused_by=fact.cause,
    )


def _group_finding(status: Status, key: str, items: list[tuple[Rule, Fact]]) -> Finding:
    ids = ", ".join(rule.id for rule, _ in items)
    fact = items[0][1]
    if status == Status.MET:
        return Finding(
            code="requirements.met",
            severity=Severity.OK,
            subject=key,
            summary=f"{PROVIDERS[key]}: met: {ids}",
            evidence=tuple(f"{r.id}: {f.detail}" for r, f in items),
        )
    visible = status == Status.NOT_VISIBLE
    return Finding(
        code="requirements.not-visible" if visible else "requirements.not-checked",
        severity=Severity.INFO,
        subject=key,
        remediation=fact.fix,
        summary=f"{'Not decided from DNS' if visible else 'Not judged'} ({fact.detail}): {ids}",
    )
