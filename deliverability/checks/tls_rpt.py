"""TLS-RPT (RFC 8460): where sending servers report TLS failures delivering to the domain.

A `_smtp._tls` TXT record `v=TLSRPTv1; rua=...` names where daily reports go
(`mailto:` or `https:` URIs, comma-separated). Without it an MTA-STS or DANE
problem stays invisible until mail stops arriving. Senders use the record only if
exactly one record starts with `v=TLSRPTv1` (RFC 8460 3).
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import unquote, urlsplit

from deliverability.change import Change, sole_record, txt_value
from deliverability.checks.dmarc.suffixes import public_suffix_list
from deliverability.checks.dmarc.tree import psl_organizational_domain, tree_walk
from deliverability.context import Context
from deliverability.finding import Finding, Severity, finding_with_fix
from deliverability.net.dns import Answer, LookupFailed

NAME = "tls-rpt"
CODES = {
    "tls-rpt.ok": "A valid TLS-RPT record names where reports go",
    "tls-rpt.missing": "No TLS-RPT record: TLS delivery failures go unreported",
    "tls-rpt.multiple": "More than one v=TLSRPTv1 record: senders use none",
    "tls-rpt.invalid": "The TLS-RPT record is malformed or a rua URI is not valid",
}
MAX_CANDIDATES = 4  # domains tried for the report address (rua domains, the domain)
MAX_HOSTS = 3  # MX hosts resolved to tell that a domain receives mail
_ADDRESS = re.compile(r"^[^@\s]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z0-9-]+$")


def rua_problems(record: str) -> tuple[list[str], list[str]]:
    """The record's rua URIs and what is wrong with the record or each URI."""
    parts = [p.strip() for p in record.split(";")]
    if parts[0] != "v=TLSRPTv1":
        return [], ["the record must start with v=TLSRPTv1"]
    fields = dict(p.partition("=")[::2] for p in parts[1:] if p)
    rua = fields.get("rua", "").strip()
    if not rua:
        return [], ["no rua= field: the record must say where reports go"]
    uris = [u.strip() for u in rua.split(",")]
    return uris, [problem for uri in uris if (problem := _uri_problem(uri))]


def _uri_problem(uri: str) -> str | None:
    parsed = urlsplit(uri)
    if parsed.scheme == "mailto":
        address = unquote(parsed.path)
        return None if _ADDRESS.match(address) else f"{uri!r} is not a valid mailto: address"
    if parsed.scheme == "https":
        return None if parsed.hostname and "." in parsed.hostname else f"{uri!r} has no valid host"
    return f"{uri!r} must be a mailto: or https: URI (RFC 8460 3)"


async def run(ctx: Context) -> list[Finding]:
    """Read `_smtp._tls.DOMAIN` and check its rua URIs."""
    domain = ctx.target.domain
    name = f"_smtp._tls.{domain}"
    answer = await ctx.dns.query(name, "TXT")
    records = [r for r in answer.texts() if r.startswith("v=TLSRPTv1")]
    evidence = tuple(f"{name} TXT {r}" for r in records)
    ctx.data.update({"record": records[0] if len(records) == 1 else None, "rua": []})
    if not records:
        return [await _missing(ctx, domain, name, answer)]
    if len(records) > 1:
        return [await _multiple(ctx, domain, name, answer, records, evidence)]
    uris, problems = rua_problems(records[0])
    ctx.data["rua"] = uris
    if problems:
        fix, changes = await _replacement(ctx, domain, name, answer, records)
        return [
            finding_with_fix(
                "tls-rpt.invalid",
                Severity.WARNING,
                domain,
                f"The TLS-RPT record of {domain} is invalid: {'; '.join(problems)}",
                evidence,
                fix,
                location=answer.location,
                changes=changes,
            )
        ]
    return [
        finding_with_fix(
            "tls-rpt.ok",
            Severity.OK,
            domain,
            f"TLS reports for {domain} go to {', '.join(uris)}",
            evidence,
            location=answer.location,
        )
    ]


async def _missing(ctx: Context, domain: str, name: str, answer: Answer) -> Finding:
    summary = f"{domain} publishes no TLS-RPT record; TLS delivery failures go unreported"
    receives, why = await receives_mail(ctx, domain)
    fix, changes = "", tuple[Change, ...]()
    if receives is False:  # no delivery to the domain, so nothing to report
        summary = f"{domain} publishes no TLS-RPT record; it needs none: {why}"
    else:
        fix, changes = await _replacement(ctx, domain, name, answer, [])
    return finding_with_fix(
        "tls-rpt.missing",
        Severity.INFO,
        domain,
        summary,
        (f"{name} TXT: no v=TLSRPTv1 record",),
        fix,
        location=answer.location,
        changes=changes,
    )


async def _multiple(
    ctx: Context,
    domain: str,
    name: str,
    answer: Answer,
    records: list[str],
    evidence: tuple[str, ...],
) -> Finding:
    fix, changes = await _replacement(ctx, domain, name, answer, records)
    return finding_with_fix(
        "tls-rpt.multiple",
        Severity.WARNING,
        domain,
        f"{name} has {len(records)} TLS-RPT records; senders use none of them",
        evidence,
        f"Merge them into one record; list several URIs in one rua=, comma-separated. {fix}".strip(),
        location=answer.location,
        changes=changes,
    )


async def _replacement(
    ctx: Context, domain: str, name: str, answer: Answer, records: list[str]
) -> tuple[str, tuple[Change, ...]]:
    """The one record that replaces `records` (none: a new one): their valid URIs kept,
    else an address at a domain of the sender's that receives mail; and the advice."""
    records = sorted(records)  # DNS gives a record set in any order: the change is stable
    kept = [u for r in records for u in rua_problems(r)[0] if _uri_problem(u) is None]
    uris = list(dict.fromkeys(kept))
    if not uris:
        address, why = await report_address(ctx, domain)
        if address is None:
            return (
                f'Publish {name}. TXT "v=TLSRPTv1; rua=mailto:ADDRESS" with an ADDRESS you '
                f"read at a domain that receives mail ({why}).",
                (),
            )
        uris = [f"mailto:{address}"]
    new = f"v=TLSRPTv1; rua={','.join(uris)}"
    olds = [answer.presentation_of(r) or txt_value(r) for r in records]
    changes = sole_record(name, olds, txt_value(new))
    note = "Reports are daily JSON; make sure someone (or a report service) reads that mailbox."
    if kept:
        note = "" if len(records) > 1 else "Drop the URIs that are not valid."
    return note, changes


async def report_address(ctx: Context, domain: str) -> tuple[str | None, str]:
    """An address for TLS reports at a domain of the sender's that receives mail: the
    domain of a DMARC rua address of its own organization first (reports are read
    there), else the domain itself, else the domain of the profile's support_contact;
    None and why when no such domain is known."""
    contact = ctx.profile.support_contact.rpartition("@")[2].strip().rstrip(".").lower()
    candidates = [*await _own_rua_domains(ctx, domain), domain, *([contact] if contact else [])]
    reasons = []
    for candidate in list(dict.fromkeys(candidates))[:MAX_CANDIDATES]:
        receives, why = await receives_mail(ctx, candidate)
        if receives:
            return f"tls-reports@{candidate}", ""
        reasons.append(why)
    return None, "; ".join(reasons)


async def _own_rua_domains(ctx: Context, domain: str) -> list[str]:
    """The domains of the DMARC rua addresses (the record that governs `domain`) that
    belong to its organization: a report service's domain is not the sender's."""
    walk = await tree_walk(ctx.dns, domain)  # the dmarc check's lookups, cached
    step = walk.policy_step
    org = psl_organizational_domain(domain, await asyncio.to_thread(public_suffix_list))
    rua = step.record.rua if step is not None and step.record is not None else ()
    return [u.domain for u in rua if u.domain == org or u.domain.endswith("." + org)]


async def receives_mail(ctx: Context, domain: str) -> tuple[bool | None, str]:
    """Whether mail to `domain` can be delivered (None: the lookups failed), and why not."""
    try:
        answer = await ctx.dns.query(domain, "MX")
        if answer.nxdomain:
            return False, f"{domain} does not exist"
        hosts = sorted(answer.records, key=lambda r: r.preference)
        if any(str(r.exchange) == "." for r in hosts):  # RFC 7505
            return False, f"{domain} accepts no mail (null MX)"
        names = [str(r.exchange).rstrip(".") for r in hosts] or [domain]  # RFC 5321 5.1
        if not hosts and not await ctx.dns.addresses(domain):
            return False, f"{domain} has no MX and no address"
        for host in names[:MAX_HOSTS]:
            if await ctx.dns.addresses(host):
                return True, ""
    except LookupFailed as exc:
        return None, f"the MX of {domain} could not be looked up: {exc.reason}"
    return False, f"no MX host of {domain} has an address"
