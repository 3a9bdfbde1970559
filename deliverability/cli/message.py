"""`deliverability message FILE`: what the receiving system saw and decided."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from deliverability.cli.options import (
    ReportOptions,
    UsageFailure,
    report_options,
)
from deliverability.cli.running import emit, exit_status, prepare_run, refuse_dead_dns


@report_options
def message(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="A message (.eml) or its headers; '-' reads stdin."),
    ],
    check_sender: Annotated[
        bool,
        typer.Option(
            "--check-sender", help="Also run the domain checks for what the message shows."
        ),
    ] = False,
    *,
    opts: ReportOptions,
) -> None:
    """Read a delivered message: its path, the receiver's verdicts, DKIM, DMARC, spam headers."""
    import asyncio  # here: `--version` and `--help` need no event loop

    from deliverability.checks.message.facts import NO_DOMAIN, message_target, read_facts
    from deliverability.checks.message.parse import MessageError, read_message
    from deliverability.registry import command_check

    try:
        parsed = read_message(_read_input(file))
    except MessageError as exc:
        raise UsageFailure(f"{file}: {exc}") from None
    target = message_target(read_facts(parsed))
    if check_sender and target.domain == NO_DOMAIN:
        raise UsageFailure("--check-sender needs a message with one From address at a valid domain")
    plan = prepare_run(
        opts,
        only=None if check_sender else [],
        extra_specs=[command_check("message")],
    )
    report = asyncio.run(plan.run(target, message=parsed))
    refuse_dead_dns(report)
    emit(
        report,
        opts.output_format,
        opts.output,
        opts.verbose,
        opts.quiet,
        fail_on=opts.fail_on,
        strict=opts.strict,
    )
    raise typer.Exit(exit_status(report, opts.fail_on, opts.strict))


def _read_input(file: str) -> bytes:
    """The message bytes from FILE or stdin, read up to one byte past the size limit."""
    from deliverability.checks.message.parse import MAX_BYTES

    if file == "-":
        return sys.stdin.buffer.read(MAX_BYTES + 1)
    try:
        with open(file, "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageFailure(f"cannot read {file}: {exc.strerror or exc}") from None
