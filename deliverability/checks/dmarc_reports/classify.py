"""Which category one report row falls in (docs/dmarc-reports.md "Categories").

aligned               DMARC passed: an aligned SPF or DKIM pass (RFC 7489 appendix C)
forwarded             the receiver's override says forwarded / mailing list, or the
                      IP's PTR name belongs to a known forwarder
authorized-unaligned  SPF passed for the IP, or a DKIM signature verified, but for
                      another domain than From (an ESP's bounce or signing domain)
unauthorized          nothing passed: a sender you forgot, or someone spoofing you
"""

from __future__ import annotations

from collections.abc import Iterable

from deliverability.checks.dmarc_reports.model import FORWARDING_OVERRIDES, Category, Row

# Words receivers put in <reason><comment> for relayed mail (e.g. "arc=pass", "forwarded").
_FORWARDING_WORDS = ("forward", "mailing list", "mailing_list", "arc=pass", "local_policy.arc")


def row_category(row: Row) -> Category:
    """The category of one row, before anything is looked up."""
    if row.dmarc_pass:
        return Category.ALIGNED
    if FORWARDING_OVERRIDES.intersection(row.overrides) or _says_forwarded(row.comments):
        return Category.FORWARDED
    if row.authenticated:
        return Category.AUTHORIZED_UNALIGNED
    return Category.UNAUTHORIZED


def _says_forwarded(comments: Iterable[str]) -> bool:
    return any(word in comment.lower() for comment in comments for word in _FORWARDING_WORDS)


def is_forwarder_host(ptr: str | None, forwarder_suffixes: Iterable[str]) -> bool:
    """Whether a PTR name lies under one of the known forwarders' domains (label boundary)."""
    if not ptr:
        return False
    name = ptr.lower().rstrip(".")
    return any(name == s or name.endswith("." + s) for s in forwarder_suffixes)


def majority(counts: dict[Category, int]) -> Category | None:
    """The category with the most messages; ties go to the worse (later) category."""
    order = list(Category)
    ranked = sorted(counts.items(), key=lambda item: (item[1], order.index(item[0])))
    return ranked[-1][0] if ranked and ranked[-1][1] > 0 else None
