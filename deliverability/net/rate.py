"""A cap on queries per second (`--qps N`), so a large run is not rate-limited by its resolver.

Public resolvers throttle a client that asks too fast (Google Public DNS from about
1,500 queries per second per address); a throttled run sees timeouts that become
`unknown` findings. QueryRate spaces queries evenly: each one waits for the next free
slot, 1/N seconds after the previous one left (no bursts, and no catching up after the
loop was busy), so any window of T seconds holds at most T*N + 1 of them. The wait
comes before a lookup's timeout starts.
"""

from __future__ import annotations

import asyncio
import math

# `check --from-file` over more than BULK_TARGETS targets caps at DEFAULT_BULK_QPS unless --qps
# says otherwise: far below public resolvers' limits, and 200 domains a minute or more.
BULK_TARGETS = 1_000
DEFAULT_BULK_QPS = 200.0


class QueryRate:
    """At most `qps` queries start per second, evenly spaced (see the module docstring)."""

    def __init__(self, qps: float) -> None:
        if not (qps > 0 and math.isfinite(qps)):
            raise ValueError(f"queries per second must be a positive number, not {qps!r}")
        self.qps = qps
        self._interval = 1.0 / qps
        self._next = 0.0  # the loop time of the next free slot
        self._turn = asyncio.Lock()  # FIFO: queries leave in the order they asked

    async def wait(self) -> None:
        """Return when this query may leave: 1/qps after the one before it did."""
        loop = asyncio.get_running_loop()
        async with self._turn:
            if loop.time() < self._next:
                await asyncio.sleep(self._next - loop.time())
            self._next = loop.time() + self._interval
