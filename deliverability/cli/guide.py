"""`deliverability guide RECIPIENT` and `deliverability init`: allowlist guidance for a
recipient's IT team, built from the sender profile."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from deliverability.cli import inputs
from deliverability.cli.options import (
    ProfileOpt,
    ReportOptions,
    UsageFailure,
    report_options,
)
from deliverability.cli.running import emit, exit_status, prepare_run, refuse_dead_dns

# The guide reads the sender's own authentication to say what the sender must fix first.
GUIDE_CHECKS = ["guide", "spf", "dkim", "dmarc"]


@report_options
def guide(
    recipient: Annotated[
        str,
        typer.Argument(
            metavar="RECIPIENT", help="The recipient domain whose IT team gets the instructions."
        ),
    ],
    sender: Annotated[
        str | None,
        typer.Option(
            "--sender",
            metavar="DOMAIN",
            help="The sender's From domain (default: the profile's first).",
        ),
    ] = None,
    profile: ProfileOpt = None,
    *,
    opts: ReportOptions,
) -> None:
    """Write allowlist instructions for the platform that filters RECIPIENT's mail."""
    import asyncio  # here: `--version` and `--help` need no event loop

    from deliverability.finding import ReportKind, Target

    recipient_domain = inputs.lenient_domain(recipient, "recipient")
    sender_profile = inputs.profile(profile)
    from_domains = sender_profile.from_domains
    if sender is not None:
        sender_domain = inputs.lenient_domain(sender, "--sender")
    else:  # without a sender the guide still names the platform and its generic steps
        sender_domain = from_domains[0] if from_domains else ""
    return_paths = sender_profile.return_path_domains or (sender_domain,)
    target = Target(
        domain=sender_domain,
        mail_from=f"postmaster@{return_paths[0]}" if sender_domain else "",
        selectors=sender_profile.dkim_selectors,
        recipient=recipient_domain,
    )
    plan = prepare_run(
        opts,
        profile=sender_profile,
        only=GUIDE_CHECKS if sender_domain else ["guide"],
        check_options={"guide": {"sender_known": bool(sender_domain)}},
    )
    report = dataclasses.replace(asyncio.run(plan.run(target)), kind=ReportKind.LETTER)
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


def init(
    path: Annotated[
        Path,
        typer.Argument(metavar="PATH", help="Where to write the starter profile.", dir_okay=False),
    ] = Path("deliverability.toml"),
) -> None:
    """Write a commented starter sender profile (never overwrites a file)."""
    from importlib import resources

    starter = resources.files("deliverability").joinpath("data/starter.toml").read_text("utf-8")
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(starter)
    except FileExistsError:
        raise UsageFailure(f"{path} already exists; not overwriting it") from None
    except OSError as exc:
        raise UsageFailure(f"cannot write {path}: {exc.strerror or exc}") from None
    typer.echo(
        f"Wrote {path}: fill in the [sender] values, then run `deliverability guide DOMAIN`."
    )
