"""Remediation text for SPF findings: the exact record to publish, edited from the one seen.

Pure functions. `edited()` rewrites a record (drop, replace or add terms, new
terms going before `all` or `redirect=`) and `publish()` writes it as the TXT
record line a DNS admin pastes into the zone.
"""

from __future__ import annotations

import ipaddress

from deliverability.checks.spf.parse import Kind, SpfRecord


def publish(domain: str, record: str) -> str:
    """The zone-file line that publishes `record` at `domain`."""
    return f'{domain}. TXT "{record}"'


def edited(
    record: SpfRecord,
    *,
    drop: tuple[str, ...] = (),
    replace: dict[str, str] | None = None,
    add: tuple[str, ...] = (),
    ending: str | None = None,
) -> str:
    """`record` with the terms in `drop` removed, `replace` applied, `add` inserted before
    the first `all` or `redirect=`, and `ending` (e.g. "-all") appended when it has none."""
    replace = replace or {}
    kept = [replace.get(t.text, t.text) for t in record.terms if t.text not in drop]
    kept = [t for t in kept if t]
    position = next(
        (
            i
            for i, t in enumerate(kept)
            if t.lstrip("+-~?").lower() == "all" or t.lower().startswith("redirect=")
        ),
        len(kept),
    )
    kept[position:position] = [t for t in add if t not in kept]
    if ending and not any(t.lstrip("+-~?").lower() == "all" for t in kept):
        kept = [t for t in kept if not t.lower().startswith("redirect=")] + [ending]
    return " ".join(["v=spf1", *kept])


def ip_term(ip: str) -> str:
    """The mechanism that authorizes exactly `ip`."""
    return f"ip{ipaddress.ip_address(ip).version}:{ip}"


def all_terms(record: SpfRecord) -> list[str]:
    """The texts of the record's `all` mechanisms."""
    return [t.text for t in record.mechanisms if t.name == "all"]


def modifiers(record: SpfRecord, name: str) -> list[str]:
    """The texts of the record's modifiers called `name`."""
    return [t.text for t in record.terms if t.kind is Kind.MODIFIER and t.name == name]
