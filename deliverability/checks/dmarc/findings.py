"""The findings of the dmarc check, built from a Tree Walk and a parsed record.

Split from checks/dmarc.py to keep each module to one concern: dmarc.py decides what
to look at, this module says what each defect means and which record fixes it.
"""

from __future__ import annotations

import asyncio
import dataclasses

from deliverability.change import Action, Change, joined_txt, txt_change, txt_value
from deliverability.checks.dmarc.parse import (
    DmarcRecord,
    Problem,
    ProblemKind,
    is_dmarc,
    looks_like_dmarc,
    parse_dmarc,
)
from deliverability.checks.dmarc.tree import Step, Walk, tree_walk
from deliverability.finding import Finding, Severity
from deliverability.net.dns import OFFLINE, OFFLINE_FIX, Answer, DnsClient, LookupFailed

MAX_URIS = 2  # RFC 9990: receivers need not send to more than two addresses per tag


def step_findings(walk: Walk, apex: Answer | None) -> list[Finding]:
    """Defects of the names asked: duplicates, look-alikes, misplaced records, failures."""
    findings = [_multiple(step) for step in walk.steps if len(step.dmarc_texts) > 1]
    own = walk.steps[0]
    for text in own.texts:
        if looks_like_dmarc(text):
            findings.append(_look_alike(own, text, alone=not own.dmarc_texts))
        elif not is_dmarc(text):
            findings.append(_unrelated(own, text))
    if apex is not None and any(is_dmarc(text) for text in apex.texts()):
        findings.append(_wrong_place(walk.domain, apex))
    failed = walk.failure
    if failed is not None:
        # With DOMAIN's own record found, only the organizational domain is in doubt.
        own_record = bool(walk.found) and walk.found[0].domain == walk.domain
        findings.append(
            Finding(
                code="dmarc.walk-failed",
                severity=Severity.INFO if own_record else Severity.UNKNOWN,
                subject=failed.name,
                summary=f"Could not look up {failed.name}: {failed.failure}; the "
                + ("organizational domain" if own_record else "policy or organizational domain")
                + " higher in the tree is unknown",
                remediation=(
                    OFFLINE_FIX
                    if failed.failure == OFFLINE
                    else "Run again; if it persists, check the DNS servers of "
                    + failed.domain
                    + ".",
                ),
            )
        )
    return findings


def _multiple(step: Step) -> Finding:
    return Finding(
        code="dmarc.multiple",
        severity=Severity.ERROR,
        subject=step.name,
        summary=f"{step.name} has {len(step.dmarc_texts)} DMARC records; receivers discard "
        "them all (RFC 9989 4.10)",
        evidence=tuple(f"{step.name} TXT {text}" for text in step.dmarc_texts),
        remediation=(f"Delete all but one v=DMARC1 TXT record at {step.name}.",),
        location=step.answer.location if step.answer else None,
    )


def _look_alike(step: Step, text: str, *, alone: bool) -> Finding:
    tags = [part.strip() for part in text.split(";") if part.strip()]
    rest = [t for t in tags if t.partition("=")[0].strip().lower() != "v"]
    fixed = "; ".join(["v=DMARC1", *rest])
    old = step.answer.presentation_of(text) if step.answer else None
    changes: tuple[Change, ...] = ()
    if old is not None and alone:  # the record meant: corrected, with its own fixes merged
        changes = (
            dataclasses.replace(txt_change(step.name, text, _with_fixes(step, fixed)), old=old),
        )
    elif old is not None:  # ignored beside the record that governs: deleting it changes nothing
        changes = (Change(name=step.name, type="TXT", action=Action.REMOVE, old=old),)
    return Finding(
        code="dmarc.look-alike",
        severity=Severity.ERROR if alone else Severity.WARNING,
        subject=step.name,
        summary=f"A TXT record at {step.name} looks like DMARC but does not start with the exact "
        "tag v=DMARC1, so receivers ignore it",
        evidence=(f"{step.name} TXT {text}",),
        remediation=(
            f'Replace it with {step.name}. TXT "{fixed}"'
            if alone
            else "Delete it: the v=DMARC1 record beside it is the one receivers read.",
        ),
        location=step.answer.location if step.answer else None,
        changes=changes,
    )


def _with_fixes(step: Step, fixed: str) -> str:
    """`fixed` with the edits its own findings would propose (p=none -> testing mode, ...),
    all DMARC changes of one name being one record."""
    record = parse_dmarc(fixed)
    policy = record.policy.value if record.policy is not None else None
    own = txt_value(fixed)
    for finding in record_findings(step.domain, step, record, policy):
        for change in finding.changes:
            if change.old == own and change.new:
                return joined_txt(change.new)
    return fixed


def _unrelated(step: Step, text: str) -> Finding:
    return Finding(
        code="dmarc.unrelated-txt",
        severity=Severity.INFO,
        subject=step.name,
        summary=f"{step.name} also holds a TXT record that is not DMARC; receivers ignore it",
        evidence=(f"{step.name} TXT {text}",),
        remediation=(f"Delete that TXT record from {step.name} (publish it where it belongs).",),
        location=step.answer.location if step.answer else None,
    )


def _wrong_place(domain: str, apex: Answer) -> Finding:
    texts = [text for text in apex.texts() if is_dmarc(text)]
    return Finding(
        code="dmarc.wrong-place",
        severity=Severity.WARNING,
        subject=domain,
        summary=f"A DMARC record is published at {domain} itself; receivers only read _dmarc.{domain}",
        evidence=tuple(f"{domain} TXT {text}" for text in texts),
        remediation=(
            f'Publish it as _dmarc.{domain}. TXT "{texts[0]}"',
            f"Then delete the v=DMARC1 TXT record at {domain}.",
        ),
        location=apex.location,
    )


def record_findings(
    domain: str, step: Step, record: DmarcRecord, effective: str | None
) -> list[Finding]:
    """What the governing record asks for, and its defects."""
    findings = [_problem(step, record, problem) for problem in record.problems]
    if effective == "none":
        findings.append(_policy_none(domain, step, record))
    if step.domain == domain and record.policy not in {None, "none"}:
        loose = [t for t in ("sp", "np") if record.tags.get(t, "").lower() == "none"]
        if loose:
            findings.append(
                _change(
                    step,
                    record,
                    "dmarc.subdomain-policy-none",
                    Severity.INFO,
                    f"{'/'.join(loose)}=none: subdomains of {domain} can be spoofed although p is "
                    f"{record.policy}",
                    loose[0],
                    None,
                )
            )
    if record.testing and record.policy == "quarantine":
        findings.append(_staged(step, record))
    elif record.testing:
        findings.append(
            _change(
                step,
                record,
                "dmarc.testing",
                Severity.WARNING,
                "t=y (testing): receivers apply one level less than the policy",
                "t",
                None,
            )
        )
    if not record.rua:
        findings.append(
            _change(
                step,
                record,
                "dmarc.no-rua",
                Severity.WARNING,
                "No usable rua: no aggregate reports, so failures go unseen",
                "rua",
                f"mailto:dmarc-reports@{step.domain}",
            )
        )
    for tag, uris in (("rua", record.rua), ("ruf", record.ruf)):
        if len(uris) > MAX_URIS:
            findings.append(
                _change(
                    step,
                    record,
                    "dmarc.many-uris",
                    Severity.INFO,
                    f"{tag} lists {len(uris)} addresses; receivers may send to the first two only",
                    tag,
                    ",".join(u.uri for u in uris[:MAX_URIS]),
                )
            )
    return combined(findings, step, record)


_WATCH = (
    "Watch the aggregate (rua) reports for two to four weeks: every service that sends as "
    "the domain must pass SPF or DKIM aligned with it. Then drop t=y (quarantine applies), "
    "and later move to p=reject."
)


def _policy_none(domain: str, step: Step, record: DmarcRecord) -> Finding:
    tag = "sp" if step.domain != domain else "p"
    # RFC 9989: t=y asks receivers for one level less, so p=quarantine; t=y is the safe first
    # step; pct= is gone from the standard and is never suggested
    new = rewritten(record, {tag: "quarantine", "t": "y", "pct": None})
    return Finding(
        code="dmarc.policy-none",
        severity=Severity.WARNING,
        subject=step.name,
        summary=f"DMARC policy for {domain} is none: receivers deliver mail that fails DMARC, "
        "spoofed mail included",
        evidence=(f"{step.name} TXT {record.text}",),
        remediation=(f"Move to {tag}=quarantine in testing mode (t=y). {_WATCH}",),
        location=step.answer.location if step.answer else None,
        changes=(txt_change(step.name, record.text, new),),
    )


def _staged(step: Step, record: DmarcRecord) -> Finding:
    """p=quarantine with t=y: the first step of enforcement, the plan rather than a problem."""
    return Finding(
        code="dmarc.testing",
        severity=Severity.INFO,
        subject=f"{step.name} t",
        summary="t=y (testing) with p=quarantine: receivers still treat failing mail as "
        "p=none asks; this is the first step towards enforcement",
        evidence=(f"{step.name} TXT {record.text}",),
        remediation=(_WATCH,),
        location=step.answer.location if step.answer else None,
    )


def rewritten(record: DmarcRecord, edits: dict[str, str | None]) -> str:
    """The record text with every tag in `edits` set (None drops it), the others kept."""
    text = record.text
    for tag, value in edits.items():
        text = parse_dmarc(text).rewritten(tag, value)
    return text


def combined(findings: list[Finding], step: Step, record: DmarcRecord) -> list[Finding]:
    """Every finding's edit of the record merged into one record, offered by each of them,
    so following one never undoes another (the tags each proposal sets or drops)."""
    own = txt_value(record.text)
    proposals = [c for f in findings for c in f.changes if c.old == own and c.new]
    if not proposals:
        return findings
    before = {"v": "DMARC1", **record.tags}
    edits: dict[str, str | None] = {}
    for change in proposals:
        after = {"v": "DMARC1", **parse_dmarc(joined_txt(change.new or "")).tags}
        edits |= {t: v for t, v in after.items() if before.get(t) != v}
        edits |= dict.fromkeys((t for t in before if t not in after), None)
    old = (step.answer.presentation_of(record.text) if step.answer else None) or own
    change = dataclasses.replace(proposals[0], old=old, new=txt_value(rewritten(record, edits)))
    return [
        dataclasses.replace(f, changes=(change,))
        if any(c.old == own and c.new for c in f.changes)
        else f
        for f in findings
    ]


def _change(
    step: Step,
    record: DmarcRecord,
    code: str,
    severity: Severity,
    summary: str,
    tag: str,
    value: str | None,
) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        subject=step.name if code == "dmarc.policy-none" else f"{step.name} {tag}",
        summary=summary,
        evidence=(f"{step.name} TXT {record.text}",),
        remediation=(f"Set {tag}={value}." if value else f"Drop {tag}=.",),
        location=step.answer.location if step.answer else None,
        changes=(txt_change(step.name, record.text, record.rewritten(tag, value)),),
    )


_PROBLEM_CODES = {
    ProblemKind.SYNTAX: "dmarc.syntax",
    ProblemKind.INVALID_VALUE: "dmarc.invalid-value",
    ProblemKind.UNKNOWN_TAG: "dmarc.unknown-tag",
    ProblemKind.REMOVED_TAG: "dmarc.removed-tag",
    ProblemKind.BAD_URI: "dmarc.bad-uri",
}
_PROBLEM_TEXT = {
    ProblemKind.SYNTAX: "is not a valid tag=value pair (or repeats a tag, or v= is not first)",
    ProblemKind.INVALID_VALUE: "has a value DMARC does not define",
    ProblemKind.UNKNOWN_TAG: "is not a DMARC tag; receivers ignore it (a typo?)",
    ProblemKind.REMOVED_TAG: "was removed by RFC 9989; receivers following it ignore the tag",
    ProblemKind.BAD_URI: "is not a usable mailto: address; no reports reach it",
}


def _problem(step: Step, record: DmarcRecord, problem: Problem) -> Finding:
    fatal = problem.kind == ProblemKind.INVALID_VALUE and problem.tag == "p"
    severity = {ProblemKind.REMOVED_TAG: Severity.INFO}.get(problem.kind, Severity.WARNING)
    summary = f"{problem.text!r} {_PROBLEM_TEXT[problem.kind]}"
    if problem.tag == "p" and "p" not in record.tags:
        summary = "The record has no p= tag"
    if fatal:
        severity = Severity.ERROR
        summary += "; receivers " + (
            "read the record as p=none" if record.rua else "ignore the record"
        )
    value = "none" if fatal else None
    if problem.kind == ProblemKind.BAD_URI:
        kept = record.rua if problem.tag == "rua" else record.ruf
        value = ",".join(uri.uri for uri in kept) or None
    fixed = record.rewritten(problem.tag, value) if problem.tag else _without_part(record)
    return Finding(
        code=_PROBLEM_CODES[problem.kind],
        severity=severity,
        subject=f"{step.name} {problem.tag}".rstrip(),
        summary=summary,
        evidence=(f"{step.name} TXT {record.text}",),
        remediation=("Correct or drop the tag.",),
        location=step.answer.location if step.answer else None,
        changes=(txt_change(step.name, record.text, fixed),),
    )


def _without_part(record: DmarcRecord) -> str:
    return record.rewritten("v", "DMARC1")  # rebuilt from the valid tags only


async def reporting_findings(
    dns: DnsClient, walk: Walk, step: Step, record: DmarcRecord
) -> list[Finding]:
    """RFC 9990 4: an address outside the organizational domain must authorize the reports."""
    org = walk.organizational_domain
    destinations = list(dict.fromkeys(u.domain for u in record.rua + record.ruf))
    results = await asyncio.gather(*(_authorization(dns, org, step, d) for d in destinations))
    return [finding for finding in results if finding is not None]


async def _authorization(dns: DnsClient, org: str, step: Step, dest: str) -> Finding | None:
    subject = f"{step.name} report {dest}"
    if dest == org or dest.endswith("." + org):
        return None
    exact = f"{step.domain}._report._dmarc.{dest}"
    try:  # one round trip: the destination's walk and both authorization names at once
        walk, named, wildcard = await asyncio.gather(
            tree_walk(dns, dest), dns.txt(exact), dns.txt(f"*._report._dmarc.{dest}")
        )
    except LookupFailed as exc:
        return Finding(
            code="dmarc.report-lookup-failed",
            severity=Severity.UNKNOWN,
            subject=subject,
            summary=f"Could not tell whether {dest} accepts reports for {step.domain}: {exc.reason}",
            remediation=("Run again; if it persists, check the DNS servers of " + dest + ".",),
        )
    # A wildcard record authorizes every policy domain (RFC 9990 4).
    if walk.organizational_domain == org or any(is_dmarc(t) for t in named + wildcard):
        return None
    return Finding(
        code="dmarc.report-unauthorized",
        severity=Severity.WARNING,
        subject=subject,
        summary=f"Report address domain {dest} is outside {org} and has not authorized "
        f"reports for {step.domain}; receivers will not send them there",
        evidence=(
            *(f"{step.name} TXT {text}" for text in step.dmarc_texts),
            f"{exact} TXT: no v=DMARC1 record",
            f"*._report._dmarc.{dest} TXT: no v=DMARC1 record",
        ),
        remediation=(
            f'Ask the operator of {dest} to publish {exact}. TXT "v=DMARC1"',
            f"Or send reports to an address under {org}.",
        ),
    )
