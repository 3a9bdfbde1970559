"""Bulk runs: check every target of a file over one shared DNS cache (`check --from-file`).

The file is one domain per line (`#` starts a comment), or a CSV whose header names
the columns `domain`, `ips` (or `ip`), `mail_from` (or `mail-from`) and `selectors`
(several IPs or selectors in a cell separated by spaces or `;`); other columns are
ignored, so a spreadsheet export runs as it is. Outcomes come out in input order. Targets are read as they are needed, at
most `concurrency` are in flight, and each report is handed to the caller the
moment it is done, then dropped, and the shared DNS cache keeps at most
SHARED_CACHE_ANSWERS answers: memory stays flat however long the file is. A target
that cannot be read or checked becomes a failure outcome; the run goes on.

Each target's DNS client is a view of one shared client (`DnsClient.view()`): a
name any target asked is not asked again while it is cached, and a report's trace and query count
hold the lookups that target was first to ask.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from deliverability.bulk_summary import Outcome, Row
from deliverability.files import MAX_TARGET_LINE
from deliverability.finding import Target
from deliverability.net.dns import DnsClient
from deliverability.plan import RunPlan
from deliverability.validation import BadInput, validate_domain, validate_ip

DEFAULT_CONCURRENCY = 16
# Answers the shared cache keeps (about 1.5 KB each): popular names (a provider's SPF
# include, a shared MX) stay; a long run forgets the oldest instead of growing.
SHARED_CACHE_ANSWERS = 10_000
_SPLIT = re.compile(r"[\s;]+")
COLUMNS = ("domain", "ips", "mail_from", "selectors")
# The names a spreadsheet may use for them; `-` and `_` are the same in a header.
ALIASES = {"ip": "ips", "mail-from": "mail_from", "mail_from": "mail_from", "selector": "selectors"}
# How many finished targets may wait for a slower one before it, so output keeps input order.
REORDER_WINDOW_PER_WORKER = 4
_TOO_LONG = "\n"  # stands for a line past MAX_TARGET_LINE (no read line is a bare newline)
_MAX_SKIPPED_CHUNKS = 4096  # 256 MiB of one line, at 64 KiB a chunk, before giving up


def read_targets(path: Path, defaults: Target) -> Iterator[Row]:
    """One Row per target line of the file, read as the caller asks for them.

    `defaults` gives the IPs, envelope sender, HELO and selectors of rows without
    their own; its domain is ignored. OSError escapes (the caller says why). A CSV's
    columns other than COLUMNS (and their ALIASES) are ignored: `unknown_columns` names them.
    """
    # Bytes that are not UTF-8 become U+FFFD: that row's domain fails, not the run.
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        lines = _numbered(handle, path)
        first = next(lines, None)
        if first is None:
            return
        number, text = first
        header = [] if text is _TOO_LONG else _header(text)
        if "domain" in header:
            yield from _csv_targets(header, lines, defaults)
        else:
            yield from _plain_targets([(number, text)], defaults)
            yield from _plain_targets(lines, defaults)


def domain_rows(domains: Sequence[str], defaults: Target) -> Iterator[Row]:
    """One Row per domain named on the command line (several DOMAINs, or a profile's
    from_domains), numbered from 1 like the lines of a file."""
    yield from _plain_targets(enumerate(domains, 1), defaults)


def unknown_columns(path: Path) -> list[str]:
    """The CSV header's columns that are not targets' fields ([] for a plain list of domains)."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        first = next(_numbered(handle, path), None)
    header = _header(first[1]) if first and first[1] is not _TOO_LONG else []
    return [c for c in header if "domain" in header and c not in COLUMNS]


def check_file(path: Path) -> None:
    """Read the header and first row now: OSError before any output is written."""
    next(read_targets(path, Target(domain="")), None)


def _header(text: str) -> list[str]:
    try:
        names = [c.strip().lower().replace("_", "-") for c in next(csv.reader([text]), [])]
    except csv.Error:
        return []
    return [ALIASES.get(name, name.replace("-", "_")) for name in names]


def _numbered(handle: io.TextIOBase, path: Path) -> Iterator[tuple[int, str]]:
    """(number, text) of each line that is not blank or a comment, read line by line and
    at most MAX_TARGET_LINE characters at a time: a longer line comes out as _TOO_LONG
    (that row fails), NUL bytes mean the file is no list of targets (BadInput)."""
    number = 0
    while text := handle.readline(MAX_TARGET_LINE + 1):
        number += 1
        if "\0" in text:
            raise BadInput(f"{path}: line {number}: binary data (NUL bytes), not a list of targets")
        if len(text) > MAX_TARGET_LINE and not text.endswith("\n"):
            _skip_rest_of_line(handle, path, number)
            yield number, _TOO_LONG
        elif text.strip() and not text.lstrip().startswith("#"):
            yield number, text.rstrip("\r\n")


def _skip_rest_of_line(handle: io.TextIOBase, path: Path, number: int) -> None:
    for _ in range(_MAX_SKIPPED_CHUNKS):
        chunk = handle.readline(1 << 16)
        if "\0" in chunk:
            raise BadInput(f"{path}: line {number}: binary data (NUL bytes), not a list of targets")
        if not chunk or chunk.endswith("\n"):
            return
    raise BadInput(f"{path}: line {number} never ends: not a list of targets")


def _too_long(number: int) -> Row:
    return Row(line=number, domain="", problem=f"line longer than {MAX_TARGET_LINE} characters")


def _plain_targets(lines: Iterable[tuple[int, str]], defaults: Target) -> Iterator[Row]:
    for number, text in lines:
        if text is _TOO_LONG:
            yield _too_long(number)
            continue
        yield _row(number, {"domain": text.split("#", 1)[0]}, defaults)


def _csv_targets(
    header: list[str], lines: Iterator[tuple[int, str]], defaults: Target
) -> Iterator[Row]:
    for number, text in lines:
        if text is _TOO_LONG:
            yield _too_long(number)
            continue
        try:
            cells = dict(zip(header, next(csv.reader([text]), []), strict=False))
        except csv.Error as exc:  # one malformed row fails, not the run
            yield Row(line=number, domain="", problem=f"not a CSV row: {exc}")
            continue
        yield _row(number, cells, defaults)


def _row(number: int, cells: dict[str, str], defaults: Target) -> Row:
    domain_text = (cells.get("domain") or "").strip()
    try:
        target = _target(cells, defaults)
    except BadInput as exc:
        return Row(line=number, domain=domain_text, problem=str(exc))
    return Row(line=number, domain=domain_text, target=target)


def _target(row: dict[str, str], defaults: Target) -> Target:
    """A validated Target from one row's cells; BadInput says what is wrong."""
    domain = validate_domain(row.get("domain") or "")
    ips = [validate_ip(ip) for ip in _SPLIT.split((row.get("ips") or "").strip()) if ip]
    mail_from = (row.get("mail_from") or "").strip() or defaults.mail_from
    selectors = [s.lower() for s in _SPLIT.split((row.get("selectors") or "").strip()) if s]
    return replace(
        defaults,
        domain=domain,
        ips=tuple(dict.fromkeys(ips)) or defaults.ips,
        mail_from=mail_from or f"postmaster@{domain}",
        selectors=tuple(selectors) or defaults.selectors,
    )


async def run_bulk(
    plan: RunPlan,
    rows: Iterable[Row],
    done: Callable[[Outcome], Awaitable[None] | None],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> None:
    """Check every target, at most `concurrency` at once; call `done` in input order
    (awaited when it is a coroutine: a writer with no room holds back the next row).

    A target finished before a slower one ahead of it waits in a window of
    REORDER_WINDOW_PER_WORKER x concurrency outcomes; a worker takes no row beyond the
    window, so memory stays flat however slow one target is.
    """
    shared = plan.new_dns(max_cached=SHARED_CACHE_ANSWERS)
    pending = enumerate(rows)
    in_order = InOrder(done, window=max(1, concurrency) * REORDER_WINDOW_PER_WORKER)

    async def worker() -> None:
        for index, row in pending:  # the workers share one iterator: each row is taken once
            await in_order.wait_turn(index)
            await in_order.put(index, await _outcome(plan, shared, row))

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, concurrency))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


class InOrder:
    """Hands outcomes to `done` by input index, holding at most `window` early ones."""

    def __init__(self, done: Callable[[Outcome], Awaitable[None] | None], *, window: int) -> None:
        self._done, self._window = done, window
        self._next = 0
        self._held: dict[int, Outcome] = {}
        self._moved = asyncio.Condition()

    async def wait_turn(self, index: int) -> None:
        """Wait until row `index` is inside the window (the earliest unfinished row + window)."""
        async with self._moved:
            await self._moved.wait_for(lambda: index < self._next + self._window)

    async def put(self, index: int, outcome: Outcome) -> None:
        """Row `index` is done: pass on every outcome that is now next in line."""
        self._held[index] = outcome
        async with self._moved:
            while self._next in self._held:
                handed = self._done(self._held.pop(self._next))
                if handed is not None:
                    await handed
                self._next += 1
            self._moved.notify_all()


async def _outcome(plan: RunPlan, shared: DnsClient, row: Row) -> Outcome:
    if row.target is None:
        return Outcome(row=row, failure=row.problem)
    try:
        report = await plan.run(row.target, dns=shared.view())
    except Exception as exc:  # one target's crash never stops the run
        if plan.options.raise_crashes:
            raise
        return Outcome(row=row, failure=f"{type(exc).__name__}: {exc}")
    return Outcome(row=row, report=report)
