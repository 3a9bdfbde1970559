"""Bulk runs of `check`: many DOMAINs, or --from-file, written as one document in any format.

`check_many()` is the one path: `check a.example b.example`, `check --from-file FILE`
and a profile's from_domains all come here as Rows. Reports are written in input
order the moment they are due; without --verbose they carry no timings, traces or
per-target query counts (those depend on which target asked a shared name first), so
two runs of the same input write the same file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deliverability.cli import inputs
from deliverability.cli.failures import EXIT_TERMINATED, Terminated, run_stoppable
from deliverability.cli.options import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ReportOptions,
    UsageFailure,
)
from deliverability.cli.running import dead_dns_line, exit_status, open_output, render_inputs, write
from deliverability.cli.writer import RecordWriter

if TYPE_CHECKING:
    from deliverability.bulk_summary import BulkSummary, Outcome, Row
    from deliverability.finding import Report
    from deliverability.plan import RunPlan


def check_many(
    plan: RunPlan,
    rows: Iterable[Row],
    *,
    opts: ReportOptions,
    concurrency: int,
    quiet: bool,
    source: str = "",
    total: int | None = None,
    workers: int = 1,
) -> int:
    """Check every row's target and write one document; return the exit status.

    `source` names the input file (for the lines that could not be read); `total`, when
    known, sizes the progress bar; `workers` > 1 forks that many processes to check the
    targets (cli/workers.py), with the same output.
    """
    from deliverability.bulk import run_bulk
    from deliverability.bulk_summary import BulkSummary
    from deliverability.render import bulk as render

    if opts.output_format.value not in render.BULK_FORMATS:
        raise UsageFailure(
            f"--format {opts.output_format.value} writes one report; a bulk run writes "
            + ", ".join(render.BULK_FORMATS)
        )
    team = None
    if workers > 1:  # forked now: no thread or event loop exists yet
        from deliverability.cli import workers as forked

        team = forked.start(
            plan, rows, count=workers, concurrency=concurrency, verbose=opts.verbose, run=run_bulk
        )
    inputs_for_format = render_inputs(opts.output_format, opts.fail_on, opts.strict)
    doc = render.document(opts.output_format.value, plan.check_names, source, inputs_for_format)
    summary = BulkSummary()
    terminated = False
    stream: Any = sys.stdout if opts.output is None else open_output(opts.output)
    output = RecordWriter(stream)  # its own thread: a slow reader never stalls the DNS work
    progress = _progress(quiet, total)

    async def done(outcome: Outcome) -> None:
        summary.add(outcome)
        if outcome.report is None or exit_status(outcome.report, opts.fail_on, opts.strict):
            summary.failing += 1
        if outcome.report is not None and not opts.verbose:
            outcome = dataclasses.replace(outcome, report=repeatable(outcome.report))
        if progress is not None:
            progress.advance(progress.task_ids[0])
        await output.put(doc.add(outcome))

    checked = team.collect(done) if team else run_bulk(plan, rows, done, concurrency=concurrency)
    try:
        output.put_now(doc.head())
        with progress or contextlib.nullcontext():
            run_stoppable(checked)
    except KeyboardInterrupt as exc:
        summary.interrupted = True
        terminated = isinstance(exc, Terminated)
    except BaseException:
        output.abandon(to_file=opts.output is not None)  # FILE stays as it was
        raise
    finally:
        if team is not None:
            team.stop()
    output.end(doc.tail(), to_file=opts.output is not None, interrupted=summary.interrupted)
    status = _finish(summary, quiet)  # the summary is written for SIGTERM too
    return EXIT_TERMINATED if terminated else status


def _finish(summary: BulkSummary, quiet: bool) -> int:
    from deliverability.render import bulk as render

    if not quiet:
        write(render.summary_table(summary), sys.stderr)
    if summary.interrupted:
        return EXIT_INTERRUPTED
    if summary.failed_queries and not summary.answered_queries:  # DNS answered nothing
        line = dead_dns_line(summary.failed_queries, summary.resolvers)
        sys.stderr.write(f"deliverability: error: {line}\n")
        return EXIT_BAD_INPUT
    return EXIT_FINDINGS if summary.failing else EXIT_OK


def repeatable(report: Report) -> Report:
    """The report without what varies from run to run: timings, the trace, query counts."""
    checks = tuple(dataclasses.replace(c, duration_ms=0) for c in report.checks)
    return dataclasses.replace(
        report, checks=checks, trace=(), queries=0, failed_queries=0, answered_queries=0
    )


def file_rows(from_file: Path, defaults: Any) -> tuple[Iterable[Row], int | None]:
    """The rows of --from-file, checked readable now (exit 2 before any output); unknown
    CSV columns are named once on stderr. Also the count of rows when a bar will show it."""
    from deliverability.bulk import check_file, read_targets, unknown_columns

    try:
        with inputs.bad_input_is_usage_failure():
            check_file(from_file)
            ignored = unknown_columns(from_file)
    except OSError as exc:
        raise UsageFailure(f"cannot read {from_file}: {exc.strerror or exc}") from None
    if ignored:
        names = ", ".join(repr(c) for c in ignored)
        sys.stderr.write(f"deliverability: warning: {from_file}: ignoring column(s) {names}\n")
    total = sum(1 for _ in read_targets(from_file, defaults)) if sys.stderr.isatty() else None
    return read_targets(from_file, defaults), total


def _progress(quiet: bool, total: int | None) -> Any:
    """A rich progress bar on stderr when it is a terminal and not --quiet; else None."""
    if quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress

    progress = Progress(console=Console(stderr=True), transient=True)
    progress.add_task("checking", total=total)
    return progress
