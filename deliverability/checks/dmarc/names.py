"""The names the RFC 9989 DNS Tree Walk asks, standard library only: the console's
prefetch (net/prefetch.py) asks them before dnspython and the checks have loaded."""

from __future__ import annotations

MAX_LABELS = 7  # RFC 9989 4.10 step 4: names of 8+ labels jump to 7 after the first query


def walk_targets(domain: str) -> list[str]:
    """The domains whose `_dmarc` names the walk from `domain` (lower case, no final
    dot) asks, in order (RFC 9989 4.10)."""
    labels = domain.split(".")
    targets = [".".join(labels)]
    rest = labels[-MAX_LABELS:] if len(labels) > MAX_LABELS else labels[1:]
    while rest:
        targets.append(".".join(rest))
        rest = rest[1:]
    return targets
