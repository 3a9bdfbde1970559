"""`check --workers N`: a bulk run's targets checked by N processes on one machine.

A bulk run is CPU-bound once answers come quickly (parsing answers, the checks'
logic, verifying fixes: ~4-5 ms a target on one core), and one Python process uses
one core. `start()` forks N workers once the run is prepared, before any event loop
or thread exists: each inherits the loaded checks and the settings, and checks the
targets at positions i, i+N, i+2N... of the run's rows (after --shard), with its own
DNS cache, --concurrency targets at once and 1/N of the --qps cap, so the resolver
sees the rate it was promised. Each sends its outcomes, in its input order, down a
pipe; `Workers.collect()` reads them round-robin, which is the run's input order,
and hands them to the same `done` the one-process run uses: the output, the summary
and the exit status are those of a run without --workers. A shared name (a
provider's SPF include) is asked once per worker instead of once per run.

Ctrl-C and SIGTERM are the parent's: workers ignore SIGINT and are sent SIGTERM when
the run ends early; a worker whose parent has gone dies at its next write (the pipe
is closed). Needs fork (Linux, macOS); elsewhere the run uses one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from deliverability.cli.failures import EXIT_INTERNAL
from deliverability.lean import dataclass

if TYPE_CHECKING:
    from deliverability.bulk_summary import Outcome, Row
    from deliverability.plan import RunPlan

_HEADER = struct.Struct("!Q")  # the length of the pickled message that follows
_OUTCOME, _FAILED = 0, 1


class WorkerFailed(Exception):
    """A worker could not finish its share; the message says why, in one line."""


def can_fork() -> bool:
    """Whether this platform can run workers (os.fork exists)."""
    return hasattr(os, "fork")


@dataclass
class _Worker:
    pid: int
    pipe: BinaryIO


class Workers:
    """The forked workers of one bulk run and the read ends of their pipes."""

    def __init__(self, workers: list[_Worker]) -> None:
        self._workers = workers

    async def collect(self, done: Callable[[Outcome], Awaitable[None] | None]) -> None:
        """Hand every outcome to `done` in input order, then reap the workers; a worker
        that failed raises WorkerFailed, after the outcomes before its failure."""
        loop = asyncio.get_running_loop()
        try:
            for position in itertools.count():
                worker = self._workers[position % len(self._workers)]
                message = await loop.run_in_executor(None, _receive, worker.pipe)
                if message is None:
                    # its rows are done, and so everyone's (round-robin), unless it died:
                    # then the others are stopped, not waited for (they would block on
                    # pipes nobody reads)
                    await loop.run_in_executor(None, _reap, worker, False)
                    break
                kind, payload = message
                if kind == _FAILED:
                    raise WorkerFailed(payload)
                handed = done(payload)
                if handed is not None:
                    await handed
            for worker in self._workers:
                await loop.run_in_executor(None, _reap, worker, False)
        finally:
            self.stop()

    def stop(self) -> None:
        """End the workers still running (the run was interrupted or failed) and reap them."""
        for worker in self._workers:
            if worker.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGTERM)
        for worker in self._workers:
            _reap(worker, True)


def _reap(worker: _Worker, quiet: bool) -> None:
    """Wait for `worker` to end; WorkerFailed (unless `quiet`) when it did not end well."""
    if not worker.pid:
        return
    _, status = os.waitpid(worker.pid, 0)
    worker.pid = 0
    worker.pipe.close()
    code = os.waitstatus_to_exitcode(status)
    if code < 0 and not quiet:
        raise WorkerFailed(f"a worker process was killed (signal {-code})")
    if code and not quiet:
        raise WorkerFailed(f"a worker process ended with status {code}")


def start(
    plan: RunPlan,
    rows: Iterable[Row],
    *,
    count: int,
    concurrency: int,
    verbose: bool,
    run: Callable[..., Any],
) -> Workers | None:
    """Fork `count` workers, each checking its share of `rows` with `run(plan, rows,
    done, concurrency=...)` (bulk.run_bulk), before any thread or event loop exists;
    None (one process, said on stderr) when a thread runs already: a lock it holds
    would stay held forever in the fork (the tool starts none; a host program may)."""
    if threading.active_count() > 1:
        sys.stderr.write("deliverability: warning: --workers: threads run; using one process\n")
        return None
    share = dataclasses.replace(plan, qps=plan.qps / count) if plan.qps else plan
    workers: list[_Worker] = []
    try:
        for index in range(count):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                os.close(read_end)
                for other in workers:
                    other.pipe.close()
                _work(share, _every(rows, index, count), write_end, concurrency, verbose, run)
            os.close(write_end)
            workers.append(_Worker(pid=pid, pipe=os.fdopen(read_end, "rb")))
    except BaseException:
        Workers(workers).stop()
        raise
    return Workers(workers)


def _every(rows: Iterable[Row], index: int, count: int) -> Iterator[Row]:
    """Rows index, index + count, index + 2 x count, ... of `rows`."""
    return itertools.islice(rows, index, None, count)


def _work(
    plan: RunPlan,
    rows: Iterable[Row],
    fd: int,
    concurrency: int,
    verbose: bool,
    run: Callable[..., Any],
) -> None:
    """A worker's life: check its rows, send each outcome, exit (0 when all were sent)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        with os.fdopen(fd, "wb") as pipe:
            sender = _Sender(pipe)
            try:
                asyncio.run(run(plan, rows, sender.outcome(verbose), concurrency=concurrency))
            except Exception as exc:  # noqa: BLE001 (said by the parent, in one line)
                sender.send(_FAILED, f"{type(exc).__name__}: {exc}")
                code = EXIT_INTERNAL
    except BaseException:  # noqa: BLE001 (a closed pipe: the parent has gone)
        code = code or EXIT_INTERNAL
    finally:
        os._exit(code)  # never the parent's cleanup, atexit or buffered output


class _Sender:
    """Writes messages down the pipe from a thread: a parent slow to read holds back the
    next outcome (run_bulk's window), never the worker's event loop and its timers."""

    def __init__(self, pipe: BinaryIO) -> None:
        self._pipe = pipe
        self._lock = threading.Lock()

    def outcome(self, verbose: bool) -> Callable[[Outcome], Awaitable[None]]:
        async def done(outcome: Outcome) -> None:
            if outcome.report is not None and not verbose:  # the trace stays here
                outcome = dataclasses.replace(
                    outcome, report=dataclasses.replace(outcome.report, trace=())
                )
            await asyncio.to_thread(self.send, _OUTCOME, outcome)

        return done

    def send(self, kind: int, payload: Any) -> None:
        data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self._pipe.write(_HEADER.pack(len(data)) + data)
            self._pipe.flush()


def _receive(pipe: BinaryIO) -> tuple[int, Any] | None:
    """The next message from a worker, or None at the end of its pipe."""
    header = pipe.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    data = pipe.read(size)
    if len(data) < size:
        return None
    message: tuple[int, Any] = pickle.loads(data)  # noqa: S301 (our own worker's pipe)
    return message
