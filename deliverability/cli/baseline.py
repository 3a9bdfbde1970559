"""`deliverability diff OLD.json NEW.json`, and reading saved reports for --baseline."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deliverability.cli.options import FailOn, FailOnOpt, StrictOpt, UsageFailure
from deliverability.cli.running import comparison_status, write


class DiffFormat(StrEnum):
    """The formats a comparison is written in."""

    terminal = "terminal"
    markdown = "markdown"
    json = "json"


if TYPE_CHECKING:
    from deliverability.baseline import SavedReport
    from deliverability.finding import Comparison, Finding


def diff(
    old: Annotated[
        Path,
        typer.Argument(
            metavar="OLD.json", help="The earlier JSON report (the baseline).", dir_okay=False
        ),
    ],
    new: Annotated[
        Path, typer.Argument(metavar="NEW.json", help="The later JSON report.", dir_okay=False)
    ],
    output_format: Annotated[
        DiffFormat, typer.Option("--format", "-f", help="Output format.")
    ] = DiffFormat.terminal,
    fail_on: FailOnOpt = FailOn.error,
    strict: StrictOpt = False,
) -> None:
    """Compare two saved JSON reports: which problems are new, which got fixed."""
    from deliverability.baseline import compare_reports

    comparison = compare_reports(saved_report(old), saved_report(new))
    _print_comparison(comparison, output_format)
    raise typer.Exit(comparison_status(comparison, fail_on, strict))


def saved_findings(path: Path) -> list[Finding]:
    """The findings of a saved JSON report; a bad or unreadable file is a UsageFailure."""
    return saved_report(path).findings


def saved_report(path: Path) -> SavedReport:
    """A saved JSON report (findings and check data); a bad or unreadable file is a UsageFailure."""
    from deliverability.baseline import BaselineError, load_saved

    try:
        return load_saved(path)
    except BaselineError as exc:
        raise UsageFailure(str(exc)) from None


def _print_comparison(comparison: Comparison, output_format: DiffFormat) -> None:
    import json

    from deliverability.render import comparison as render
    from deliverability.render.json import comparison_to_dict

    if output_format is DiffFormat.terminal:
        write(render.terminal(comparison), sys.stdout)
    elif output_format is DiffFormat.markdown:
        sys.stdout.write("\n".join(render.markdown(comparison)[1:]) + "\n")
    else:
        sys.stdout.write(
            json.dumps(comparison_to_dict(comparison), indent=2, ensure_ascii=False) + "\n"
        )
