"""TLS-RPT (RFC 8460): where sending servers report TLS failures delivering to the domain.

A `_smtp._tls` TXT record `v=TLSRPTv1; rua=...` names where daily reports go
(`mailto:` or `https:` URIs, comma-separated). Without it an MTA-STS or DANE
problem stays invisible until mail stops arriving. Senders use the record only if
exactly one record starts with `v=TLSRPTv1` (RFC 8460 3).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from deliverability.context import Context
from deliverability.finding import Finding, Location, Severity
from deliverability.net.dns import LookupFailed

NAME = "tls-rpt"
CODES = {
    "tls-rpt.ok": "A valid TLS-RPT record names where reports go",
    "tls-rpt.missing": "No TLS-RPT record: TLS delivery failures go unreported",
    "tls-rpt.multiple": "More than one v=TLSRPTv1 record: senders use none",
    "tls-rpt.invalid": "The TLS-RPT record is malformed or a rua URI is not valid",
}
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


async def _null_mx(ctx: Context, domain: str) -> bool:
    """Whether the domain publishes the null MX `0 .` (shared with the mx check's lookup)."""
    try:
        answer = await ctx.dns.query(domain, "MX")
    except LookupFailed:
        return False
    return any(str(r.exchange) == "." for r in answer.records)


async def run(ctx: Context) -> list[Finding]:
    """Read `_smtp._tls.DOMAIN` and check its rua URIs."""
    domain = ctx.target.domain
    name = f"_smtp._tls.{domain}"
    answer = await ctx.dns.query(name, "TXT")
    records = [r for r in answer.texts() if r.startswith("v=TLSRPTv1")]
    evidence = tuple(f"{name} TXT {r}" for r in records)
    ctx.data.update({"record": records[0] if len(records) == 1 else None, "rua": []})
    publish = f'Publish {name}. TXT "v=TLSRPTv1; rua=mailto:tls-reports@{domain}"'
    if await _null_mx(ctx, domain):  # RFC 7505: reports sent to the domain would bounce
        publish = (
            f"{domain} accepts no mail (null MX): send TLS reports to an address at a domain "
            f'that does, e.g. {name}. TXT "v=TLSRPTv1; rua=mailto:ADDRESS" with your own ADDRESS.'
        )
    if not records:
        return [
            _finding(
                "tls-rpt.missing",
                Severity.INFO,
                domain,
                answer.location,
                f"{domain} publishes no TLS-RPT record; TLS delivery failures go unreported",
                (f"{name} TXT: no v=TLSRPTv1 record",),
                publish,
            )
        ]
    if len(records) > 1:
        return [
            _finding(
                "tls-rpt.multiple",
                Severity.WARNING,
                domain,
                answer.location,
                f"{name} has {len(records)} TLS-RPT records; senders use none of them",
                evidence,
                "Merge them into one record; list several URIs in one rua=, comma-separated.",
            )
        ]
    uris, problems = rua_problems(records[0])
    ctx.data["rua"] = uris
    if problems:
        return [
            _finding(
                "tls-rpt.invalid",
                Severity.WARNING,
                domain,
                answer.location,
                f"The TLS-RPT record of {domain} is invalid: {'; '.join(problems)}",
                evidence,
                publish,
            )
        ]
    return [
        _finding(
            "tls-rpt.ok",
            Severity.OK,
            domain,
            answer.location,
            f"TLS reports for {domain} go to {', '.join(uris)}",
            evidence,
            "",
        )
    ]


def _finding(
    code: str,
    severity: Severity,
    subject: str,
    location: Location | None,
    summary: str,
    evidence: tuple[str, ...],
    fix: str,
) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        subject=subject,
        summary=summary,
        evidence=evidence,
        remediation=(fix,) if fix else (),
        location=location,
    )
