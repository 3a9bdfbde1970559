"""A budget that concurrent lookups draw on in walking order, whatever order their answers arrive in.

The SPF walk resolves terms side by side, yet a cap shared by them (MX hosts per
walk, CNAME-loop probes) must not depend on which lookup answers first, or the same
records would give different reports on different runs. Each claimant takes a
ticket when the walk reaches it, synchronously and so in walking order; a ticket's
claim waits until every earlier ticket has claimed or closed, then takes what is left.

    hosts = OrderedBudget(40)
    ticket = hosts.ticket()           # when the walk reaches the term
    granted = await ticket.claim(11)  # later, in any task: min(11, what is left)
    ticket.close()                    # always (finally): passes the turn if never claimed
"""

from __future__ import annotations

import asyncio

from deliverability.lean import dataclass


class OrderedBudget:
    """`total` units handed out in the order tickets were taken."""

    def __init__(self, total: int) -> None:
        self.left = total
        self._last: asyncio.Future[None] | None = None

    def ticket(self) -> Ticket:
        """The next place in line."""
        turn = asyncio.get_running_loop().create_future()
        ticket = Ticket(budget=self, before=self._last, turn=turn)
        self._last = turn
        return ticket


@dataclass(kw_only=True)
class Ticket:
    """One place in an OrderedBudget's line; `turn` is done once it has claimed or closed."""

    budget: OrderedBudget
    before: asyncio.Future[None] | None
    turn: asyncio.Future[None]

    async def claim(self, wanted: int) -> int:
        """Wait for the earlier tickets, then take up to `wanted`; the units granted."""
        if self.turn.done():
            return 0  # closed, or already claimed: a ticket claims once
        if self.before is not None:
            await asyncio.shield(self.before)
        granted = max(0, min(wanted, self.budget.left))
        self.budget.left -= granted
        self._pass()
        return granted

    def close(self) -> None:
        """Take nothing more; the next ticket's turn comes once the earlier ones are done."""
        if self.turn.done():
            return
        if self.before is None or self.before.done():
            self._pass()
        else:
            self.before.add_done_callback(lambda _: self._pass())

    def _pass(self) -> None:
        if not self.turn.done():
            self.turn.set_result(None)
