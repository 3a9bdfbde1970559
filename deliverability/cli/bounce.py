"""`deliverability bounce INPUT...`: what the receiver answered, what it means, what to do.

One bounce: the usual report in any --format. Many (several inputs, a directory, an mbox,
a Maildir, an ESP export): one line per bounce as it is read (JSON Lines with --format
json, CSV rows, terminal lines) and, on stderr unless -q, the summary by recipient domain
and reason. An input that cannot be read is one line on stderr; the run goes on.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deliverability.cli.failures import EXIT_TERMINATED, Terminated, run_stoppable
from deliverability.cli.options import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    OutputFormat,
    ReportOptions,
    UsageFailure,
    report_options,
)
from deliverability.cli.running import emit, exit_status, open_output, prepare_run, write

if TYPE_CHECKING:
    from deliverability.checks.bounce.model import Bounce, Unreadable
    from deliverability.plan import RunPlan

_BULK_FORMATS = (OutputFormat.terminal, OutputFormat.json, OutputFormat.csv)


@report_options
def bounce(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="INPUT...",
            help="Bounce messages (.eml), mbox files, Maildirs, directories, "
            "ESP exports (SendGrid, SES, Mailgun, Postmark); '-' reads stdin.",
        ),
    ] = None,
    text: Annotated[
        str | None,
        typer.Option("--text", metavar="TEXT", help="A pasted rejection line or bounce body."),
    ] = None,
    *,
    opts: ReportOptions,
) -> None:
    """Read bounces: what the receiver answered, what it means, and what to do next."""
    from deliverability.registry import command_check

    if not paths and text is None:
        raise UsageFailure(
            "give a bounce file, mbox, Maildir or directory, '-' for stdin, or --text"
        )
    given = paths or []
    for path in given:
        if path != "-" and not os.path.exists(path):
            raise UsageFailure(f"{path}: no such file or directory")
    plan = prepare_run(opts, only=[], extra_specs=[command_check("bounce")])
    stream = _bounces(given, text)
    first = list(itertools.islice(stream, 2))
    single_input = len(given) + (text is not None) == 1 and not any(os.path.isdir(p) for p in given)
    if len(first) == 1 and single_input:
        raise typer.Exit(_one(plan, first[0], opts))
    if not first:
        raise UsageFailure(f"no message found in {', '.join(given)}")
    if opts.output_format not in _BULK_FORMATS:
        raise UsageFailure(
            f"many bounces are written as terminal, json or csv, not {opts.output_format.value}"
        )
    raise typer.Exit(_many(plan, itertools.chain(first, stream), opts, quiet=opts.quiet))


def _bounces(paths: list[str], text: str | None) -> Iterator[Bounce | Unreadable]:
    from deliverability.checks.bounce.read import read_item, read_pasted
    from deliverability.checks.bounce.sources import walk

    if text is not None:
        yield read_pasted(text)
    for item in walk(paths, sys.stdin.buffer):
        if hasattr(item, "data"):
            yield from read_item(item)  # type: ignore[arg-type]
        else:
            yield item


def _one(plan: RunPlan, found: Bounce | Unreadable, opts: ReportOptions) -> int:
    import asyncio  # here, not at the top: `--version` and `--help` need no event loop

    from deliverability.checks.bounce.check import target_of
    from deliverability.checks.bounce.model import Unreadable
    from deliverability.finding import ReportKind

    if isinstance(found, Unreadable):
        raise UsageFailure(f"{found.source}: {found.problem}")
    report = asyncio.run(plan.run(target_of(found), message=found, kind=ReportKind.EVIDENCE))
    emit(report, opts.output_format, opts.output, opts.verbose, opts.quiet)
    return exit_status(report, opts.fail_on, opts.strict)


def _many(
    plan: RunPlan, found: Iterator[Bounce | Unreadable], opts: ReportOptions, *, quiet: bool
) -> int:
    """One line per bounce as it is read; the summary on stderr. Written as check's bulk
    runs write (cli/writer.py): whole lines, and `-o FILE` replaced only on success."""
    from deliverability.checks.bounce.summary import BounceSummary
    from deliverability.cli.writer import RecordWriter
    from deliverability.render import bounces as render

    output_format, output = opts.output_format, opts.output
    summary = BounceSummary()
    stream = sys.stdout if output is None else open_output(output)
    writer = RecordWriter(stream)
    failing, stopped = 0, None
    line_of = {
        OutputFormat.json: render.json_line,
        OutputFormat.csv: render.csv_rows,
        OutputFormat.terminal: render.terminal_line,
    }[output_format]
    try:
        if output_format is OutputFormat.csv:
            writer.put_now(render.csv_header())
        failing = run_stoppable(
            _run_all(plan, found, summary, lambda r: writer.put(line_of(r)), opts)
        )
    except KeyboardInterrupt as exc:
        stopped = exc
    except BaseException:
        writer.abandon(to_file=output is not None)
        raise
    writer.end("", to_file=output is not None, interrupted=stopped is not None)
    if not quiet:
        write(
            render.summary_table(
                summary.rows(30),
                messages=summary.messages,
                unreadable=summary.unreadable,
                kinds=dict(summary.kinds),
            ),
            sys.stderr,
        )
    if stopped is not None:
        return EXIT_TERMINATED if isinstance(stopped, Terminated) else EXIT_INTERRUPTED
    return EXIT_FINDINGS if failing else EXIT_OK


async def _run_all(
    plan: RunPlan,
    found: Iterator[Bounce | Unreadable],
    summary: Any,
    out: Any,
    opts: ReportOptions,
) -> int:
    """Report each bounce as it is read, in one event loop; returns how many failed."""
    from deliverability.checks.bounce.check import target_of
    from deliverability.checks.bounce.model import Unreadable
    from deliverability.finding import ReportKind
    from deliverability.text import clean_line

    dns = plan.new_dns()
    failing = 0
    for item in found:
        if isinstance(item, Unreadable):
            summary.unreadable += 1
            failing += 1
            sys.stderr.write(
                f"deliverability: {clean_line(item.source)}: {clean_line(item.problem)}\n"
            )
            continue
        report = await plan.run(target_of(item), dns=dns, message=item, kind=ReportKind.EVIDENCE)
        await out(report)
        summary.add(report)
        failing += exit_status(report, opts.fail_on, opts.strict)
    return failing
