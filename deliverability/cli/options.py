"""What every command shares: exit codes, the --format and --fail-on choices, the
option declarations of report commands, and UsageFailure (one line, exit 2)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import fields
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from deliverability.lean import dataclass

DEFAULT_TIMEOUT = 5.0  # seconds per DNS lookup

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageFailure(Exception):
    """Bad input found by a command; becomes one line on stderr and exit 2."""


class OutputFormat(StrEnum):
    """--format choices."""

    terminal = "terminal"
    markdown = "markdown"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    csv = "csv"
    html = "html"
    text = "text"
    github = "github"
    gitlab = "gitlab"
    concise = "concise"


class FailOn(StrEnum):
    """--fail-on choices."""

    error = "error"
    warning = "warning"
    never = "never"


FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", case_sensitive=False, help="Output format."),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", metavar="FILE", help="Write the report to FILE.", dir_okay=False
    ),
]
FailOnOpt = Annotated[
    FailOn,
    typer.Option("--fail-on", case_sensitive=False, help="Exit 1 at or above this severity."),
]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Also exit 1 when a result is unknown.")]
ResolverOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--resolver", metavar="ADDR", help="DNS resolver: IP, IP:PORT, [IPv6]:PORT or https:// URL."
    ),
]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", metavar="SECONDS", help="Seconds allowed per DNS lookup.")
]
QpsOpt = Annotated[
    float | None,
    typer.Option(
        "--qps",
        metavar="N",
        help="At most N DNS queries a second to each resolver; 0: no cap "
        "(default: none, or 200 for --from-file runs over 1,000 targets).",
    ),
]
ZoneFileOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--zone-file",
        metavar="FILE",
        help="Answer names in this BIND zone file from it (repeatable).",
    ),
]
OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="Never query the network: only --zone-file answers.")
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Show every finding with its evidence, and every DNS query."
    ),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Only the verdict block (with --from-file: no progress bar or summary).",
    ),
]
ProfileOpt = Annotated[
    Path | None,
    typer.Option(
        "--profile",
        metavar="FILE",
        help="Sender profile TOML (default: ./deliverability.toml if present).",
    ),
]


@dataclass(frozen=True, kw_only=True)
class ReportOptions:
    """The options every report command takes (`check`, `guide`, `message`, ...), declared once.

    A command decorated with `@report_options` gets these as flags and receives them
    as one `opts: ReportOptions` argument.
    """

    output_format: FormatOpt = OutputFormat.terminal
    output: OutputOpt = None
    fail_on: FailOnOpt = FailOn.error
    strict: StrictOpt = False
    resolver: ResolverOpt = None
    timeout: TimeoutOpt = DEFAULT_TIMEOUT
    qps: QpsOpt = None
    zone_file: ZoneFileOpt = None
    offline: OfflineOpt = False
    verbose: VerboseOpt = False
    quiet: QuietOpt = False


_Command = TypeVar("_Command", bound=Callable[..., Any])


def report_options(command: _Command) -> _Command:
    """Add ReportOptions' flags to a typer command, passed to it as `opts`.

    A command that declares a parameter of the same name (`fix` has its own
    `output_format` choices) keeps its own; `opts` then holds that field's default.
    """
    own = inspect.signature(command, eval_str=True)
    hints = inspect.get_annotations(ReportOptions, eval_str=True)
    names = [f.name for f in fields(ReportOptions) if f.name not in own.parameters]
    defaults = {f.name: f.default for f in fields(ReportOptions)}
    shared = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=defaults[name], annotation=hints[name]
        )
        for name in names
    ]
    mine = [p for name, p in own.parameters.items() if name != "opts"]

    @functools.wraps(command)
    def with_options(*args: Any, **kwargs: Any) -> Any:
        opts = ReportOptions(**{name: kwargs.pop(name) for name in names})
        return command(*args, opts=opts, **kwargs)

    with_options.__signature__ = own.replace(parameters=mine + shared)  # type: ignore[attr-defined]
    return with_options  # type: ignore[return-value]
