"""Structured concurrency for checks: sub-tasks that cannot outlive the block that starts them.

A check often asks for something early (the `_dmarc` record while the SPF include
chain is walked) and may find it does not need it. `sub_tasks()` is the one way to
do that: every task started in the block is cancelled when the block ends, whether
it returns early, raises, or is itself cancelled (the engine's time limit), and its
outcome is collected, so nothing is left running and no "exception was never
retrieved" warning is printed at exit.

    async with sub_tasks() as tasks:
        dmarc = tasks.start(dmarc_policy(ctx))
        ...
        if done_early:
            return findings  # dmarc is cancelled here
        policy = await dmarc
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class SubTasks:
    """The tasks of one `sub_tasks()` block."""

    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[Any]] = []

    def start(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `coroutine` concurrently; await the task for its result."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.append(task)
        return task

    async def _close(self) -> None:
        pending = [t for t in self._tasks if not t.done()]
        for task in pending:
            task.cancel()
        # Collect every outcome (results, errors, cancellations): nothing left unretrieved.
        await asyncio.gather(*self._tasks, return_exceptions=True)


@asynccontextmanager
async def sub_tasks() -> AsyncIterator[SubTasks]:
    """A block whose sub-tasks are cancelled and collected when it ends."""
    tasks = SubTasks()
    try:
        yield tasks
    finally:
        await asyncio.shield(tasks._close())
