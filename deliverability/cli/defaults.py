"""What the sender profile gives `check` when the flags leave it out.

Its `ips` (single addresses; a range is no one sending IP) are the sending IPs, its
`dkim_selectors` the selectors, the first `smtp_hosts` name the HELO name and the
first `return_path_domains` domain the envelope sender's domain. Flags always win.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deliverability.finding import Target
    from deliverability.profile import SenderProfile


def with_profile(target: Target, profile: SenderProfile | None, *, mail_from_given: bool) -> Target:
    """`target` with what the flags did not give taken from `profile`."""
    if profile is None:
        return target
    return_paths = profile.return_path_domains
    mail_from = target.mail_from
    if not mail_from_given and return_paths:
        mail_from = f"postmaster@{return_paths[0]}"
    return dataclasses.replace(
        target,
        ips=target.ips or sending_ips(profile),
        selectors=target.selectors or profile.dkim_selectors,
        helo=target.helo or next(iter(profile.smtp_hosts), None),
        mail_from=mail_from,
    )


def sending_ips(profile: SenderProfile) -> tuple[str, ...]:
    """The profile's single addresses; its ranges are named on stderr, once, as not checked."""
    singles = [str(n.network_address) for n in profile.ips if n.num_addresses == 1]
    ranges = [str(n) for n in profile.ips if n.num_addresses > 1]
    if ranges:
        sys.stderr.write(
            f"deliverability: note: the profile's ranges {', '.join(ranges[:3])}"
            f"{' and more' if len(ranges) > 3 else ''} are not sending IPs to check; "
            "give --ip for an address in them\n"
        )
    return tuple(dict.fromkeys(singles))
