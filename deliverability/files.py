"""Read the files users hand us (zone files, profiles, saved reports, bounces) with one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO


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


def read_user_text(path: Path, what: str) -> str:
    """The UTF-8 text of `path` (a byte-order mark dropped); `what` names it in errors,
    e.g. "zone file" -> "db.example: binary file, not a zone file"."""
    with open_user_binary(path, what) as handle:
        try:
            raw = handle.read()
        except OSError as exc:
            raise UnreadableFile(f"{path}: cannot read: {exc.strerror or exc}") from None
    if b"\0" in raw:
        raise UnreadableFile(f"{path}: binary file, not a {what}")
    try:
        return raw.decode("utf-8-sig")  # an editor's byte-order mark is not content
    except UnicodeDecodeError:
        raise UnreadableFile(f"{path}: not UTF-8 text, not a {what}") from None
