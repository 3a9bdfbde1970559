"""`deliverability bounce INPUT...`: what the receiver answered, what it means, what to do.

One bounce: the usual report in any --format. Many (several inputs, a directory, an mbox,
a Maildir, an ESP export): one line per bounce as it is read (JSON Lines with --format
json, CSV rows, terminal lines) and, on stderr unless -q, the summary by recipient domain
and reason. An input that cannot be read is one line on stderr; the run goes on.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deliverability.cli import inputs
from deliverability.cli.options import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    FailOn,
    FailOnOpt,
    FormatOpt,
    OutputFormat,
    OutputOpt,
    StrictOpt,
    UsageFailure,
    VerboseOpt,
)
from deliverability.cli.running import emit, exit_status, open_output, prepare_run, write

if TYPE_CHECKING:
    from deliverability.checks.bounce.model import Bounce, Unreadable
    from deliverability.plan import RunPlan

_BULK_FORMATS = (OutputFormat.terminal, OutputFormat.json, OutputFormat.csv)


def bounce(
    paths: Annotated[
        list[str] | None,
        typer.Argument(metavar="INPUT...", help="Bounce messages (.eml), mbox files, Maildirs, directories, "
                       "ESP exports (SendGrid, SES, Mailgun, Postmark); '-' reads stdin."),
    ] = None,
    text: Annotated[
        str | None, typer.Option("--text", metavar="TEXT", help="A pasted rejection line or bounce body.")
    ] = None,
    output_format: FormatOpt = OutputFormat.terminal,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    strict: StrictOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary for many bounces.")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Read bounces: what the receiver answered, what it means, and what to do next."""
    if not paths and text is None:
        raise UsageFailure("give a bounce file, mbox, Maildir or directory, '-' for stdin, or --text")
    for path in paths or []:
        if path != "-" and not os.path.exists(path):
            raise UsageFailure(f"{path}: no such file or directory")
    plan = prepare_run(resolver=[], timeout=5.0, zone_files=[], offline=True, only=[],
                       extra_specs=[inputs.bounce_check()])
    stream = _bounces(paths or [], text)
    first = list(itertools.islice(stream, 2))
    if len(first) == 1 and text is None and len(paths or []) == 1 and not os.path.isdir(paths[0]):
        raise typer.Exit(_one(plan, first[0], output_format, output, fail_on, strict, verbose))
    if len(first) == 1 and text is not None and not paths:
        raise typer.Exit(_one(plan, first[0], output_format, output, fail_on, strict, verbose))
    if output_format not in _BULK_FORMATS:
        raise UsageFailure(f"many bounces are written as terminal, json or csv, not {output_format.value}")
    raise typer.Exit(_many(plan, itertools.chain(first, stream), output_format, output,
                           fail_on=fail_on, strict=strict, quiet=quiet))


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


def _one(plan: RunPlan, found: Bounce | Unreadable, output_format: OutputFormat, output: Any,
         fail_on: FailOn, strict: bool, verbose: bool) -> int:
    from deliverability.checks.bounce.check import target_of
    from deliverability.checks.bounce.model import Unreadable

    if isinstance(found, Unreadable):
        raise UsageFailure(f"{found.source}: {found.problem}")
    report = asyncio.run(plan.run(target_of(found), message=found))
    emit(report, output_format, output, verbose)
    return exit_status(report, fail_on, strict)


def _many(plan: RunPlan, found: Iterator[Bounce | Unreadable], output_format: OutputFormat,
          output: Any, *, fail_on: FailOn, strict: bool, quiet: bool) -> int:
    from deliverability.checks.bounce.summary import BounceSummary
    from deliverability.render import bounces as render

    summary = BounceSummary()
    stream = sys.stdout if output is None else open_output(output)
    failing = 0
    line_of = {OutputFormat.json: render.json_line, OutputFormat.csv: render.csv_rows,
               OutputFormat.terminal: render.terminal_line}[output_format]
    try:
        if output_format is OutputFormat.csv:
            stream.write(render.csv_header())
        failing = asyncio.run(_run_all(plan, found, summary, lambda r: write(line_of(r), stream),
                                       fail_on, strict))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    finally:
        if output is not None:
            stream.close()
    if not quiet:
        write(render.summary_table(summary.rows(30), messages=summary.messages,
                                   unreadable=summary.unreadable, kinds=dict(summary.kinds)), sys.stderr)
    return EXIT_FINDINGS if failing else EXIT_OK


async def _run_all(plan: RunPlan, found: Iterator[Bounce | Unreadable], summary: Any, out: Any,
                   fail_on: FailOn, strict: bool) -> int:
    """Report each bounce as it is read, in one event loop; returns how many failed."""
    from deliverability.checks.bounce.check import target_of
    from deliverability.checks.bounce.model import Unreadable
    from deliverability.text import clean_line

    dns = plan.new_dns()
    failing = 0
    for item in found:
        if isinstance(item, Unreadable):
            summary.unreadable += 1
            failing += 1
            sys.stderr.write(f"deliverability: {clean_line(item.source)}: {clean_line(item.problem)}\n")
            continue
        report = await plan.run(target_of(item), dns=dns, message=item)
        out(report)
        summary.add(report)
        failing += exit_status(report, fail_on, strict)
    return failing
