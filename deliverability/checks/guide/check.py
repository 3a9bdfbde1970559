"""Allowlist guidance for a recipient domain: what filters its mail, and what its IT team should enter.

Runs when a recipient domain is given (`deliverability guide RECIPIENT`, or
`check DOMAIN --recipient RECIPIENT`). The recipient's MX hosts name the platform
that receives its mail (SPF includes name the mailbox platform behind a gateway);
the steps for that platform are filled in with the sender's values from the sender
profile (and the ranges its SPF authorizes, with `ips_from_spf = true`), converted
to the form each platform accepts. An unrecognized platform gets generic steps,
never a guess. Vendor facts live in deliverability/data/platforms.toml.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deliverability.context import Context
    from deliverability.finding import Finding

NAME = "guide"
NEEDS = ("spf", "dkim", "dmarc")  # the sender's own authentication: what to fix first
# `guide RECIPIENT` with no --sender and no profile: detect the platform, allow nothing.
DEFAULTS = {"sender_known": True}
CODES = {
    "guide.platform": "The recipient's mail platform was recognized",
    "guide.platform-unknown": "The recipient's mail platform was not recognized: generic guidance",
    "guide.no-mail": "The recipient domain accepts no mail",
    "guide.mx-failed": "The recipient's MX records could not be looked up",
    "guide.steps": "What the recipient's IT team should do on one platform",
    "guide.caveats": "Limits and caveats of one platform's allow lists",
    "guide.converted": "A value was converted to the form a platform accepts",
    "guide.not-accepted": "A value cannot be entered on a platform at all",
    "guide.no-values": "The sender profile gives nothing to allow",
    "guide.spf-unknown": "Part of the sender's SPF could not be read; its ranges are missing",
    "guide.spf-unflattened": "SPF terms that name no fixed ranges",
    "guide.spf-range-refused": "An SPF range too wide or special to be allowed was left out",
    "guide.confirm": "How to confirm it worked, and what to check besides the allow list",
    "guide.playbook": "What support checks in the sending application first",
    "guide.sender-auth": "The sender's own authentication fails: fix that first",
}


async def run(ctx: Context) -> list[Finding]:
    """Nothing without a recipient; with one, its platform's guidance (guide/letter.py,
    imported here: its catalog and platforms cost a run without a recipient ~5 ms)."""
    recipient = ctx.target.recipient
    if recipient is None:
        return []
    from deliverability.checks.guide.letter import guidance

    return await guidance(ctx, recipient, NEEDS)
