"""`deliverability fix DOMAIN`: run the checks and print the verified DNS change set.

Exit 0 when there is nothing to fix or every problem has a verified change, 1 when
some problem has none (the output says what to decide), 2 on bad input.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deliverability.cli import inputs
from deliverability.cli.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    ProfileOpt,
    ReportOptions,
    UsageFailure,
    report_options,
)
from deliverability.cli.running import open_output, prepare_run, write, zone_texts

if TYPE_CHECKING:
    from deliverability.finding import Report

# The checks whose problems a DNS change of the domain's own zone can fix.
FIX_CHECKS = ["spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt", "bimi"]


class FixFormat(StrEnum):
    """`fix --format` choices."""

    zone = "zone"
    patch = "patch"
    json = "json"
    markdown = "markdown"


@report_options
def fix(
    domain: Annotated[str, typer.Argument(metavar="DOMAIN", help="The From-header domain.")],
    output_format: Annotated[
        FixFormat, typer.Option("--format", "-f", help="zone lines, a patch, JSON or Markdown.")
    ] = FixFormat.zone,
    ip: Annotated[
        list[str] | None, typer.Option("--ip", metavar="IP", help="A sending IP (repeatable).")
    ] = None,
    mail_from: Annotated[
        str | None, typer.Option("--mail-from", metavar="ADDR", help="Envelope sender.")
    ] = None,
    helo: Annotated[str | None, typer.Option("--helo", metavar="NAME", help="HELO name.")] = None,
    selector: Annotated[
        list[str] | None, typer.Option("--selector", metavar="S", help="A DKIM selector.")
    ] = None,
    select: Annotated[
        list[str] | None, typer.Option("--select", metavar="X", help="Only these checks or codes.")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", metavar="X", help="Skip these checks or codes.")
    ] = None,
    profile: ProfileOpt = None,
    write_files: Annotated[
        bool, typer.Option("--write", help="Apply the patch to the --zone-file(s) in place.")
    ] = False,
    backup: Annotated[
        bool, typer.Option("--backup", help="With --write, keep FILE.bak of each file changed.")
    ] = False,
    *,
    opts: ReportOptions,
) -> None:
    """Print the DNS changes that fix DOMAIN's problems, each verified before it is offered."""
    from deliverability.cli.check import _split
    from deliverability.cli.defaults import with_profile
    from deliverability.finding import Target

    if (write_files or output_format is FixFormat.patch) and not opts.zone_file:
        raise UsageFailure("--format patch and --write need at least one --zone-file")
    sender_profile = inputs.profile(profile)
    name = inputs.lenient_domain(domain)
    target = Target(
        domain=name,
        ips=tuple(dict.fromkeys(inputs.ip(i) for i in ip or ())),
        mail_from=mail_from if mail_from is not None else f"postmaster@{name}",
        helo=helo,
        selectors=tuple(inputs.selector(s) for s in selector or ()),
    )
    target = with_profile(target, sender_profile, mail_from_given=mail_from is not None)
    plan = prepare_run(
        opts, select=_split(select), ignore=_split(ignore), profile=sender_profile, only=FIX_CHECKS
    )
    import asyncio  # here, not at import: `--help` stays fast (tests/cli/test_startup.py)

    report = asyncio.run(plan.run(target))
    zones = zone_texts(opts.zone_file or [])
    if write_files:
        _write(report, zones, backup)
    else:
        _emit(_rendered(report, output_format, zones), opts.output)
    raise typer.Exit(_status(report))


def _rendered(report: Report, output_format: FixFormat, zones: dict[str, tuple[str, str]]) -> str:
    from deliverability.render import fix as render

    if output_format is FixFormat.patch:
        return "".join(
            _diff(path, text, new) for path, (text, new) in _patched(report, zones).items()
        )
    if output_format is FixFormat.json:
        return render.render_json(report)
    if output_format is FixFormat.markdown:
        return render.render_markdown(report)
    return render.render_zone(report)


def _patched(report: Report, zones: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """path -> (old text, new text) for each zone file the verified changes touch."""
    from deliverability.render.fix import planned
    from deliverability.zonepatch import holder, patched_text

    by_file: dict[str, list] = {}
    origins = {path: origin for path, (_t, origin) in zones.items()}
    for item in planned(report):
        best = holder(item.change.name, origins)
        if best is None:
            sys.stderr.write(
                f"deliverability: no --zone-file holds {item.change.name}; "
                f"publish it by hand: {item.change.describe()}\n"
            )
            continue
        by_file.setdefault(best, []).append(item.change)
    out = {}
    for path, changes in by_file.items():
        text, origin = zones[path]
        new, missing = patched_text(text, origin, changes)
        for change in missing:
            sys.stderr.write(f"deliverability: {path}: cannot find {change.describe()}\n")
        out[path] = (text, new)
    return out


def _diff(path: str, old: str, new: str) -> str:
    from deliverability.cli.running import checkout_relative
    from deliverability.zonepatch import unified_diff

    # relative to the current directory when inside it: patch(1) and git apply refuse
    # absolute names
    return unified_diff(str(checkout_relative(Path(path))), old, new)


def _emit(rendered: str, output: Path | None) -> None:
    if output is None:
        write(rendered, sys.stdout)
        return
    with open_output(output) as handle:
        write(rendered, handle)


def _write(report: Report, zones: dict[str, tuple[str, str]], backup: bool) -> None:
    """Replace each changed zone file atomically (a temporary file beside it, renamed)."""
    import tempfile

    for path, (old, new) in _patched(report, zones).items():
        if old == new:
            continue
        target = Path(path)
        try:
            if backup:
                target.with_name(target.name + ".bak").write_text(old, encoding="utf-8")
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(new)
            os.chmod(temporary, target.stat().st_mode & 0o7777)
            os.replace(temporary, target)
        except OSError as exc:
            raise UsageFailure(f"cannot write {path}: {exc.strerror or exc}") from None
        sys.stderr.write(f"deliverability: wrote {path}\n")


def _status(report: Report) -> int:
    from deliverability.render.fix import unresolved

    return EXIT_FINDINGS if unresolved(report) else EXIT_OK
