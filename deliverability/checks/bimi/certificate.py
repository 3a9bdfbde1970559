"""The BIMI mark certificate (VMC or CMC) named by `a=`, validated with checkdmarc.

The certificate is fetched by the check through the shared HTTPS layer (its caps and
refusals); everything here is pure. checkdmarc's no-I/O functions
(`get_certificate_metadata`, `get_svg_metadata`, `check_svg_requirements`) read the
certificate and the logo; the chain is verified here, with cryptography, against the
mark verifying authorities' roots that checkdmarc ships (or a roots file given as the
check's `mark_roots` option), so a chain problem is never confused with a date or
domain problem. checkdmarc is an optional extra (`deliverability[bimi]`): it takes
about a second to import (docs/performance.md). See docs/checks.md, bimi.vmc-*.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from dataclasses import field
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from typing import Any

from deliverability.lean import dataclass

MAX_CERTIFICATE_BYTES = 256 * 1024  # a PEM chain with its embedded logo; real ones are ~20 KiB
CONTENT_TYPES = (
    "application/pem-certificate-chain",  # what the BIMI draft asks for
    "application/x-pem-file",
    "application/x-x509-ca-cert",
    "application/octet-stream",
    "text/plain",
)
MAX_LOGO_INFLATED = 1024 * 1024  # a logo is at most 32 KiB; a bomb is refused before inflating
_LOGOTYPE = "1.3.6.1.5.5.7.1.12"  # RFC 3709 logotype extension
INSTALL_HINT = "pip install 'deliverability[bimi]'"
_CHAIN_ERROR = "recognized Mark Verifying Authority"  # checkdmarc's own chain verdict: ours rules
_DATE_ERRORS = ("expired on", "not valid until")  # read from its structured fields instead
_DOMAIN_ERROR = "does not match the certificate"
_LOGO_ERROR = "extension: logotype"


class CertProblem(StrEnum):
    """Why a mark certificate does not let providers show the logo; each is a finding code."""

    UNREADABLE = "unreadable"  # not a PEM certificate
    UNTRUSTED = "untrusted"  # no chain to a mark verifying authority's root
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"
    WRONG_DOMAIN = "wrong-domain"  # the SAN names neither the domain nor its organization
    LOGO_MISMATCH = "logo-mismatch"  # the embedded logo is not the l= logo
    INVALID = "invalid"  # a VMC requirement checkdmarc reports (subject fields, extensions)


@dataclass(frozen=True, kw_only=True)
class CertificateVerdict:
    """What validating one certificate showed: its facts and every problem, with reasons."""

    problems: tuple[tuple[CertProblem, str], ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)


class CheckdmarcMissing(Exception):
    """checkdmarc (the `bimi` extra) is not installed."""


def checkdmarc_bimi() -> Any:
    """checkdmarc's BIMI module, imported on first use (about a second); CheckdmarcMissing."""
    try:
        import checkdmarc.bimi
    except ImportError:
        raise CheckdmarcMissing(INSTALL_HINT) from None
    return checkdmarc.bimi


def svg_requirements(logo: bytes) -> list[str]:
    """checkdmarc's SVG Tiny PS requirements for the logo (raises CheckdmarcMissing)."""
    bimi = checkdmarc_bimi()
    try:
        return list(bimi.check_svg_requirements(bimi.get_svg_metadata(logo)))
    except ValueError as exc:  # not parseable as an SVG document
        return [str(exc)]


def validate(
    pem: bytes, *, domain: str, org_domain: str, logo: bytes | None, roots: bytes | None
) -> CertificateVerdict:
    """Validate a fetched certificate for `domain` (blocking: run in a thread)."""
    bimi = checkdmarc_bimi()
    try:
        chain = _load(pem)
    except ValueError as exc:
        return CertificateVerdict(problems=((CertProblem.UNREADABLE, str(exc)),))
    if _logo_bomb(chain[0]):  # checkdmarc would gunzip it whole: refuse before it does
        reason = f"the embedded logo inflates past {MAX_LOGO_INFLATED // 1024} KiB"
        return CertificateVerdict(problems=((CertProblem.INVALID, reason),))
    metadata = bimi.get_certificate_metadata(pem, domain=domain)
    problems = [
        *_chain_problems(chain, roots or _mark_roots()),
        *_date_problems(chain[0]),
        *_domain_problems(metadata.get("domains"), domain, org_domain),
        *_logo_problems(metadata.get("logotype_sha256"), logo),
        *_other_problems(metadata.get("validation_errors", [])),
    ]
    return CertificateVerdict(problems=tuple(problems), facts=_facts(metadata))


def _load(pem: bytes) -> list[Any]:
    from cryptography.x509 import load_pem_x509_certificates

    chain = load_pem_x509_certificates(pem)  # ValueError when no PEM certificate is found
    if not chain:
        raise ValueError("no certificate in the file")
    return chain


def _logo_bomb(leaf: Any) -> bool:
    """Whether the logotype's gzip'd data: URI inflates past MAX_LOGO_INFLATED."""
    from cryptography import x509

    try:
        oid = x509.ObjectIdentifier(_LOGOTYPE)
        raw = leaf.extensions.get_extension_for_oid(oid).value.value
    except (x509.ExtensionNotFound, AttributeError):
        return False
    encoded = raw[raw.find(b";base64,") + 8 :] if b";base64," in raw else b""
    text = re.sub(rb"[^A-Za-z0-9+/=]", b"", encoded)
    try:
        packed = base64.b64decode(text + b"=" * (-len(text) % 4))
        inflated = zlib.decompressobj(wbits=47).decompress(packed, MAX_LOGO_INFLATED + 1)
    except (ValueError, zlib.error):
        return False  # not compressed: checkdmarc uses the bytes as they are
    return len(inflated) > MAX_LOGO_INFLATED


def _mark_roots() -> bytes:
    """The mark verifying authorities' roots checkdmarc ships."""
    return resources.files("checkdmarc.resources").joinpath("MVACAs.pem").read_bytes()


def _chain_problems(chain: list[Any], roots: bytes) -> list[tuple[CertProblem, str]]:
    from cryptography import x509
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
        VerificationError,
    )

    leaf = chain[0]
    # Trust is judged at a moment the leaf is valid: its dates are a problem of their own.
    moment = min(max(datetime.now(UTC), leaf.not_valid_before_utc), leaf.not_valid_after_utc)
    ee = ExtensionPolicy.permit_all().require_present(
        x509.SubjectAlternativeName, Criticality.AGNOSTIC, None
    )
    ca = ExtensionPolicy.permit_all().require_present(
        x509.BasicConstraints, Criticality.AGNOSTIC, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store(x509.load_pem_x509_certificates(roots)))
        .extension_policies(ee_policy=ee, ca_policy=ca)
        .max_chain_depth(5)
        .time(moment)
        .build_client_verifier()
    )
    try:
        verifier.verify(leaf, chain[1:])
    except VerificationError as exc:
        return [(CertProblem.UNTRUSTED, f"no chain to a mark verifying authority: {exc}")]
    return []


def _date_problems(leaf: Any) -> list[tuple[CertProblem, str]]:
    now = datetime.now(UTC)
    if now > leaf.not_valid_after_utc:
        return [(CertProblem.EXPIRED, f"expired on {leaf.not_valid_after_utc:%Y-%m-%d}")]
    if now < leaf.not_valid_before_utc:
        return [(CertProblem.NOT_YET_VALID, f"valid from {leaf.not_valid_before_utc:%Y-%m-%d}")]
    return []


def _domain_problems(
    domains: list[str] | None, domain: str, org_domain: str
) -> list[tuple[CertProblem, str]]:
    names = {d.lower().rstrip(".") for d in domains or []}
    if domain in names or org_domain in names:
        return []
    listed = ", ".join(sorted(names)) or "no DNS names"
    return [(CertProblem.WRONG_DOMAIN, f"the certificate names {listed}, not {domain}")]


def _logo_problems(embedded: str | None, logo: bytes | None) -> list[tuple[CertProblem, str]]:
    if embedded is None:
        return [(CertProblem.INVALID, "the certificate embeds no logo (logotype extension)")]
    if logo is not None and hashlib.sha256(logo).hexdigest() != embedded:
        return [(CertProblem.LOGO_MISMATCH, "the embedded logo differs from the l= logo")]
    return []


def _other_problems(errors: list[str]) -> list[tuple[CertProblem, str]]:
    ours = (_CHAIN_ERROR, _DOMAIN_ERROR, _LOGO_ERROR, *_DATE_ERRORS)  # judged above
    return [(CertProblem.INVALID, e) for e in errors if not any(m in e for m in ours)]


def _facts(metadata: dict[str, Any]) -> dict[str, Any]:
    subject = metadata.get("subject", {})
    return {
        "subject": subject.get("organizationName"),
        "mark_type": subject.get("markType"),
        "issuer": metadata.get("issuer", {}).get("organizationName"),
        "not_valid_after": metadata.get("not_valid_after"),
        "domains": metadata.get("domains"),
        "logotype_sha256": metadata.get("logotype_sha256"),
    }
