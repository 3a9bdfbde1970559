"""--output FILE written atomically: a temporary file beside it, renamed into place.

An interrupted or failed run leaves the previous FILE as it was and no partial one;
`commit()` (or leaving a `with` block normally) is the only way the new content
replaces it. Special files (/dev/full, /dev/stdout, a FIFO) are written directly.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

T = TypeVar("T")


class AtomicOutput:
    """A text stream to `path` that replaces it only on commit()."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._direct = path.exists() and not path.is_file()  # a device or a pipe
        if self._direct:
            self._temp: Path | None = None
            self._handle: IO[str] = path.open("w", encoding="utf-8")
            return
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        self._temp = Path(name)
        self._handle = os.fdopen(fd, "w", encoding="utf-8")

    def write(self, text: str) -> int:
        """Write `text` (to the temporary file)."""
        return self._named(lambda: self._handle.write(text))

    def flush(self) -> None:
        """Flush what was written so far."""
        self._named(self._handle.flush)

    def isatty(self) -> bool:
        """Never a terminal."""
        return False

    def commit(self) -> None:
        """Finish: the written content replaces `path`."""
        if self._handle.closed:
            return
        self._named(self._handle.close)
        if self._temp is not None:
            if self.path.exists():  # keep the old file's permissions
                with contextlib.suppress(OSError):
                    os.chmod(self._temp, self.path.stat().st_mode & 0o7777)
            temp = self._temp
            self._named(lambda: os.replace(temp, self.path))

    close = commit  # the bulk and merge loops close their stream when done

    def discard(self) -> None:
        """Give up: `path` stays as it was, the temporary file is removed."""
        with contextlib.suppress(OSError):
            self._handle.close()
        if self._temp is not None:
            with contextlib.suppress(OSError):
                self._temp.unlink()

    def __enter__(self) -> AtomicOutput:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def _named(self, action: Callable[[], T]) -> T:
        """Run `action`; an OSError is re-raised naming `path`, the file the user gave."""
        try:
            return action()
        except OSError as exc:
            self.discard()
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None
