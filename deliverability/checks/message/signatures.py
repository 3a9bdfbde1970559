"""DKIM signatures (RFC 6376) and the ARC chain (RFC 8617) verified with dkimpy.

dkimpy asks for keys through `fetch_txt`, which the caller wires to our DNS layer:
dkimpy makes no lookups of its own. A key lookup that fails (timeout, SERVFAIL)
makes that signature `unknown`, never `fail`; so does a body hash that cannot be
checked because the input holds headers only. A signature whose s= and d= name no
key at all (an empty s=, a bad label) is malformed: `fail` (RFC 6376 6.1.1), not a
lookup failure. ARC-Message-Signature or ARC-Authentication-Results without an
ARC-Seal is a broken chain: `fail` (RFC 8617 5.2).
"""

from __future__ import annotations

from collections.abc import Callable

import dkim
import dns.exception
import dns.name
from dkim.util import InvalidTagValueList, parse_tag_value

from deliverability.checks.message.parse import ParsedMessage
from deliverability.lean import dataclass

MIN_STRONG_BITS = 2048  # RFC 8301 3.2: signers SHOULD use 2048 bits; 1024 is the floor
MAX_SIGNATURES = 20  # a hostile message with thousands of signatures is not verified past this
_ARC_PARTS = ("ARC-Message-Signature", "ARC-Authentication-Results")


class KeyLookupFailed(Exception):
    """A key's DNS lookup gave no answer; `reason` is fit for users."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"TXT lookup of {name} failed: {reason}")
        self.name = name
        self.reason = reason


class KeyNameInvalid(Exception):
    """A signature's s= and d= do not form a domain name: no key can be asked for."""

    def __init__(self, name: str) -> None:
        super().__init__(f"s= and d= name no key: {name!r} is not a domain name")
        self.name = name


FetchTxt = Callable[[str], list[str]]  # name -> TXT strings; raises KeyLookupFailed


@dataclass(frozen=True, kw_only=True)
class Signature:
    """One DKIM-Signature and what verifying it showed."""

    domain: str
    selector: str
    algorithm: str
    result: str  # pass, fail, unknown
    reason: str
    signed_headers: tuple[str, ...] = ()
    body_hash: str = "not checked"  # match, mismatch, not checked
    key_bits: int | None = None
    length: int | None = None  # the l= tag: only this many body bytes are signed

    @property
    def key_name(self) -> str:
        """Where the public key is published."""
        return f"{self.selector}._domainkey.{self.domain}"


@dataclass(frozen=True, kw_only=True)
class ArcChain:
    """The ARC chain's validation: pass, fail, none (no chain) or unknown, and why."""

    result: str
    reason: str
    instances: int = 0


def signing_keys(
    message: ParsedMessage, fields: tuple[str, ...] = ("DKIM-Signature",)
) -> list[tuple[str, str]]:
    """(d=, s=) of each signature in `fields`, in header order; malformed ones skipped."""
    found = []
    for header in (h for name in fields for h in message.named(name)):
        try:
            tags = parse_tag_value(header.value.encode("utf-8", "replace"))
        except InvalidTagValueList:
            continue
        domain = tags.get(b"d", b"").decode("utf-8", "replace").strip().lower().rstrip(".")
        selector = tags.get(b"s", b"").decode("utf-8", "replace").strip().lower()
        if domain and selector:
            found.append((domain, selector))
    return found


def key_names(message: ParsedMessage) -> list[str]:
    """Every key name the DKIM signatures and ARC sets point at, once each."""
    pairs = signing_keys(message, ("DKIM-Signature", "ARC-Seal", "ARC-Message-Signature"))
    return list(dict.fromkeys(f"{s}._domainkey.{d}" for d, s in pairs))


def verify_dkim(message: ParsedMessage, fetch_txt: FetchTxt) -> list[Signature]:
    """Verify the DKIM-Signatures in header order, at most MAX_SIGNATURES (run in a thread)."""
    fields = message.named("DKIM-Signature")
    # One parse of the message for every signature; dkimpy logs to its own silent logger.
    verifier = dkim.DKIM(message.raw, minkey=1024) if fields else None
    return [
        _verify_one(message, verifier, i, field.value, fetch_txt)
        if i < MAX_SIGNATURES
        else _skipped(field.value)
        for i, field in enumerate(fields)
    ]


def _tags(value: str) -> dict[str, str]:
    """A signature's tags as text; InvalidTagValueList when it is not a tag list."""
    parsed = parse_tag_value(value.encode("utf-8", "replace"))
    return {k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, v in parsed.items()}


def _skipped(value: str) -> Signature:
    try:
        tags = _tags(value)
    except InvalidTagValueList:
        tags = {}
    return Signature(
        domain=tags.get("d", "").strip().lower(),
        selector=tags.get("s", "").strip(),
        algorithm=tags.get("a", ""),
        result="unknown",
        reason=f"not verified: only the first {MAX_SIGNATURES} signatures are",
    )


def _verify_one(
    message: ParsedMessage, verifier: dkim.DKIM, idx: int, value: str, fetch_txt: FetchTxt
) -> Signature:
    try:
        tags = _tags(value)
    except InvalidTagValueList as exc:
        return Signature(
            domain="",
            selector="",
            algorithm="",
            result="fail",
            reason=f"malformed signature: {exc}",
        )
    seen: dict[str, list[str]] = {}
    result, reason, body = _run(verifier, idx, _dnsfunc(fetch_txt, seen), message.has_body)
    if result == "fail" and not reason:
        reason = _why_false(seen)
        body = "match" if verifier.keysize else body
    return Signature(
        domain=tags.get("d", "").strip().lower().rstrip("."),
        selector=tags.get("s", "").strip().lower(),
        algorithm=tags.get("a", "").strip(),
        result=result,
        reason=reason,
        signed_headers=tuple(h.strip().lower() for h in tags.get("h", "").split(":") if h.strip()),
        body_hash=body,
        key_bits=getattr(verifier, "keysize", None) or None,
        length=int(tags["l"]) if tags.get("l", "").strip().isdigit() else None,
    )


def _run(
    verifier: dkim.DKIM, idx: int, dnsfunc: Callable[..., bytes], has_body: bool
) -> tuple[str, str, str]:
    """(result, reason, body hash) of one verification."""
    verifier.keysize = 0
    try:
        ok = verifier.verify(idx=idx, dnsfunc=dnsfunc)
    except KeyLookupFailed as exc:
        return "unknown", f"the key lookup failed: {exc.reason}", "not checked"
    except KeyNameInvalid as exc:
        return "fail", f"malformed signature: {exc}", "not checked"
    except dkim.ValidationError as exc:
        if "body hash" in str(exc):
            if not has_body:
                return "unknown", "the message body is missing (headers only)", "not checked"
            return "fail", "body hash mismatch: the body changed after signing", "mismatch"
        return "fail", str(exc), "not checked"
    except dkim.NaClNotFoundError:
        return "unknown", "ed25519 signatures need the pynacl package", "not checked"
    except dkim.DKIMException as exc:
        return "fail", str(exc), "match" if verifier.keysize else "not checked"
    return ("pass", "signature verified", "match") if ok else ("fail", "", "not checked")


def _dnsfunc(fetch_txt: FetchTxt, seen: dict[str, list[str]]) -> Callable[..., bytes]:
    def dnsfunc(name: bytes | str, timeout: float = 5) -> bytes:
        text = name.decode("utf-8", "replace") if isinstance(name, bytes) else name
        _check_key_name(text)
        records = fetch_txt(text.rstrip("."))
        seen[text.rstrip(".")] = records
        keys = [r for r in records if "p=" in r] or records
        return keys[0].encode("utf-8", "replace") if keys else b""

    return dnsfunc


def _check_key_name(name: str) -> None:
    """KeyNameInvalid unless `name` is a domain name DNS could be asked (RFC 6376 3.6.2.1)."""
    labels = name.rstrip(".").split(".")
    try:
        dns.name.from_text(name)
    except (dns.exception.DNSException, ValueError):  # IDNA, empty or long labels
        raise KeyNameInvalid(name) from None
    if not labels[0] or "" in labels:
        raise KeyNameInvalid(name)


def _why_false(seen: dict[str, list[str]]) -> str:
    """Why dkimpy said False without raising: no key, a revoked key, or a bad signature."""
    name, records = next(iter(seen.items()), ("", []))
    if not records:
        return f"no key published at {name}"
    tags = dict(part.strip().partition("=")[::2] for part in records[0].split(";") if "=" in part)
    if tags.get("p", None) == "":
        return f"the key at {name} is revoked (empty p=)"
    return "the signature does not verify against the published key"


def verify_arc(message: ParsedMessage, fetch_txt: FetchTxt) -> ArcChain:
    """Validate the ARC chain (blocking: run in a thread)."""
    instances = len(message.named("ARC-Seal"))
    others = [n for n in _ARC_PARTS if message.named(n)]
    if not instances:
        if others:  # RFC 8617 5.2: a set without its seal is a broken chain
            return ArcChain(result="fail", reason=f"{' and '.join(others)} without an ARC-Seal")
        return ArcChain(result="none", reason="the message has no ARC headers")
    try:
        cv, _, reason = dkim.arc_verify(message.raw, dnsfunc=_dnsfunc(fetch_txt, {}))
    except KeyLookupFailed as exc:
        return ArcChain(
            result="unknown", reason=f"a key lookup failed: {exc.reason}", instances=instances
        )
    except KeyNameInvalid as exc:
        return ArcChain(result="fail", reason=f"malformed ARC set: {exc}", instances=instances)
    result = (cv or b"fail").decode()
    if result == "fail" and "body hash" in reason and not message.has_body:
        return ArcChain(
            result="unknown",
            reason="the message body is missing (headers only)",
            instances=instances,
        )
    return ArcChain(result=result, reason=reason, instances=instances)
