"""Bulk runs: check every target of a file over one shared DNS cache (`check --from-file`).

The file is one domain per line (`#` starts a comment), or a CSV whose header names
the columns `domain`, `ip`, `mail-from` and `selectors` (several IPs or selectors
in a cell separated by spaces or `;`). Targets are read as they are needed, at
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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from deliverability.bulk_summary import Outcome, Row
from deliverability.finding import Target
from deliverability.net.dns import DnsClient
from deliverability.plan import RunPlan
from deliverability.validation import BadInput, validate_domain, validate_ip

DEFAULT_CONCURRENCY = 16
# Answers the shared cache keeps (about 1.5 KB each): popular names (a provider's SPF
# include, a shared MX) stay; a long run forgets the oldest instead of growing.
SHARED_CACHE_ANSWERS = 10_000
_SPLIT = re.compile(r"[\s;]+")
COLUMNS = ("domain", "ip", "mail-from", "selectors")


def read_targets(path: Path, defaults: Target) -> Iterator[Row]:
    """One Row per target line of the file, read as the caller asks for them.

    `defaults` gives the IPs, envelope sender, HELO and selectors of rows without
    their own; its domain is ignored. OSError escapes (the caller says why); a CSV
    header naming an unknown column raises BadInput before any row.
    """
    # Bytes that are not UTF-8 become U+FFFD: that row's domain fails, not the run.
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        lines = _numbered(handle)
        first = next(lines, None)
        if first is None:
            return
        number, text = first
        header = [c.strip().lower().replace("_", "-") for c in next(csv.reader([text]))]
        if "domain" in header:
            unknown = [c for c in header if c not in COLUMNS]
            if unknown:
                raise BadInput(
                    f"{path}: line {number}: unknown column {unknown[0]!r} "
                    f"(expected {', '.join(COLUMNS)})"
                )
            yield from _csv_targets(header, lines, defaults)
        else:
            yield from _plain_targets([(number, text)], defaults)
            yield from _plain_targets(lines, defaults)


def domain_rows(domains: Sequence[str], defaults: Target) -> Iterator[Row]:
    """One Row per domain named on the command line (several DOMAINs, or a profile's
    from_domains), numbered from 1 like the lines of a file."""
    yield from _plain_targets(enumerate(domains, 1), defaults)


def check_file(path: Path) -> None:
    """Read the header and first row now: OSError or BadInput before any output is written."""
    next(read_targets(path, Target(domain="")), None)


def _numbered(handle: io.TextIOBase) -> Iterator[tuple[int, str]]:
    for number, text in enumerate(handle, 1):
        if text.strip() and not text.lstrip().startswith("#"):
            yield number, text.rstrip("\r\n")


def _plain_targets(lines: Iterable[tuple[int, str]], defaults: Target) -> Iterator[Row]:
    for number, text in lines:
        yield _row(number, {"domain": text.split("#", 1)[0]}, defaults)


def _csv_targets(
    header: list[str], lines: Iterator[tuple[int, str]], defaults: Target
) -> Iterator[Row]:
    for number, text in lines:
        cells = dict(zip(header, next(csv.reader([text]), []), strict=False))
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
    ips = [validate_ip(ip) for ip in _SPLIT.split((row.get("ip") or "").strip()) if ip]
    mail_from = (row.get("mail-from") or "").strip() or defaults.mail_from
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
    done: Callable[[Outcome], None],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> None:
    """Check every target, at most `concurrency` at once; call `done` as each finishes."""
    shared = plan.new_dns(max_cached=SHARED_CACHE_ANSWERS)
    pending = iter(rows)

    async def worker() -> None:
        for row in pending:  # the workers share one iterator: each row is taken once
            done(await _outcome(plan, shared, row))

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, concurrency))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


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
