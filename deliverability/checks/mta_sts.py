"""MTA-STS (RFC 8461): do sending servers have to use verified TLS to reach the domain?

The `_mta-sts` TXT record (`v=STSv1; id=...`) announces a policy that senders fetch
over verified HTTPS from `https://mta-sts.DOMAIN/.well-known/mta-sts.txt` (no
redirects, text/plain, at most 64 KiB). In `enforce` mode senders deliver only to
MX hosts matching the policy's `mx` patterns over valid TLS, so an MX missing from
the policy means mail is not delivered; `testing` mode only reports (TLS-RPT).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from deliverability.change import Change, sole_record, txt_value
from deliverability.context import Context
from deliverability.finding import Finding, Severity, finding_with_fix
from deliverability.lean import dataclass
from deliverability.net.https import FetchFailed, FetchProblem

NAME = "mta-sts"
MAX_POLICY_BYTES = 64 * 1024
MAX_AGE_LIMIT = 31557600  # RFC 8461 3.2: about one year
SHORT_MAX_AGE = 86400
_FETCH_CODES = {p: f"mta-sts.policy-{p.value}" for p in FetchProblem} | {
    FetchProblem.REFUSED: "mta-sts.fetch-refused"
}
CODES = {
    "mta-sts.ok": "A valid policy covers every MX host",
    "mta-sts.missing": "No MTA-STS record: senders may deliver without verified TLS",
    "mta-sts.record-invalid": "The _mta-sts TXT record is malformed or duplicated",
    "mta-sts.testing": "The policy is in testing mode: failures are only reported",
    "mta-sts.mode-none": "The policy mode is none: MTA-STS is switched off",
    "mta-sts.policy-invalid": "The policy file does not parse as RFC 8461 requires",
    "mta-sts.mx-mismatch": "An MX host matches no mx pattern of the policy",
    "mta-sts.max-age-short": "max_age is under a day, so senders rarely hold the policy",
    "mta-sts.policy-no-address": "The policy host mta-sts.DOMAIN has no address",
    "mta-sts.policy-unreachable": "The policy could not be fetched (connection, timeout, DNS)",
    "mta-sts.policy-certificate": "The policy host's certificate is not valid for its name",
    "mta-sts.policy-redirect": "The policy URL redirects; senders must not follow it",
    "mta-sts.policy-http-status": "The policy URL does not answer 200",
    "mta-sts.policy-content-type": "The policy is not served as text/plain",
    "mta-sts.policy-too-large": "The policy is larger than 64 KiB",
    "mta-sts.policy-invalid-url": "The policy URL is not a valid https: URL",
    "mta-sts.fetch-refused": "The policy host is not a public address: not fetched",
}
_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A parsed policy file (RFC 8461 3.2)."""

    version: str
    mode: str
    max_age: int
    mx: tuple[str, ...]


async def run(ctx: Context) -> list[Finding]:
    """Read the record, fetch the policy, and match it against the MX hosts."""
    domain = ctx.target.domain
    records, mx_answer = await asyncio.gather(
        ctx.dns.txt(f"_mta-sts.{domain}"), ctx.dns.query(domain, "MX")
    )
    sts = [r for r in records if r.startswith("v=STSv1")]
    ctx.data.update({"record": sts[0] if len(sts) == 1 else None, "policy": None})
    mx_hosts = [h for h in mx_answer.values() if h not in ("", ".")]
    if not sts:
        null = "." in mx_answer.values()
        return [_missing(domain, None if null else mx_hosts or [domain])]  # RFC 5321 5.1
    problem = _record_problem(sts)
    if problem:
        return [await _invalid_record(ctx, domain, sts, problem)]
    ctx.data["id"] = _fields(sts[0]).get("id")
    url = policy_url(domain)
    ctx.data["policy_url"] = url
    try:
        fetched = await ctx.https.fetch(
            url, max_bytes=MAX_POLICY_BYTES, content_types=("text/plain",)
        )
    except FetchFailed as exc:
        return [_fetch_failed(domain, url, exc)]
    return _judge_policy(ctx, domain, fetched.body, mx_hosts)


def _missing(domain: str, mx_hosts: list[str] | None) -> Finding:
    """No record: what to serve and publish, with the domain's MX hosts (None: null MX)."""
    if mx_hosts is None:  # RFC 7505: no delivery to the domain, so nothing to protect
        return finding_with_fix(
            "mta-sts.missing",
            Severity.INFO,
            domain,
            f"{domain} publishes no MTA-STS policy; it needs none: it accepts no mail (null MX)",
            (f"_mta-sts.{domain} TXT: no v=STSv1 record",),
        )
    return finding_with_fix(
        "mta-sts.missing",
        Severity.INFO,
        domain,
        f"{domain} publishes no MTA-STS policy; senders may deliver without TLS",
        (f"_mta-sts.{domain} TXT: no v=STSv1 record",),
        # the policy file comes first: a record without it makes senders fail to fetch
        f"Serve {_policy_text(mx_hosts, 'testing')} at {policy_url(domain)}, then publish "
        f'_mta-sts.{domain}. TXT "v=STSv1; id={new_id()}"; move to mode: enforce once '
        "TLS-RPT reports are clean.",
    )


async def _invalid_record(ctx: Context, domain: str, sts: list[str], problem: str) -> Finding:
    """One record with a fresh id replaces them all, offered when the policy is served
    (senders ignore the record, but a new id alone does not make a policy)."""
    name, url = f"_mta-sts.{domain}", policy_url(domain)
    answer = await ctx.dns.query(name, "TXT")
    fix = f"Publish exactly one record with an id of 1-32 letters or digits: senders then fetch {url}."
    changes: tuple[Change, ...] = ()
    try:
        await ctx.https.fetch(url, max_bytes=MAX_POLICY_BYTES, content_types=("text/plain",))
    except FetchFailed as exc:
        fix = (
            f"Serve the policy at {url} first ({exc.reason}), then publish one record: "
            f'{name}. TXT "v=STSv1; id={new_id()}".'
        )
    else:  # the re-check judges the served policy (remedy.py replays this fetch)
        olds = [answer.presentation_of(r) or txt_value(r) for r in sorted(sts)]
        changes = sole_record(name, olds, txt_value(f"v=STSv1; id={new_id()}"))
    return finding_with_fix(
        "mta-sts.record-invalid",
        Severity.WARNING,
        domain,
        f"{name}: {problem}; senders ignore the policy",
        tuple(f"{name} TXT {r}" for r in sts),
        fix,
        location=answer.location,
        changes=changes,
    )


def _refetch(domain: str) -> str:
    """RFC 8461 3.1: senders refetch a changed policy only when the record's id changes."""
    return (
        f"Edit the policy at {policy_url(domain)}, then change the id: "
        f'_mta-sts.{domain}. TXT "v=STSv1; id={new_id()}".'
    )


def policy_url(domain: str) -> str:
    """RFC 8461 3.3: where senders fetch the domain's policy."""
    return f"https://mta-sts.{domain}/.well-known/mta-sts.txt"


def new_id() -> str:
    """A fresh policy id (RFC 8461 3.1: 1-32 letters or digits): the time now, UTC."""
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def policy_mode(text: str) -> str:
    """The mode a broken policy asks for, when it says (testing otherwise: the safe start)."""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "mode" and value.strip() in ("enforce", "testing"):
            return value.strip()
    return "testing"


def _policy_text(mx_hosts: list[str], mode: str) -> str:
    lines = ["version: STSv1", f"mode: {mode}", *(f"mx: {h}" for h in mx_hosts)]
    return "a policy (" + "; ".join([*lines, "max_age: 604800"]) + ")"


def _fields(record: str) -> dict[str, str]:
    pairs = (part.strip().partition("=") for part in record.split(";") if part.strip())
    return {k.strip(): v.strip() for k, _, v in pairs}


def _record_problem(records: list[str]) -> str | None:
    if len(records) > 1:
        return f"{len(records)} v=STSv1 records (RFC 8461 3.1 allows one)"
    fields = _fields(records[0])
    if fields.get("v") != "STSv1":
        return "the record must start with v=STSv1;"
    if not _ID.match(fields.get("id", "")):
        return f"id {fields.get('id', '(missing)')!r} must be 1-32 letters or digits"
    return None


def parse_policy(text: str) -> Policy:
    """Parse a policy body; ValueError says what is wrong."""
    fields: dict[str, list[str]] = {}
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip():
            key, sep, value = line.partition(":")
            if not sep:
                raise ValueError(f"line {line.strip()!r} is not 'key: value'")
            fields.setdefault(key.strip(), []).append(value.strip())
    version, mode = fields.get("version", [""])[0], fields.get("mode", [""])[0]
    if version != "STSv1":
        raise ValueError(f"version must be STSv1, not {version or '(missing)'!r}")
    if mode not in ("enforce", "testing", "none"):
        raise ValueError(f"mode must be enforce, testing or none, not {mode or '(missing)'!r}")
    max_age = fields.get("max_age", [""])[0]
    if not max_age.isdigit() or int(max_age) > MAX_AGE_LIMIT:
        seen = max_age or "(missing)"
        raise ValueError(f"max_age must be 0-{MAX_AGE_LIMIT} seconds, not {seen!r}")
    mx = tuple(m.lower().rstrip(".") for m in fields.get("mx", []))
    if not mx and mode != "none":
        raise ValueError("no mx lines: a policy must list the MX host patterns")
    return Policy(version=version, mode=mode, max_age=int(max_age), mx=mx)


def mx_matches(host: str, pattern: str) -> bool:
    """RFC 8461 4.1: exact name, or `*.` matching exactly one leftmost label."""
    host, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        label, _, rest = host.partition(".")
        return bool(label) and rest == pattern[2:]
    return host == pattern


def _judge_policy(ctx: Context, domain: str, body: bytes, mx_hosts: list[str]) -> list[Finding]:
    text = body.decode("utf-8", "replace")
    evidence = tuple(f"policy: {line}" for line in text.splitlines() if line.strip())[:20]
    try:
        policy = parse_policy(text)
    except ValueError as exc:
        return [
            finding_with_fix(
                "mta-sts.policy-invalid",
                Severity.WARNING,
                domain,
                f"The MTA-STS policy of {domain} is invalid: {exc}; senders ignore it",
                evidence,
                f"Serve {_policy_text(mx_hosts or [domain], policy_mode(text))} at {policy_url(domain)}, "
                f'then change the id: _mta-sts.{domain}. TXT "v=STSv1; id={new_id()}".',
            )
        ]
    unmatched = [h for h in mx_hosts if not any(mx_matches(h, p) for p in policy.mx)]
    ctx.data["policy"] = _data(policy)
    ctx.data.update({"mx_hosts": mx_hosts, "unmatched": unmatched})
    return _policy_findings(domain, policy, unmatched, evidence)


def _policy_findings(
    domain: str, policy: Policy, unmatched: list[str], evidence: tuple[str, ...]
) -> list[Finding]:
    findings: list[Finding] = []
    if policy.mode == "none":
        findings.append(
            finding_with_fix(
                "mta-sts.mode-none",
                Severity.INFO,
                domain,
                f"The MTA-STS policy of {domain} is mode none: switched off",
                evidence,
                "Use mode: testing, then mode: enforce once TLS-RPT reports are clean. "
                + _refetch(domain),
            )
        )
        return findings
    for host in unmatched:
        severity = Severity.ERROR if policy.mode == "enforce" else Severity.WARNING
        findings.append(
            finding_with_fix(
                "mta-sts.mx-mismatch",
                severity,
                f"{domain} MX {host}",
                f"MX host {host} matches no mx pattern of the policy "
                f"({policy.mode}); compliant senders will not deliver to it",
                evidence,
                f"Add 'mx: {host}' to the policy. " + _refetch(domain),
            )
        )
    if policy.mode == "testing":
        findings.append(
            finding_with_fix(
                "mta-sts.testing",
                Severity.INFO,
                domain,
                f"The MTA-STS policy of {domain} is in testing mode",
                evidence,
                "Switch to mode: enforce once TLS-RPT reports show no failures. "
                + _refetch(domain),
            )
        )
    if policy.max_age < SHORT_MAX_AGE:
        findings.append(
            finding_with_fix(
                "mta-sts.max-age-short",
                Severity.WARNING,
                domain,
                f"max_age is {policy.max_age} s; senders drop the policy within a day",
                evidence,
                "Use max_age: 604800 (a week) or more once the policy is stable. "
                + _refetch(domain),
            )
        )
    if not unmatched:
        findings.insert(
            0,
            finding_with_fix(
                "mta-sts.ok",
                Severity.OK,
                domain,
                f"{domain} has a valid MTA-STS policy ({policy.mode}) covering every MX host",
                evidence,
                "",
            ),
        )
    return findings


def _fetch_failed(domain: str, url: str, exc: FetchFailed) -> Finding:
    severity = Severity.UNKNOWN if exc.problem is FetchProblem.UNREACHABLE else Severity.WARNING
    fix = {
        FetchProblem.NO_ADDRESS: f"Publish an address for mta-sts.{domain} that serves the policy.",
        FetchProblem.CERTIFICATE: f"Install a certificate for mta-sts.{domain} from a public CA.",
        FetchProblem.REDIRECT: f"Serve the policy directly at {url}; senders follow no redirect.",
        FetchProblem.CONTENT_TYPE: f"Serve {url} with Content-Type: text/plain.",
        FetchProblem.TOO_LARGE: "Keep the policy under 64 KiB: version, mode, max_age, mx lines.",
        FetchProblem.REFUSED: f"Point mta-sts.{domain} at a public address serving port 443.",
    }.get(exc.problem, f"Serve the policy at {url} with HTTP 200.")
    return finding_with_fix(
        _FETCH_CODES[exc.problem],
        severity,
        domain,
        f"The MTA-STS policy of {domain} could not be used: {exc.reason}",
        (f"GET {url}: {exc.reason}",),
        fix,
    )


def _data(policy: Policy) -> dict[str, Any]:
    return {
        "version": policy.version,
        "mode": policy.mode,
        "max_age": policy.max_age,
        "mx": list(policy.mx),
    }
