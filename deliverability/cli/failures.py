"""What escapes a command becomes one line on stderr and an exit status, never a traceback.

    BrokenPipeError      the reader went away (`| head -3`): exit 141 (128 + SIGPIPE)
    OSError              a failing write (disk full, read-only, /dev/full): exit 74
    RecursionError       input nested too deeply (a parser gave up): exit 2
    MemoryError, others  an internal error naming the exception: exit 70

`--debug` (anywhere on the command line) prints the traceback as well.
SIGTERM stops a run the way Ctrl-C does (the bulk summary is still written), exit 143.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Coroutine
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

EXIT_BROKEN_PIPE = 141
EXIT_IO_ERROR = 74  # sysexits.h EX_IOERR
EXIT_INTERNAL = 70  # sysexits.h EX_SOFTWARE
EXIT_TERMINATED = 143  # 128 + SIGTERM
DEBUG_FLAG = "--debug"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be so every interrupted path runs as for it."""


def take_debug_flag(argv: list[str]) -> tuple[list[str], bool]:
    """`argv` without --debug (a global option, accepted anywhere before `--`), and
    whether it was there."""
    end = argv.index("--") if "--" in argv else len(argv)
    kept = [a for a in argv[:end] if a != DEBUG_FLAG] + argv[end:]
    return kept, len(kept) != len(argv)


def stop_on_sigterm() -> Any:
    """Make SIGTERM interrupt the run as Ctrl-C does; the handler it replaced (None
    off the main thread, where signals cannot be handled)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (an embedding application)
        return None


def run_stoppable(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run(main), with SIGTERM stopping it the way asyncio stops it for Ctrl-C: the
    main task is cancelled and its tasks unwind, then Terminated is raised. (Raised from
    the handler, it would land inside the loop's machinery, and the tasks it tore down
    would be logged as tracebacks at shutdown.) Tasks left over are ended quietly."""
    import asyncio  # not at start-up: --help stays fast

    stopped = False

    async def stoppable() -> T:
        nonlocal stopped
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None

        def stop() -> None:
            nonlocal stopped
            stopped = True
            task.cancel()

        previous = signal.getsignal(signal.SIGTERM)
        try:
            loop.add_signal_handler(signal.SIGTERM, stop)
        except (ValueError, RuntimeError):  # not the main thread: signals are not ours
            return await main
        try:
            return await main
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
            signal.signal(signal.SIGTERM, previous)  # remove_ set the default, which kills
            await _end_other_tasks()

    try:
        return asyncio.run(stoppable())
    except asyncio.CancelledError:
        if stopped:
            raise Terminated() from None
        raise


async def _end_other_tasks() -> None:
    """Cancel and await what the run left (a lookup's tries): asyncio.run would log a
    traceback for each that ended with an error instead of its cancellation."""
    import asyncio

    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


def restore_sigterm(previous: Any) -> None:
    """Put back the SIGTERM handler stop_on_sigterm replaced."""
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def describe(exc: BaseException) -> tuple[str, int]:
    """The one line and the exit status for an exception that escaped a command."""
    if isinstance(exc, BrokenPipeError):
        return "the output was closed before everything was written (broken pipe)", (
            EXIT_BROKEN_PIPE
        )
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot write{where}: {exc.strerror or exc}", EXIT_IO_ERROR
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to read", 2
    if isinstance(exc, MemoryError):
        return "out of memory (the input is too large)", EXIT_INTERNAL
    detail = " ".join(str(exc).split())[:200]
    name = type(exc).__name__
    return f"internal error: {name}{': ' + detail if detail else ''}", EXIT_INTERNAL


def click_saw_a_broken_pipe() -> bool:
    """Click turns EPIPE into SystemExit(1) after wrapping stdout in PacifyFlushWrapper:
    that wrapper is how to tell its exit from any other."""
    return type(sys.stdout).__name__ == "PacifyFlushWrapper"


def print_traceback(exc: BaseException) -> None:
    """The traceback, for --debug."""
    traceback.print_exception(exc, file=sys.stderr)


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the exit's flush of a closed pipe is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
