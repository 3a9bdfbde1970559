"""`deliverability merge FILE...`: the shard outputs of one bulk run as one result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deliverability.cli.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    FailOn,
    FailOnOpt,
    OutputFormat,
    OutputOpt,
    StrictOpt,
    UsageFailure,
)
from deliverability.cli.running import exit_status, failing_severities, open_output, write

if TYPE_CHECKING:
    from deliverability.bulk_summary import BulkSummary
    from deliverability.merge import ShardFile


def merge(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            help="Shard outputs of check --from-file --shard (JSON Lines or CSV).",
            dir_okay=False,
        ),
    ],
    output_format: Annotated[
        OutputFormat | None,
        typer.Option("--format", "-f", help="Output format (default: that of the shards)."),
    ] = None,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    strict: StrictOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary on stderr.")] = False,
) -> None:
    """Merge shard outputs into one result in input order, with the bulk summary."""
    from deliverability.bulk_summary import BulkSummary
    from deliverability.merge import MergeError, ShardKind, open_shards

    summary = BulkSummary()
    try:
        shards = open_shards(files)
        kind = shards[0].kind if shards else ShardKind.json
        chosen = output_format or OutputFormat(kind.value)
        stream = sys.stdout if output is None else open_output(output)
        try:
            failing = _write(shards, chosen, stream, summary, fail_on, strict)
        finally:
            if output is not None:
                stream.close()
    except MergeError as exc:
        raise UsageFailure(str(exc)) from None
    if not quiet:
        from deliverability.render import bulk as render

        write(render.summary_table(summary), sys.stderr)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


def _write(
    shards: list[ShardFile],
    output_format: OutputFormat,
    stream: Any,
    summary: BulkSummary,
    fail_on: FailOn,
    strict: bool,
) -> int:
    """Write every record in input order; the count of targets at or above --fail-on."""
    from deliverability.merge import ShardKind

    if shards and shards[0].kind is ShardKind.csv:
        if output_format is not OutputFormat.csv:
            raise UsageFailure(
                f"CSV shards merge into CSV only (their rows hold no findings); for "
                f"--format {output_format.value} write the shards with --format json"
            )
        return _write_csv(shards, stream, summary, fail_on, strict)
    return _write_outcomes(shards, output_format, stream, summary, fail_on, strict)


def _write_outcomes(
    shards: list[ShardFile],
    output_format: OutputFormat,
    stream: Any,
    summary: BulkSummary,
    fail_on: FailOn,
    strict: bool,
) -> int:
    from deliverability.cli.check import bulk_line
    from deliverability.merge import outcome_of, records
    from deliverability.render import bulk as render

    checks = _check_names(shards)
    line_of = bulk_line(output_format, checks)
    if output_format is OutputFormat.csv:
        stream.write(render.csv_header(checks))
    failing = 0
    for _, text in records(shards):
        outcome = outcome_of(text, shards[0].path)
        write(line_of(outcome), stream)
        summary.add(outcome)
        report = outcome.report
        failing += report is None or bool(exit_status(report, fail_on, strict))
    return failing


def _check_names(shards: list[ShardFile]) -> list[str]:
    """The checks of the run: those of the first report found (every target ran the same)."""
    from deliverability.merge import outcome_of, records

    for _, text in records(shards):
        report = outcome_of(text, shards[0].path).report
        if report is not None:
            return [check.name for check in report.checks]
    return []


def _write_csv(
    shards: list[ShardFile], stream: Any, summary: BulkSummary, fail_on: FailOn, strict: bool
) -> int:
    from deliverability.merge import csv_cells, records
    from deliverability.render import csv as csv_format

    header = shards[0].header
    failing_columns = [s.value for s in failing_severities(fail_on, strict)]
    stream.write(csv_format.lines([header]))
    failing = 0
    for line, text in records(shards):
        cells = dict(zip(header, csv_cells(text), strict=False))
        stream.write(csv_format.lines([[cells.get(column, "") for column in header]]))
        if cells.get("status") == "failed":
            summary.add_failure(line, cells.get("failure", ""))
            failing += 1
            continue
        queries = int(cells.get("dns_queries") or 0)
        summary.add_result(cells.get("status", ""), queries, cells.get("problem_codes", "").split())
        failing += any(int(cells.get(column) or 0) for column in failing_columns)
    return failing
