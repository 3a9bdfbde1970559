"""`deliverability message FILE`: what the receiving system saw and decided."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from deliverability.cli.options import (
    FailOn,
    FailOnOpt,
    FormatOpt,
    OfflineOpt,
    OutputFormat,
    OutputOpt,
    ResolverOpt,
    StrictOpt,
    TimeoutOpt,
    UsageFailure,
    VerboseOpt,
    ZoneFileOpt,
)
from deliverability.cli.running import emit, exit_status, prepare_run


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
    output_format: FormatOpt = OutputFormat.terminal,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    strict: StrictOpt = False,
    resolver: ResolverOpt = None,
    timeout: TimeoutOpt = 5.0,
    zone_file: ZoneFileOpt = None,
    offline: OfflineOpt = False,
    verbose: VerboseOpt = False,
) -> None:
    """Read a delivered message: its path, the receiver's verdicts, DKIM, DMARC, spam headers."""
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
        resolver=resolver or [],
        timeout=timeout,
        zone_files=zone_file or [],
        offline=offline,
        only=None if check_sender else [],
        extra_specs=[command_check("message")],
    )
    report = asyncio.run(plan.run(target, message=parsed))
    emit(report, output_format, output, verbose)
    raise typer.Exit(exit_status(report, fail_on, strict))


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
