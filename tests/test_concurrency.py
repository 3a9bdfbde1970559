"""sub_tasks(): a check's early requests end with the block that started them."""

from __future__ import annotations

import asyncio

import pytest

from deliverability.concurrency import sub_tasks


async def _forever() -> None:
    await asyncio.sleep(3600)


async def _fails() -> None:
    raise RuntimeError("lookup blew up")


def test_a_task_not_awaited_is_cancelled_when_the_block_returns() -> None:
    async def check() -> asyncio.Task[None]:
        async with sub_tasks() as tasks:
            pending = tasks.start(_forever())
            return pending

    assert asyncio.run(check()).cancelled()


def test_a_failure_nobody_awaited_is_collected_not_reported_at_exit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def check() -> None:
        async with sub_tasks() as tasks:
            tasks.start(_fails())
            await asyncio.sleep(0.01)

    asyncio.run(check())
    assert "never retrieved" not in caplog.text


def test_cancelling_the_check_cancels_its_sub_tasks() -> None:
    started: list[asyncio.Task[None]] = []

    async def check() -> None:
        async with sub_tasks() as tasks:
            started.append(tasks.start(_forever()))
            await _forever()

    async def main() -> None:
        outer = asyncio.ensure_future(check())
        await asyncio.sleep(0.01)
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer

    asyncio.run(main())
    assert started[0].cancelled()
