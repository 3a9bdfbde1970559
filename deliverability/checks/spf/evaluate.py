"""The RFC 7208 check_host() verdict for one IP, and the rules it shares with the walk.

    evaluate(dns, ip=..., sender=..., helo=...) -> Verdict(result, term, explanation)

The verdict is pyspf's, fed from our DNS layer (spf/reference.py). A failed lookup
becomes `temperror`, never fail. A CNAME loop met while resolving a name for `a`,
`mx` or `ptr` skips that name (RFC 7208 5.5) instead.
"""

from __future__ import annotations

import asyncio
import re

from dns import exception as dns_exception

from deliverability.finding import Target
from deliverability.lean import dataclass
from deliverability.net.dns import Answer, DnsClient, LookupFailed, normalize_name

_MAX_CNAME_HOPS = 16
_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,62})$", re.IGNORECASE)  # LDH, plus "_" for _spf


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """What check_host() said: the result word, the term that decided it, the reason."""

    result: str
    term: str | None = None
    explanation: str = ""


async def evaluate(dns: DnsClient, *, ip: str, sender: str, helo: str) -> Verdict:
    """check_host() for `ip` and the `sender` identity (an address, or '' for HELO)."""
    domain = sender.rpartition("@")[2] if sender else helo
    if not is_checkable_domain(domain):
        return Verdict(result="none", explanation=f"{domain!r} is not a multi-label domain name")
    # pyspf compiles its regular expressions on import (~10 ms): only a run that
    # evaluates an IP (--ip, a profile, a report's sources) loads it
    from deliverability.checks.spf import reference

    bridge = _SyncDns(dns=dns, loop=asyncio.get_running_loop())
    result, term, explanation = await asyncio.to_thread(
        reference.check_host, bridge, ip, sender, helo
    )
    return Verdict(result=result, term=term, explanation=explanation)


@dataclass(frozen=True, kw_only=True)
class _SyncDns:
    """The run's DnsClient as seen from pyspf's worker thread: blocking calls on the loop."""

    dns: DnsClient
    loop: asyncio.AbstractEventLoop

    def query(self, name: str, rdtype: str) -> Answer:
        """dns.query() on the event loop; LookupFailed passes through."""
        return asyncio.run_coroutine_threadsafe(self.dns.query(name, rdtype), self.loop).result()

    def cname_loops(self, name: str) -> bool:
        """cname_loops() on the event loop."""
        return asyncio.run_coroutine_threadsafe(cname_loops(self.dns, name), self.loop).result()


async def cname_loops(dns: DnsClient, name: str) -> bool:
    """Whether the CNAME chain from `name` runs in a circle (or past 16 hops)."""
    seen: set[str] = set()
    while name not in seen and len(seen) < _MAX_CNAME_HOPS:
        seen.add(name)
        try:
            records = (await dns.query(name, "CNAME")).records
        except (LookupFailed, ValueError, dns_exception.DNSException):
            return False
        if not records:
            return False
        name = str(records[0].target).rstrip(".").lower()
    return True


def spf_identity(target: Target) -> tuple[str, str]:
    """(sender address, domain) whose SPF is checked: MAIL FROM, or HELO for a null sender."""
    if not target.envelope_sender and target.helo:
        helo = normalize_name(target.helo)
        return f"postmaster@{helo}", helo  # RFC 7208 2.4: a null sender uses the HELO name
    domain = target.mail_from_domain
    local = target.envelope_sender.rpartition("@")[0]
    return f"{local or 'postmaster'}@{domain}", domain


def is_checkable_domain(domain: str) -> bool:
    """RFC 7208 4.3: a malformed or single-label domain gives `none` without a lookup."""
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or len(domain) > 253:
        return False
    return all(_LABEL.match(label) for label in labels)
