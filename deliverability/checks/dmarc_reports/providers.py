"""Known sending services and forwarders (deliverability/data/senders.toml), and which
one a failing source belongs to: by its PTR name, envelope domain or DKIM d= domain."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from importlib import resources

from deliverability.lean import dataclass


@dataclass(frozen=True, kw_only=True)
class Provider:
    """A sending service and how to make it send aligned mail for a domain."""

    id: str
    name: str
    match: tuple[str, ...]
    spf_include: str
    return_path: str
    dkim: str

    def fixes(self, domain: str) -> tuple[str, ...]:
        """The Return-Path and DKIM steps for `domain`."""
        return (self.return_path.format(domain=domain), self.dkim.format(domain=domain))


@dataclass(frozen=True, kw_only=True)
class Catalog:
    """The providers and the forwarders' PTR suffixes."""

    providers: tuple[Provider, ...]
    forwarders: tuple[str, ...]

    def identify(self, names: Iterable[str | None]) -> Provider | None:
        """The first provider any of `names` (PTR, envelope, d= domains) lies under."""
        for name in names:
            for provider in self.providers:
                if name and _under(name, provider.match):
                    return provider
        return None


def _under(name: str, suffixes: tuple[str, ...]) -> bool:
    name = name.lower().rstrip(".")
    return any(name == s or name.endswith("." + s) for s in suffixes)


def load_catalog() -> Catalog:
    """Read the packaged senders.toml (called once per run, not at import)."""
    text = resources.files("deliverability").joinpath("data/senders.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    providers = tuple(
        Provider(
            id=key,
            name=p["name"],
            match=tuple(p["match"]),
            spf_include=p["spf_include"],
            return_path=p["return_path"],
            dkim=p["dkim"],
        )
        for key, p in raw.get("providers", {}).items()
    )
    return Catalog(
        providers=providers, forwarders=tuple(raw.get("forwarders", {}).get("hosts", ()))
    )
