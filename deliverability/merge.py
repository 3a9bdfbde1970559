"""Merging shard outputs (`deliverability merge FILE...`) back into one run, in input order.

Each shard of `check --from-file F --shard I/N` writes JSON Lines or CSV in which
every target carries its `line` in F. The files are indexed (line number and byte
offset of each record: 16 bytes a target, the records stay on disk), then read back
in line order with a k-way merge, so memory stays small for a million targets.
JSON Lines records become Outcomes again (full reports: every bulk format can be
written from them); CSV rows stay rows (they can only be written as CSV).
"""

from __future__ import annotations

import array
import csv
import heapq
import json
import re
from collections.abc import Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from deliverability.baseline import finding_of
from deliverability.bulk_summary import Outcome, Row
from deliverability.finding import CheckResult, Report, Target, TraceEntry
from deliverability.lean import dataclass

_JSON_LINE = re.compile(rb'\{"line":(\d{1,12})[,}]')


class MergeError(Exception):
    """The shard files cannot be merged; the message is one line naming the file."""


class ShardKind(StrEnum):
    """What a shard file holds."""

    json = "json"
    csv = "csv"


@dataclass(frozen=True, kw_only=True)
class ShardFile:
    """One shard file, indexed: the `line` of each record and where it starts."""

    path: Path
    kind: ShardKind
    header: tuple[str, ...]  # CSV column names; () for JSON Lines
    lines: array.array[int]
    offsets: array.array[int]

    def ordered(self, number: int) -> Iterator[tuple[int, int, int]]:
        """(line, file number, offset) of every record, in line order."""
        order: Sequence[int] = range(len(self.lines))
        if any(a > b for a, b in zip(self.lines, self.lines[1:], strict=False)):
            order = sorted(order, key=self.lines.__getitem__)
        return ((self.lines[i], number, self.offsets[i]) for i in order)


def open_shards(paths: Sequence[Path]) -> list[ShardFile]:
    """Index every file; MergeError when one is not a shard or they do not belong together.

    An empty file (a JSON Lines shard that held no target) adds nothing and is left out.
    """
    shards = [shard for shard in map(_index, paths) if shard.lines or shard.header]
    for shard in shards[1:]:
        if (shard.kind, shard.header) != (shards[0].kind, shards[0].header):
            raise MergeError(
                f"{shard.path}: not the same output as {shards[0].path} "
                "(merge shards of one run, written in one format)"
            )
    return shards


def records(shards: Sequence[ShardFile]) -> Iterator[tuple[int, str]]:
    """(line, record text) of every shard's records, in input-line order."""
    handles = [shard.path.open("rb") for shard in shards]
    try:
        previous = None
        for line, number, offset in heapq.merge(*(s.ordered(i) for i, s in enumerate(shards))):
            if line == previous:
                raise MergeError(f"{shards[number].path}: line {line} is in two shard files")
            previous = line
            handles[number].seek(offset)
            yield line, handles[number].readline().decode("utf-8", "replace")
    finally:
        for handle in handles:
            handle.close()


def outcome_of(text: str, path: Path) -> Outcome:
    """A JSON Lines record back as the Outcome `check --from-file` wrote it from."""
    try:
        data = json.loads(text)
        row = Row(line=int(data["line"]), domain=_target_domain(data))
        if "failure" in data:
            return Outcome(row=row, failure=str(data["failure"]))
        return Outcome(row=row, report=report_of(data))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise MergeError(f"{path}: a record is not a deliverability report") from None


def report_of(data: dict[str, Any]) -> Report:
    """A Report from its JSON form (render/json.py); KeyError/TypeError/ValueError if malformed."""
    target = data["target"]
    return Report(
        tool_version=str(data["tool"]["version"]),
        target=Target(
            domain=str(target["domain"]),
            ips=tuple(map(str, target["ips"])),
            mail_from=str(target["mail_from"]),
            helo=target.get("helo"),
            selectors=tuple(map(str, target["selectors"])),
            recipient=target.get("recipient"),
        ),
        checks=tuple(_check(name, check) for name, check in data["checks"].items()),
        trace=tuple(TraceEntry(**entry) for entry in data["dns"]["trace"]),
        queries=int(data["dns"]["queries"]),
    )


def csv_cells(text: str) -> list[str]:
    """One CSV record's cells."""
    return next(csv.reader([text]), [])


def _check(name: str, check: dict[str, Any]) -> CheckResult:
    return CheckResult(
        name=str(name),
        findings=tuple(finding_of(item) for item in check["findings"]),
        duration_ms=int(check["duration_ms"]),
        data=dict(check["data"]),
    )


def _target_domain(data: dict[str, Any]) -> str:
    return str(data["domain"] if "failure" in data else data["target"]["domain"])


def _index(path: Path) -> ShardFile:
    lines, offsets = array.array("q"), array.array("q")
    try:
        with path.open("rb") as handle:
            kind, header, offset = _kind(handle, path)
            for raw in iter(handle.readline, b""):
                if raw.strip():
                    lines.append(_line_of(raw, kind, path))
                    offsets.append(offset)
                offset += len(raw)
    except OSError as exc:
        raise MergeError(f"cannot read {path}: {exc.strerror or exc}") from None
    return ShardFile(path=path, kind=kind, header=header, lines=lines, offsets=offsets)


def _kind(handle: BinaryIO, path: Path) -> tuple[ShardKind, tuple[str, ...], int]:
    """JSON Lines (records from the start) or CSV (a header with `line` first)."""
    first = handle.readline()
    if not first or first.lstrip().startswith(b"{"):  # empty: a shard that held no target
        handle.seek(0)
        return ShardKind.json, (), 0
    header = tuple(csv_cells(first.decode("utf-8", "replace").strip()))
    if header[:2] != ("line", "domain"):
        raise MergeError(
            f"{path}: not a shard output (write shards with check --from-file --format json or csv)"
        )
    return ShardKind.csv, header, len(first)


def _line_of(raw: bytes, kind: ShardKind, path: Path) -> int:
    try:
        if kind is ShardKind.json:
            fast = _JSON_LINE.match(raw)  # how json_line writes it; anything else is parsed
            return int(fast[1] if fast else json.loads(raw)["line"])
        return int(csv_cells(raw.decode("utf-8", "replace"))[0])
    except (KeyError, TypeError, ValueError, IndexError):
        raise MergeError(f"{path}: a record has no input line number") from None
