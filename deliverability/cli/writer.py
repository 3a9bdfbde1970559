"""A bulk run's output written on a thread of its own, a whole record at a time.

The event loop hands each rendered record to `RecordWriter.put()`, which waits
(without blocking the loop) while MAX_QUEUED records are waiting: a slow reader holds
back new targets, never the DNS work of those in flight. Signals are handled on the
main thread, so a Ctrl-C or SIGTERM never lands inside the thread's write: a record
is in the output whole or not at all. `stop()` (the run was interrupted) lets the
record being written finish and drops the queued ones; `close()` writes them all.
A failing write (a closed pipe, a full disk) is raised by the next put() or close().
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from typing import Any

from deliverability.cli.running import write

MAX_QUEUED = 64  # rendered records waiting for a slow reader (a few MB at most)
_END = object()


class RecordWriter:
    """See the module docstring; `stream` is stdout or an AtomicOutput."""

    def __init__(self, stream: Any, *, limit: int = MAX_QUEUED) -> None:
        self._stream = stream
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._room = asyncio.Semaphore(limit)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="bulk-output", daemon=True)
        self._thread.start()

    def put_now(self, rendered: Any) -> None:
        """Queue what comes before or after the records (a document's head and tail)."""
        self._raise_failure()
        self._queue.put((rendered, False))

    async def put(self, rendered: Any) -> None:
        """Queue one record, waiting while the queue is full."""
        self._raise_failure()
        self._loop = asyncio.get_running_loop()
        await self._room.acquire()
        self._queue.put((rendered, True))

    def close(self) -> None:
        """Write everything queued, then end the thread; raise a failed write."""
        self._queue.put(_END)
        self._thread.join()
        self._raise_failure()

    def stop(self) -> None:
        """Finish the record being written, drop the rest, end the thread."""
        self._stopping.set()
        self._queue.put(_END)
        self._thread.join()

    def end(self, tail: Any, *, to_file: bool, interrupted: bool) -> None:
        """End the output: `--output FILE` replaces the old one only when the run finished
        (an interrupted one keeps it, cli/output.py); stdout gets the tail either way."""
        if interrupted:
            self.stop()  # the record being written ends whole; the queued ones are dropped
            if to_file:
                self._stream.discard()
                return
            write(tail, self._stream)  # after whole records: a SARIF or JUnit file closes
        else:
            self.put_now(tail)
            self.close()
        if to_file:
            self._stream.close()

    def abandon(self, *, to_file: bool) -> None:
        """A failed run: stop writing; `--output FILE` stays as it was."""
        self.stop()
        if to_file:
            self._stream.discard()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _END:
            rendered, counted = item
            try:
                if not self._stopping.is_set() and self._failure is None:
                    write(rendered, self._stream)
                    self._stream.flush()
            except BaseException as exc:  # noqa: BLE001 (handed to the loop's thread)
                self._failure = exc
            finally:
                if counted:
                    self._made_room()

    def _made_room(self) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                self._loop.call_soon_threadsafe(self._room.release)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure
