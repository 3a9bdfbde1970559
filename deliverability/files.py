"""Read the files users hand us (zone files, profiles, saved reports, bounces) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

MIB = 1 << 20
# The most the tool reads of each kind of file (docs/limits.md): enough for any real
# one, small enough that /dev/zero or a mistaken path is one line, not gigabytes.
MAX_ZONE_FILE = 256 * MIB  # a 600,000-record zone is ~30 MB
MAX_PROFILE = 1 * MIB
MAX_REPORT = 256 * MIB  # a saved JSON report (baseline, diff)
MAX_SMALL_FILE = 1 * MIB  # a PEM bundle of trusted roots
MAX_USER_FILE = 64 * MIB  # any other file read whole
MAX_TARGET_LINE = 4096  # one line of --from-file; a longer one fails that row


class UnreadableFile(Exception):
    """A file cannot be used as text; the message is one line naming it and why."""


def open_user_binary(path: Path, what: str) -> BinaryIO:
    """`path` opened for reading bytes (the caller reads it up to its own cap); `what`
    names it in errors, as read_user_text does."""
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path}: is a directory, not a {what}") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_capped(handle: BinaryIO, path: Path, what: str, limit: int) -> bytes:
    """All of `handle`, at most `limit` bytes: one byte more is an UnreadableFile, so
    /dev/zero or a huge file costs `limit` bytes and one line, never all memory."""
    try:
        raw = handle.read(limit + 1)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise UnreadableFile(f"{path}: larger than {_size(limit)}, the limit for a {what}")
    return raw


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB else f"{limit} bytes"


def read_user_text(path: Path, what: str, limit: int = MAX_USER_FILE) -> str:
    """The UTF-8 text of `path` (a byte-order mark dropped), at most `limit` bytes;
    `what` names it in errors, e.g. "zone file" -> "db.example: binary file, not a
    zone file"."""
    with open_user_binary(path, what) as handle:
        raw = read_capped(handle, path, what, limit)
    if b"\0" in raw:
        raise UnreadableFile(f"{path}: binary file, not a {what}")
    try:
        return raw.decode("utf-8-sig")  # an editor's byte-order mark is not content
    except UnicodeDecodeError:
        raise UnreadableFile(f"{path}: not UTF-8 text, not a {what}") from None
