"""Findings about one published SPF record and its walk: syntax, limits, policy, networks.

Pure functions of what the walk saw (spf_walk.Walk) and the parsed record; the spf
check (checks/spf.py) calls `record_findings()`. Each remediation names the record
to publish, edited from the one seen (spf_advice).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from deliverability.change import Change, txt_change
from deliverability.checks.spf.advice import all_terms, edited, modifiers
from deliverability.checks.spf.changes import decision, nearest_include, record_fix
from deliverability.checks.spf.parse import MAX_RECORD_BYTES, Problem, SpfRecord
from deliverability.checks.spf.reduce import fewer_lookups, ranges_moved
from deliverability.checks.spf.walk import MAX_NETWORKS, MX_HOST_BUDGET, TERM_BUDGET, Hit, Walk
from deliverability.finding import Finding, Location, Severity, capped
from deliverability.net.addresses import network as parsed_network

MAX_LOOKUPS = 10  # RFC 7208 4.6.4
MAX_VOID_LOOKUPS = 2  # RFC 7208 4.6.4
BROAD_PREFIX = {4: 8, 6: 32}  # ranges this wide (or wider) authorize far too many hosts
MAX_PER_CODE = 10  # findings of one code for one record; the last counts the rest
MAX_SHOWN = 2048  # characters of a record shown as evidence (real ones are under 512)


def record_findings(
    domain: str, record: SpfRecord, walk: Walk, location: Location | None
) -> list[Finding]:
    """Every finding about the record at `domain`, given its walk."""
    seen = (f"{domain} TXT {_shown(record.text)}",)
    found: list[Finding] = []
    for check in (_syntax, _policy, _order):
        found += check(domain, record, seen)
    found += _size(domain, record, walk, seen)
    found += _walk_findings(domain, record, walk, seen)
    unique = {f.identity: f for f in reversed(found)}  # the same term met twice: report it once
    return [_at(f, location) for f in _at_most_per_code(list(reversed(unique.values())))]


def _shown(text: str) -> str:
    """A record as evidence: whole unless it is far past any real record's size."""
    if len(text) <= MAX_SHOWN:
        return text
    return f"{text[:MAX_SHOWN]} ... ({len(text)} characters in all)"


def _at_most_per_code(findings: list[Finding]) -> list[Finding]:
    """At most MAX_PER_CODE findings of each code, the last saying how many more there are:
    a record of a thousand bad terms is a few findings, not a thousand."""
    counts = Counter(f.code for f in findings)
    kept: list[Finding] = []
    shown: Counter[str] = Counter()
    for finding in findings:
        shown[finding.code] += 1
        if shown[finding.code] > MAX_PER_CODE:
            continue
        more = counts[finding.code] - MAX_PER_CODE
        if shown[finding.code] == MAX_PER_CODE and more > 0:
            note = f"... and {more} more {finding.code} findings like this one"
            finding = dataclasses.replace(finding, evidence=(*finding.evidence, note))
        kept.append(finding)
    return kept


def _at(finding: Finding, location: Location | None) -> Finding:
    if location is None or finding.location is not None:
        return finding
    return dataclasses.replace(finding, location=location)


def _syntax(domain: str, record: SpfRecord, seen: tuple[str, ...]) -> list[Finding]:
    by_term: dict[str, list[Problem]] = {}
    for problem in sorted(record.problems, key=lambda p: p.position):
        by_term.setdefault(problem.term, []).append(problem)
    return [_syntax_finding(domain, record, problems, seen) for problems in by_term.values()]


def _syntax_finding(
    domain: str, record: SpfRecord, problems: list[Problem], seen: tuple[str, ...]
) -> Finding:
    text, position = problems[0].term, problems[0].position
    messages = "; ".join(dict.fromkeys(p.message for p in problems))
    where = f"term {position} '{text}'" if position else "the record"
    fix = (
        f"Fix or remove term {position} '{text}'."
        if position
        else "Publish the record in plain ASCII (no other characters)."
    )
    changes = record_fix(domain, record, edited(record, drop=(text,))) if position else ()
    return Finding(
        code="spf.syntax",
        severity=Severity.ERROR,
        subject=f"{domain} {text[:60]}",
        summary=f"Syntax error in the SPF record of {domain}, {where}: {messages}; "
        "receivers return permerror",
        evidence=seen,
        remediation=(fix,),
        changes=changes,
    )


def _size(domain: str, record: SpfRecord, walk: Walk, seen: tuple[str, ...]) -> list[Finding]:
    size = len(record.text.encode("utf-8", "replace"))
    if size <= MAX_RECORD_BYTES:
        return []
    return [
        Finding(
            code="spf.too-long",
            severity=Severity.WARNING,
            subject=domain,
            summary=f"The SPF record of {domain} is {size} bytes; over {MAX_RECORD_BYTES} it may "
            "not fit one UDP answer (RFC 7208 3.4)",
            evidence=seen,
            remediation=(
                f"Move ranges into a separate record, e.g. publish "
                f'_spf.{domain}. TXT "v=spf1 <ip4/ip6 terms> -all" and use '
                f"include:_spf.{domain} in {domain}'s record.",
            ),
            changes=_shorter(domain, record, walk),
        )
    ]


def _shorter(domain: str, record: SpfRecord, walk: Walk) -> tuple[Change, ...]:
    slimmed = ranges_moved(domain, record, walk)
    if slimmed is None:
        return decision(
            domain,
            f"Moving the record's ip4:/ip6: ranges into _spf.{domain} would not make it short "
            "enough, or would pass 10 lookups: first drop the includes of senders you no "
            "longer use, or move one sender to a subdomain with its own SPF record.",
        )
    added = tuple(txt_change(name, None, text) for name, text in slimmed.added)
    return record_fix(domain, record, slimmed.text, note=slimmed.note) + added


def _policy(domain: str, record: SpfRecord, seen: tuple[str, ...]) -> list[Finding]:
    final = record.all_term
    if final is None:
        if record.redirect is not None:
            return []
        return [
            Finding(
                code="spf.no-all",
                severity=Severity.WARNING,
                subject=domain,
                summary=f"The SPF record of {domain} has no 'all' and no redirect=: mail from "
                "any other host gets neutral, which protects nothing",
                evidence=seen,
                remediation=(
                    "End the record with ~all; once DMARC reports show every source "
                    "passing, make it -all.",
                ),
                changes=record_fix(domain, record, _ending_in_softfail(record)),
            )
        ]
    if final.qualifier == "+":
        return [
            Finding(
                code="spf.pass-all",
                severity=Severity.ERROR,
                subject=domain,
                summary=f"The SPF record of {domain} ends in '{final.text}': anyone may send as {domain}",
                evidence=seen,
                remediation=(
                    "List every host and provider that sends as the domain, then end the "
                    "record in ~all (-all once DMARC reports show every source passing).",
                ),
                changes=record_fix(domain, record, _ending_in_softfail(record)),
            )
        ]
    if final.qualifier == "?":
        return [
            Finding(
                code="spf.neutral-all",
                severity=Severity.WARNING,
                subject=domain,
                summary=f"The SPF record of {domain} ends in '?all': other hosts get neutral, "
                "so SPF says nothing about forgeries",
                evidence=seen,
                remediation=(
                    "Replace ?all with ~all (-all once DMARC reports show every source passing).",
                ),
                changes=record_fix(domain, record, _ending_in_softfail(record)),
            )
        ]
    return []


def _ending_in_softfail(record: SpfRecord) -> str:
    # every `all` goes, not just the first: "+all ... -all" must not become "~all ... -all";
    # ~all, not -all: a sender nobody listed is marked, not refused, until reports show it
    return edited(record, drop=tuple(all_terms(record)), ending="~all")


def _order(domain: str, record: SpfRecord, seen: tuple[str, ...]) -> list[Finding]:
    found = []
    final = record.all_term
    if final is not None:
        after = [t.text for t in record.mechanisms if t.position > final.position]
        if after:
            found.append(
                Finding(
                    code="spf.after-all",
                    severity=Severity.WARNING,
                    subject=domain,
                    summary=f"Terms after '{final.text}' are never evaluated: {' '.join(after)}",
                    evidence=seen,
                    remediation=("Move them before 'all' (or delete them).",),
                    changes=record_fix(
                        domain,
                        record,
                        edited(record, drop=tuple(all_terms(record)), ending=final.text),
                    ),
                )
            )
        redirects = modifiers(record, "redirect")
        if redirects:
            found.append(
                Finding(
                    code="spf.redirect-ignored",
                    severity=Severity.WARNING,
                    subject=domain,
                    summary=f"'{redirects[0]}' is ignored because the record has '{final.text}' "
                    "(RFC 7208 6.1)",
                    evidence=seen,
                    remediation=("Keep one of them: the record's own 'all' is what applies.",),
                    changes=record_fix(domain, record, edited(record, drop=tuple(redirects))),
                )
            )
    return found


def _walk_findings(
    domain: str, record: SpfRecord, walk: Walk, seen: tuple[str, ...]
) -> list[Finding]:
    found = _lookup_findings(domain, record, walk, seen) + _void_findings(
        domain, record, walk, seen
    )
    found += [
        _hit_finding(
            "spf.loop",
            Severity.ERROR,
            hit,
            record,
            domain,
            f"'{hit.term}' in {hit.domain} loops back: {hit.detail}; receivers return permerror",
        )
        for hit in walk.loops
    ]
    found += [
        _hit_finding(
            "spf.include-no-record",
            Severity.ERROR,
            hit,
            record,
            domain,
            f"'{hit.term}' in {hit.domain} names a domain with no SPF record; "
            "receivers return permerror (RFC 7208 5.2, 6.1)",
        )
        for hit in walk.no_record + walk.several_records
    ]
    found += [
        _hit_finding(
            "spf.mx-too-many",
            Severity.ERROR,
            hit,
            record,
            domain,
            f"'{hit.term}' in {hit.domain} has {hit.detail}; over 10 is a "
            "permerror (RFC 7208 4.6.4)",
        )
        for hit in walk.big_mx
    ]
    found += [
        _hit_finding(
            "spf.ptr",
            Severity.WARNING,
            hit,
            record,
            domain,
            f"'{hit.term}' in {hit.domain} uses ptr, which RFC 7208 5.5 says "
            "not to use: slow, unreliable, and some receivers skip it",
        )
        for hit in walk.ptrs
    ]
    found += [
        Finding(
            code="spf.unresolved",
            severity=Severity.UNKNOWN,
            subject=hit.where,
            summary=f"Could not resolve '{hit.term}' in {hit.domain}: {hit.detail}; receivers "
            "meeting this get temperror",
            evidence=seen + _chain(hit),
            remediation=(
                f"Retry; if it persists, check the DNS servers answering for the "
                f"name in '{hit.term}' (the record at {hit.domain}).",
            ),
        )
        for hit in walk.failures
    ]
    found += [
        Finding(
            code="spf.syntax",
            severity=Severity.ERROR,
            subject=f"{target} {problem.term[:60]}",
            summary=f"Syntax error in the included SPF record of {target}, term "
            f"{problem.position} '{problem.term}': {problem.message}",
            evidence=(f"{target} TXT {_shown(walk.records.get(target, ''))}",),
            remediation=(
                f"Ask the owner of {target} to fix its record, or remove the include "
                f"of {target} from {domain}'s record.",
            ),
        )
        for target, problem in walk.problems
    ]
    return found + _network_findings(domain, record, walk, seen)


def _chain(hit: Hit) -> tuple[str, ...]:
    return (f"reached via {' > '.join(hit.via)}",) if hit.via else ()


def _hit_finding(
    code: str, severity: Severity, hit: Hit, record: SpfRecord, domain: str, summary: str
) -> Finding:
    changes: tuple[Change, ...] = ()
    if hit.domain == domain:
        fix, changes = _own_hit_fix(code, hit, record, domain)
    else:
        fix = (
            f"Remove '{hit.term}' from the record at {hit.domain} (its owner must change "
            f"it), or remove '{hit.via[0] if hit.via else hit.term}' from {domain}'s record."
        )
    return Finding(
        code=code,
        severity=severity,
        subject=hit.where,
        summary=summary,
        evidence=(f"{domain} TXT {record.text}",) + _chain(hit),
        remediation=(fix,),
        changes=changes,
    )


def _own_hit_fix(
    code: str, hit: Hit, record: SpfRecord, domain: str
) -> tuple[str, tuple[Change, ...]]:
    if code != "spf.include-no-record" or not hit.term.lower().startswith("include:"):
        return f"Remove or replace '{hit.term}'.", record_fix(
            domain, record, edited(record, drop=(hit.term,))
        )
    target = hit.term.split(":", 1)[1]
    meant = nearest_include(target)
    if meant is None:  # dropping it might cut off a provider: the owner has to say which
        note = (
            f"Find out which provider '{hit.term}' was meant to authorize and put its "
            "documented include in its place in the SPF record; delete it only if nothing "
            "sends through it."
        )
        return f"'{target}' publishes no SPF record.", decision(domain, note)
    fix = f"'{target}' looks like a typo of the provider include '{meant}'."
    return fix, record_fix(domain, record, edited(record, replace={hit.term: f"include:{meant}"}))


def _lookup_findings(
    domain: str, record: SpfRecord, walk: Walk, seen: tuple[str, ...]
) -> list[Finding]:
    if walk.lookups <= MAX_LOOKUPS:
        return []
    costly = sorted(walk.breakdown.items(), key=lambda item: -item[1])
    breakdown = tuple(f"{term}: {cost} lookup{'s' if cost != 1 else ''}" for term, cost in costly)
    nested = tuple(
        f"{' > '.join((*hit.via, hit.term))}: {cost} lookups"
        for hit, cost in walk.include_costs
        if hit.via
    )
    worst = costly[0][0]
    needs = f"at least {walk.lookups}" if walk.unfollowed else str(walk.lookups)
    return [
        Finding(
            code="spf.too-many-lookups",
            severity=Severity.ERROR,
            subject=domain,
            summary=f"The SPF record of {domain} needs {needs} DNS lookups; over 10 is a "
            f"permerror (RFC 7208 4.6.4). Costliest: {worst} ({costly[0][1]})" + _stopped(walk),
            evidence=seen
            + stopped_evidence(walk)
            + capped(breakdown, "top-level terms")
            + capped(nested, "includes"),
            remediation=(
                "Remove includes you no longer send through, and includes another one "
                "already covers; flatten an include into ip4:/ip6: terms only if its networks "
                "are static, and re-check them on a date you note.",
            ),
            changes=_fewer_lookups(domain, record, walk, worst),
        )
    ]


def _stopped(walk: Walk) -> str:
    if not walk.unvisited:
        return ""
    return (
        f". The check stopped after resolving {walk.visited} DNS-querying terms, as "
        "receivers stop at 10; the rest were counted from the records' text"
    )


def stopped_evidence(walk: Walk) -> tuple[str, ...]:
    """What the walk left out, so a reader knows the count is what the text shows."""
    if not walk.truncated:
        return ()
    lines = []
    if walk.unvisited:
        lines.append(
            f"walk stopped at its budget of {TERM_BUDGET} DNS-querying terms: "
            f"{walk.unvisited} more counted from the records' text but not looked up"
        )
    if walk.unfollowed:
        lines.append(
            f"{walk.unfollowed} include/redirect terms not followed: the lookups of the "
            f"records they name are not counted, so the total is at least {walk.lookups}"
        )
    if walk.hosts_left_out:
        lines.append(
            f"{walk.hosts_left_out} MX hosts' addresses not looked up (at most "
            f"{MX_HOST_BUDGET} per walk)"
        )
    if walk.networks_left_out:
        lines.append(
            f"{walk.networks_left_out} more authorized networks not listed (at most "
            f"{MAX_NETWORKS} per walk)"
        )
    return tuple(lines)


def _fewer_lookups(domain: str, record: SpfRecord, walk: Walk, worst: str) -> tuple[Change, ...]:
    """Drop what adds nothing, then flatten static includes (reduce.py); when no edit
    fits the limits, the owner decides which sender to move."""
    slimmed = fewer_lookups(domain, record, walk)
    if slimmed is not None:
        return record_fix(domain, record, slimmed.text, note=slimmed.note)
    return decision(
        domain,
        f"Decide which sender to drop or move to a subdomain of {domain} with its own SPF "
        f"record (the costliest is '{worst}'); no edit of this record stays within 10 lookups, "
        "2 void lookups and 512 bytes without that choice (no include that repeats or is "
        "covered by another, nor enough includes of static ranges to flatten).",
    )


def _void_findings(
    domain: str, record: SpfRecord, walk: Walk, seen: tuple[str, ...]
) -> list[Finding]:
    if not walk.voids:
        return []
    lines = capped(tuple(f"{hit.where}: {hit.detail}" for hit in walk.voids), "void lookups")
    own = tuple(hit.term for hit in walk.voids if hit.domain == domain)
    fix = (
        ("Remove the terms that name nothing.",)
        if own
        else ("Ask the owners of the records listed to remove the terms that name nothing.",)
    )
    # past the walk's budget, dropping these only brings the next unseen terms into view
    changes = (
        record_fix(domain, record, edited(record, drop=own)) if own and not walk.truncated else ()
    )
    if len(walk.voids) > MAX_VOID_LOOKUPS:
        return [
            Finding(
                code="spf.too-many-void-lookups",
                severity=Severity.ERROR,
                subject=domain,
                summary=f"{len(walk.voids)} lookups of {domain}'s SPF record find nothing "
                "(NXDOMAIN or no records); over 2 is a permerror (RFC 7208 4.6.4)",
                evidence=seen + lines,
                remediation=fix,
                changes=changes,
            )
        ]
    return [
        Finding(
            code="spf.void-lookup",
            severity=Severity.WARNING,
            subject=hit.where,
            summary=f"'{hit.term}' in {hit.domain} names nothing ({hit.detail}); it counts "
            "toward the limit of two void lookups (RFC 7208 4.6.4)",
            evidence=seen + (f"{hit.where}: {hit.detail}",) + _chain(hit),
            remediation=fix,
            changes=changes if hit.domain == domain else (),
        )
        for hit in walk.voids
    ]


_NARROW = (
    "Only the owner knows which addresses send: replace '{term}' in the record with "
    "those exact ranges."
)


def _network_findings(
    domain: str, record: SpfRecord, walk: Walk, seen: tuple[str, ...]
) -> list[Finding]:
    found = []
    for net in walk.networks:
        network = parsed_network(net.network)
        if network.prefixlen > BROAD_PREFIX[network.version]:
            continue
        fix = (
            f"Replace '{net.term}' with the exact ranges you send from."
            if not net.via
            else f"Remove '{net.via[0]}' from {domain}'s record, or ask its "
            f"owner to narrow '{net.term}'."
        )
        found.append(
            Finding(
                code="spf.broad-range",
                severity=Severity.ERROR if network.prefixlen == 0 else Severity.WARNING,
                subject=f"{domain} {net.term}",
                summary=f"'{net.term}' authorizes {network} ({network.num_addresses:.3g} addresses): "
                "anyone on that range may send as the domain",
                evidence=seen + _chain(Hit(domain=domain, term=net.term, via=net.via)),
                remediation=(fix,),
                changes=() if net.via else decision(domain, _NARROW.format(term=net.term)),
            )
        )
    if walk.unflattenable:
        found.append(
            Finding(
                code="spf.unflattenable",
                severity=Severity.INFO,
                subject=domain,
                summary="Some terms authorize hosts that cannot be listed as address ranges "
                "(macros, exists, ptr); allowlists built from SPF miss them",
                evidence=capped(tuple(f"{hit.where}" for hit in walk.unflattenable), "terms"),
                remediation=(
                    "Nothing to change for SPF itself. To list every sender, replace them "
                    "in the record with the ip4:/ip6: ranges of the hosts they stand for.",
                ),
            )
        )
    return found
