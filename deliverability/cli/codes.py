"""`deliverability checks` and `deliverability explain CODE`: what the tool can report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from deliverability.cli import inputs
from deliverability.cli.options import UsageFailure

if TYPE_CHECKING:
    from deliverability.registry import CheckSpec


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
    code: Annotated[
        str, typer.Argument(metavar="CODE", help="A finding code (mx.null) or a check (spf).")
    ],
) -> None:
    """Explain a finding code (what it means, why, how to fix it), or list a check's codes."""
    from deliverability.catalog import explain_code
    from deliverability.cli.hints import did_you_mean

    specs = inputs.installed_checks() + inputs.command_checks()
    text = explain_code(code.strip(), specs)
    owner = next((s for s in specs if s.name == code.strip().lower()), None)
    if text is None and owner is not None:  # a check's name: what it is and its codes
        text = _check_text(owner)
    if text is None:
        known = [s.name for s in specs] + [c for s in specs for c in s.all_codes]
        hint = did_you_mean(code.strip(), known)
        raise UsageFailure(f"unknown code {code!r}{hint}; `deliverability checks` lists them")
    typer.echo(text)


def _check_text(spec: CheckSpec) -> str:
    """A check's first doc line and its codes, each with its title."""
    first_line = spec.doc.splitlines()[0] if spec.doc else ""
    lines = [f"{spec.name}: {first_line}".rstrip(": "), ""]
    lines += [f"  {code:<34} {title}" for code, title in spec.all_codes.items()]
    lines += ["", f"`deliverability explain {next(iter(spec.all_codes), 'CODE')}` explains a code."]
    return "\n".join(lines)
