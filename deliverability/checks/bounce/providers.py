"""Recognize the receiving provider or gateway: from the remote MTA's host name, or from
the codes only it writes (Microsoft's `AS(...)` and `S3150`, Gmail's `gsmtp`, Yahoo's `TSSxx`).

The patterns and each provider's sender-support page are data in
`deliverability/data/bounce_reasons.toml` (`[[provider]]`).
"""

from __future__ import annotations

import functools
import re

from deliverability.checks.bounce.reasons import load_table
from deliverability.lean import dataclass


@dataclass(frozen=True, kw_only=True)
class Provider:
    """A receiver whose bounces we recognize."""

    name: str
    title: str
    mta: re.Pattern[str] | None
    text: re.Pattern[str] | None
    support: str | None = None  # its delisting or sender-support page, where documented
    errors: str | None = None  # its published SMTP error reference


@functools.cache  # read-only data, compiled on first use
def providers() -> tuple[Provider, ...]:
    """Every provider in the table, in table order."""
    return tuple(
        Provider(
            name=p["name"],
            title=p["title"],
            mta=_compile(p.get("mta", [])),
            text=_compile(p.get("text", [])),
            support=p.get("support"),
            errors=p.get("errors"),
        )
        for p in load_table().raw["provider"]
    )


def by_name(name: str | None) -> Provider | None:
    """The provider called `name`, or None."""
    return next((p for p in providers() if p.name == name), None)


def recognize(remote_mta: str | None, text: str | None, domain: str | None = None) -> str | None:
    """The provider's name: the remote MTA decides, else the text's own codes, else the
    recipient's domain when it is the provider's own (gmail.com, outlook.com); or None."""
    found = _by_host(remote_mta)
    if found is None and text:
        found = next(
            (p.name for p in providers() if p.text is not None and p.text.search(text)), None
        )
    return found or _by_host(domain)


def _by_host(host: str | None) -> str | None:
    name = (host or "").strip().lower().rstrip(".")
    if not name:
        return None
    return next((p.name for p in providers() if p.mta is not None and p.mta.search(name)), None)


def _compile(patterns: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I) if patterns else None
