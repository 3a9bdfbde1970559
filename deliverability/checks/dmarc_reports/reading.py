"""Inputs -> FileOutcomes: paths expanded (directories and Maildirs, recursively), each
read under the size cap and unpacked into its reports, one line of error when none.

Reading is lazy (a generator), so a corpus of any size is summarized in flat memory:
each file's bytes are dropped once its reports are parsed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from deliverability.checks.dmarc_reports.model import AggregateReport, FileOutcome
from deliverability.checks.dmarc_reports.parse import NotAReport, parse_report
from deliverability.checks.dmarc_reports.unpack import Unreadable, documents
from deliverability.files import UnreadableFile, open_user_binary

STDIN = "-"
MAX_FILE_BYTES = 256 * 1024 * 1024  # an mbox of a year of reports fits; a disk image does not
_MAILDIR_SKIP = "tmp"  # Maildir: messages still being delivered


class MissingInput(Exception):
    """A PATH the user named does not exist (the run cannot start)."""


def expand(paths: Iterable[str]) -> Iterator[str]:
    """Every file under `paths`, directories walked in name order; `-` passes through."""
    for path in paths:
        if path == STDIN or not os.path.isdir(path):
            if path != STDIN and not os.path.lexists(path):
                raise MissingInput(f"{path}: no such file or directory")
            yield path
            continue
        yield from _walk(path)


def _walk(top: str) -> Iterator[str]:
    for directory, subdirs, files in os.walk(top):
        maildir = {"cur", "new"} <= set(subdirs)
        subdirs[:] = sorted(
            d for d in subdirs if not d.startswith(".") and not (maildir and d == _MAILDIR_SKIP)
        )
        for name in sorted(files):
            if not name.startswith("."):
                yield os.path.join(directory, name)


def read_bytes(path: str, stdin: Any = None) -> bytes:
    """The bytes of `path` (stdin for `-`), refused past MAX_FILE_BYTES."""
    if path == STDIN:
        data = _read_capped(getattr(stdin, "buffer", stdin))
    else:
        with open_user_binary(Path(path), "DMARC report") as handle:
            if os.fstat(handle.fileno()).st_size > MAX_FILE_BYTES:
                raise Unreadable(f"larger than {MAX_FILE_BYTES // 2**20} MiB: refused")
            data = _read_capped(handle)
    if len(data) > MAX_FILE_BYTES:
        raise Unreadable(f"larger than {MAX_FILE_BYTES // 2**20} MiB: refused")
    return data


def _read_capped(stream: Any) -> bytes:
    """Up to MAX_FILE_BYTES + 1 bytes, read in chunks (read(n) would reserve all n at once)."""
    chunks, size = [], 0
    while size <= MAX_FILE_BYTES and (chunk := stream.read(1 << 20)):
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def outcome(name: str, data: bytes) -> FileOutcome:
    """The reports in one input's bytes, or why it holds none."""
    reports: list[AggregateReport] = []
    failures: list[str] = []
    try:
        for document in documents(data):
            try:
                reports.append(parse_report(document))
            except NotAReport as exc:
                failures.append(str(exc))
    except Unreadable as exc:
        failures.append(str(exc))
    error = None
    if failures:
        error = failures[0] if not reports else f"{len(failures)} part(s) skipped: {failures[0]}"
    return FileOutcome(path=name, reports=tuple(reports), error=error)


def read_inputs(paths: Iterable[str], stdin: Any = None) -> Iterator[FileOutcome]:
    """The outcome of each input file, one at a time."""
    for path in expand(paths):
        try:
            data = read_bytes(path, stdin)
        except Unreadable as exc:
            yield FileOutcome(path=path, error=str(exc))
            continue
        except UnreadableFile as exc:
            yield FileOutcome(path=path, error=str(exc).removeprefix(f"{path}: "))
            continue
        yield outcome("<stdin>" if path == STDIN else str(Path(path)), data)
