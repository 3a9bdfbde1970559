"""Walk the INPUTs of `deliverability bounce`: files, mbox files, Maildirs, directories
(recursively, in name order) and standard input, yielding one item per message or export
file as it is needed, so memory stays flat however many there are.

The user-file rules apply: every file is read up to a cap (a message MAX_MESSAGE_BYTES,
an export MAX_EXPORT_BYTES), a file that cannot be read, is binary or too large is one
Unreadable line and the walk goes on. Symbolic links to directories are not followed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from deliverability.checks.bounce.model import Unreadable
from deliverability.files import UnreadableFile, open_user_binary
from deliverability.lean import dataclass

MAX_MESSAGE_BYTES = 10 * 1024 * 1024  # the message command's limit
MAX_EXPORT_BYTES = 64 * 1024 * 1024  # an ESP export (JSON, CSV) may hold many events
MAX_FILES = 1_000_000
_EXPORT_START = (b"{", b"[")


@dataclass(frozen=True, kw_only=True)
class Item:
    """One message, export or pasted text to read, and where it came from."""

    source: str
    data: bytes


def walk(inputs: list[str], stdin: BinaryIO) -> Iterator[Item | Unreadable]:
    """Every item of every input, in the order given."""
    for name in inputs:
        if name == "-":
            yield from _stream("stdin", stdin)
        elif os.path.isdir(name):
            yield from _directory(Path(name))
        else:
            yield from _file(Path(name))


def is_maildir(path: Path) -> bool:
    """A Maildir has cur/ and new/ (and tmp/, which is never read: it holds partial writes)."""
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _directory(root: Path) -> Iterator[Item | Unreadable]:
    if is_maildir(root):
        for sub in ("new", "cur"):
            yield from _files_in(root / sub, recursive=False)
        return
    yield from _files_in(root, recursive=True)


def _files_in(root: Path, *, recursive: bool) -> Iterator[Item | Unreadable]:
    count = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
        if recursive and is_maildir(Path(folder)):
            dirs[:] = [d for d in dirs if d in ("cur", "new")]
        for name in sorted(files):
            count += 1
            if count > MAX_FILES or name.startswith("."):
                continue
            yield from _file(Path(folder) / name)


def _file(path: Path) -> Iterator[Item | Unreadable]:
    try:
        handle = open_user_binary(path, "bounce")
    except UnreadableFile as exc:
        yield Unreadable(source=str(path), problem=str(exc).removeprefix(f"{path}: "))
        return
    with handle:
        try:
            yield from _stream(str(path), handle)
        except OSError as exc:  # a read error mid-file (EIO, a FIFO gone away)
            yield Unreadable(source=str(path), problem=f"cannot read: {exc.strerror or exc}")


def _stream(source: str, handle: BinaryIO) -> Iterator[Item | Unreadable]:
    """A file or stdin: an mbox is split as it is read; anything else is read up to its cap."""
    head = handle.read(5)
    if head == b"From ":
        yield from _mbox(source, handle, head)
        return
    data = head + handle.read(MAX_EXPORT_BYTES + 1 - len(head))
    limit = (
        MAX_EXPORT_BYTES
        if data.lstrip()[:1] in _EXPORT_START or _csv_like(data)
        else MAX_MESSAGE_BYTES
    )
    if len(data) > limit:
        yield Unreadable(source=source, problem=f"over {limit // (1024 * 1024)} MB; not read")
    elif b"\0" in data[:8192] and data.lstrip()[:1] not in _EXPORT_START:
        yield Unreadable(source=source, problem="binary file, not a bounce")
    else:
        yield Item(source=source, data=data)


def _csv_like(data: bytes) -> bool:
    first = data[:1024].split(b"\n", 1)[0].lower()
    return b"," in first and b"email" in first


def _mbox(source: str, handle: BinaryIO, head: bytes) -> Iterator[Item | Unreadable]:
    """mboxrd / mboxo: a message starts at each line beginning 'From '."""
    current: list[bytes] = []
    size, number, over = 0, 0, False
    for line in _lines(handle, head):
        if line.startswith(b"From ") and (current or over):
            number += 1
            yield _mbox_item(source, number, current, over)
            current, size, over = [], 0, False
        if line.startswith(b"From "):
            continue
        size += len(line)
        if size > MAX_MESSAGE_BYTES:
            over, current = True, []
        elif not over:
            current.append(line[1:] if line.startswith(b">From ") else line)
    if current or over:
        yield _mbox_item(source, number + 1, current, over)


def _lines(handle: BinaryIO, head: bytes) -> Iterator[bytes]:
    first = head + handle.readline(MAX_MESSAGE_BYTES)
    yield first
    while line := handle.readline(1 << 20):
        yield line


def _mbox_item(source: str, number: int, lines: list[bytes], over: bool) -> Item | Unreadable:
    where = f"{source}:message {number}"
    if over:
        return Unreadable(
            source=where, problem=f"over {MAX_MESSAGE_BYTES // (1024 * 1024)} MB; not read"
        )
    return Item(source=where, data=b"".join(lines))
