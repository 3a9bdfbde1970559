"""The walk's shared budgets are handed out in ticket order, whatever order the claims come in."""

from __future__ import annotations

import asyncio

from deliverability.checks.spf.budget import OrderedBudget


def grants(claims: list[tuple[int, float]], total: int) -> list[int]:
    """What each ticket (wanting `want`, claiming after `delay` s) gets from `total`."""

    async def run() -> list[int]:
        budget = OrderedBudget(total)
        tickets = [budget.ticket() for _ in claims]

        async def claim(index: int, want: int, delay: float) -> int:
            await asyncio.sleep(delay)
            return await tickets[index].claim(want)

        return await asyncio.gather(*(claim(i, w, d) for i, (w, d) in enumerate(claims)))

    return asyncio.run(run())


def test_later_tickets_claiming_first_still_wait_for_the_earlier_ones() -> None:
    assert grants([(10, 0.05), (10, 0.0), (10, 0.0)], total=15) == [10, 5, 0]


def test_a_closed_ticket_passes_its_turn() -> None:
    async def run() -> int:
        budget = OrderedBudget(3)
        first, second = budget.ticket(), budget.ticket()
        first.close()
        return await second.claim(5)

    assert asyncio.run(run()) == 3
