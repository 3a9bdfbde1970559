"""`deliverability checks` and `deliverability explain CODE`: what the tool can report."""

from __future__ import annotations

from typing import Annotated

import typer

from deliverability.cli import inputs
from deliverability.cli.options import UsageFailure


def list_checks() -> None:
    """List the installed checks and the codes each can report."""
    for spec in inputs.installed_checks():
        origin = "" if spec.distribution == "deliverability" else f"  (from {spec.distribution})"
        typer.echo(f"{spec.name}{origin}")
        first_line = spec.doc.splitlines()[0] if spec.doc else ""
        if first_line:
            typer.echo(f"    {first_line}")
        for code, title in spec.codes.items():
            typer.echo(f"    {code:<34} {title}")


def explain(
    code: Annotated[str, typer.Argument(metavar="CODE", help="A finding code, e.g. mx.null.")],
) -> None:
    """Explain a finding code: what it means, why it matters, how to fix it."""
    from deliverability.catalog import explain_code

    text = explain_code(code.strip(), inputs.installed_checks() + inputs.command_checks())
    if text is None:
        raise UsageFailure(f"unknown code {code!r}; `deliverability checks` lists them")
    typer.echo(text)
