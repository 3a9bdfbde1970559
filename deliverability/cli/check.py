"""`deliverability check`: one sending domain, or many with --from-file."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deliverability.cli import inputs
from deliverability.cli.baseline import saved_findings
from deliverability.cli.defaults import with_profile
from deliverability.cli.options import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    OutputFormat,
    ProfileOpt,
    ReportOptions,
    UsageFailure,
    report_options,
)
from deliverability.cli.running import emit, exit_status, open_output, prepare_run, write

if TYPE_CHECKING:
    from collections.abc import Iterator

    from deliverability.bulk_summary import Outcome, Row
    from deliverability.finding import Target
    from deliverability.plan import RunPlan
    from deliverability.shard import Shard

# Where a run's targets come from: a --from-file, or the domains named (a profile's from_domains).
TargetSource = Path | tuple[str, ...]


@report_options
def check(
    domain: Annotated[
        str | None,
        typer.Argument(metavar="DOMAIN", help="The From-header domain to check (or --from-file)."),
    ] = None,
    ip: Annotated[
        list[str] | None,
        typer.Option("--ip", metavar="IP", help="A sending IP address (repeatable)."),
    ] = None,
    mail_from: Annotated[
        str | None,
        typer.Option(
            "--mail-from",
            metavar="ADDR",
            help="Envelope sender (Return-Path); default postmaster@DOMAIN.",
        ),
    ] = None,
    helo: Annotated[
        str | None,
        typer.Option(
            "--helo", metavar="NAME", help="The name the sending host gives in HELO/EHLO."
        ),
    ] = None,
    selector: Annotated[
        list[str] | None,
        typer.Option("--selector", metavar="S", help="A DKIM selector (repeatable)."),
    ] = None,
    selectors_from: Annotated[
        list[str] | None,
        typer.Option(
            "--selectors-from",
            metavar="FILE",
            help="Also probe the DKIM selectors these DMARC aggregate reports show (repeatable).",
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select", metavar="X", help="Only these checks or code prefixes (a,b or repeated)."
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore", metavar="X", help="Skip these checks or code prefixes (a,b or repeated)."
        ),
    ] = None,
    profile: ProfileOpt = None,
    recipient: Annotated[
        str | None,
        typer.Option(
            "--recipient",
            metavar="DOMAIN",
            help="Also write allowlist guidance for this recipient domain.",
        ),
    ] = None,
    blocklists: Annotated[
        str,
        typer.Option(
            "--blocklists",
            metavar="LISTS",
            help="Blocklists: default, all, none, or comma-separated names.",
        ),
    ] = "default",
    spamhaus_key: Annotated[
        str | None,
        typer.Option(
            "--spamhaus-key",
            metavar="KEY",
            envvar="DELIVERABILITY_SPAMHAUS_KEY",
            show_envvar=True,
            help="Spamhaus DQS key: query the DQS zones (never shown in any output).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            metavar="FILE",
            help="Fail only on findings new since this saved JSON report.",
            dir_okay=False,
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            metavar="FILE",
            help="Check every domain in FILE (one a line, or CSV); --format terminal, json or csv.",
            dir_okay=False,
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", metavar="N", min=1, max=1000, help="Targets checked at once."
        ),
    ] = 16,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="I/N",
            help="Check only shard I of N of --from-file (I from 0; docs/scale.md).",
        ),
    ] = None,
    *,
    opts: ReportOptions,
) -> None:
    """Check a sending domain: SPF, DKIM, DMARC, MX, reverse DNS and more."""
    from deliverability.finding import Target

    sender_profile = inputs.profile(profile)
    # without DOMAIN or --from-file, the profile's from_domains are the domains to check
    named = sender_profile.from_domains if sender_profile and domain is None else ()
    source: TargetSource | None = from_file or (tuple(named) if len(named) > 1 else None)
    if domain is None and from_file is None and not named:
        raise UsageFailure(
            "give a DOMAIN to check, --from-file FILE, or a profile with from_domains"
        )
    if domain is not None and from_file is not None:
        raise UsageFailure("give a DOMAIN to check, or --from-file FILE (not both)")
    if source is not None and baseline is not None:
        raise UsageFailure("--baseline compares one DOMAIN's report; it does not take --from-file")
    part = _shard(shard, from_file)
    domain_name = inputs.lenient_domain(domain) if domain is not None else ""
    domain_name = domain_name or (named[0] if len(named) == 1 and from_file is None else "")
    inputs.blocklist_choice(blocklists, spamhaus_key, sender_profile)
    default_mail_from = f"postmaster@{domain_name}" if domain_name else ""
    target = Target(
        domain=domain_name,
        ips=tuple(dict.fromkeys(inputs.ip(i) for i in ip or ())),
        mail_from=mail_from if mail_from is not None else default_mail_from,
        helo=helo,
        selectors=_selectors(selector or [], selectors_from or [], domain_name),
        recipient=inputs.lenient_domain(recipient, "--recipient")
        if recipient is not None
        else None,
    )
    target = with_profile(target, sender_profile, mail_from_given=mail_from is not None)
    old_findings = saved_findings(baseline) if baseline is not None else None
    plan = prepare_run(
        opts,
        select=_split(select),
        ignore=_split(ignore),
        profile=sender_profile,
        check_options={"dnsbl": {"lists": blocklists, "spamhaus_key": spamhaus_key}},
        secrets=[spamhaus_key] if spamhaus_key else [],
    )
    if opts.offline and domain_name:
        _warn_if_no_zone_for(domain_name, plan)
    if source is not None:
        raise typer.Exit(
            _check_many(
                plan,
                source,
                target,
                concurrency=concurrency,
                quiet=opts.quiet,
                opts=opts,
                shard=part,
            )
        )
    report = asyncio.run(plan.run(target))
    if old_findings is not None:
        from deliverability.baseline import compare

        report = dataclasses.replace(report, baseline=compare(old_findings, report.findings))
    emit(report, opts.output_format, opts.output, opts.verbose, opts.quiet)
    raise typer.Exit(exit_status(report, opts.fail_on, opts.strict))


def _warn_if_no_zone_for(domain: str, plan: RunPlan) -> None:
    """With --offline and no zone file holding DOMAIN, every result about it is unknown:
    say so on stderr (a CI job that names the wrong file should use --strict to fail)."""
    import dns.name

    if not plan.zones.covers(dns.name.from_text(domain)):
        held = ", ".join(z.origin.to_text() for z in plan.zones.zones) or "none"
        sys.stderr.write(
            f"deliverability: warning: --offline and no --zone-file holds {domain} (zones: "
            f"{held}); what depends on its records is unknown\n"
        )


def _selectors(given: list[str], reports: list[str], domain: str) -> tuple[str, ...]:
    """--selector values, then the valid selectors the --selectors-from reports show."""
    chosen = [inputs.selector(s) for s in given]
    if reports:
        from deliverability.checks.dmarc_reports.selectors import reported_selectors
        from deliverability.validation import BadInput, validate_selector

        for path in reports:
            if path != "-" and not os.path.lexists(path):
                raise UsageFailure(f"--selectors-from {path}: no such file or directory")
        for name in reported_selectors(reports, domain):
            with contextlib.suppress(BadInput):  # a reporter's junk is not a usage error
                chosen.append(validate_selector(name))
    return tuple(dict.fromkeys(chosen))


def _shard(text: str | None, from_file: Path | None) -> Shard | None:
    """--shard I/N, checked; only a --from-file run is split."""
    if text is None:
        return None
    if from_file is None:
        raise UsageFailure("--shard splits a --from-file run; it does not take a DOMAIN")
    from deliverability.shard import parse_shard

    with inputs.bad_input_is_usage_failure():
        return parse_shard(text)


def _targets(source: TargetSource, defaults: Target, shard: Shard | None) -> Iterator[Row]:
    """The rows this run checks (of the file, or the domains named): all, or its --shard's."""
    from deliverability.bulk import domain_rows, read_targets

    rows = (
        domain_rows(source, defaults)
        if isinstance(source, tuple)
        else read_targets(source, defaults)
    )
    return rows if shard is None else shard.select(rows)


def _split(values: list[str] | None) -> list[str]:
    """--select a,b --select c -> [a, b, c]: repeated or comma-separated, as flake8 takes them."""
    # names and codes are lower case: --select SPF means spf
    return [p.strip().lower() for value in values or () for p in value.split(",") if p.strip()]


def _check_many(
    plan: RunPlan,
    from_file: TargetSource,
    defaults: Target,
    *,
    concurrency: int,
    quiet: bool,
    opts: ReportOptions,
    shard: Shard | None,
) -> int:
    """`check --from-file` (or several domains): one line per target to stdout, the summary
    to stderr."""
    from deliverability.bulk import run_bulk
    from deliverability.bulk_summary import BulkSummary
    from deliverability.render import bulk as render

    line_of = bulk_line(opts.output_format, plan.check_names)
    if isinstance(from_file, Path):
        _check_bulk_file(from_file)
    plan = plan.throttled(
        _bulk_qps(plan, opts, from_file, defaults, shard), targets_at_once=concurrency
    )
    summary = BulkSummary()
    stream = sys.stdout if opts.output is None else open_output(opts.output)
    progress = _progress(quiet, from_file, defaults, shard)

    def done(outcome: Outcome) -> None:
        write(line_of(outcome), stream)
        stream.flush()
        summary.add(outcome)
        if outcome.report is None or exit_status(outcome.report, opts.fail_on, opts.strict):
            summary.failing += 1
        if progress is not None:
            progress.advance(progress.task_ids[0])

    try:
        if opts.output_format is OutputFormat.csv:
            stream.write(render.csv_header(plan.check_names))
        with progress or contextlib.nullcontext():
            asyncio.run(
                run_bulk(plan, _targets(from_file, defaults, shard), done, concurrency=concurrency)
            )
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        if opts.output is not None:
            stream.close()
    if not quiet:
        write(render.summary_table(summary), sys.stderr)
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FINDINGS if summary.failing else EXIT_OK


def _bulk_qps(
    plan: RunPlan,
    opts: ReportOptions,
    from_file: TargetSource,
    defaults: Target,
    shard: Shard | None,
) -> float | None:
    """--qps as given; when not given, DEFAULT_BULK_QPS for runs over BULK_TARGETS targets."""
    from itertools import islice

    from deliverability.net.rate import BULK_TARGETS, DEFAULT_BULK_QPS

    if opts.qps is not None:
        return plan.qps
    first = islice(_targets(from_file, defaults, shard), BULK_TARGETS + 1)
    return DEFAULT_BULK_QPS if sum(1 for _ in first) > BULK_TARGETS else None


def _check_bulk_file(from_file: Path) -> None:
    """A --from-file that cannot be read, or names unknown columns, is exit 2 before any output."""
    from deliverability.bulk import check_file

    try:
        with inputs.bad_input_is_usage_failure():
            check_file(from_file)
    except OSError as exc:
        raise UsageFailure(f"cannot read {from_file}: {exc.strerror or exc}") from None


def bulk_line(output_format: OutputFormat, checks: list[str]) -> Any:
    """The function that renders one bulk Outcome in `output_format` (a UsageFailure if none)."""
    from deliverability.render import bulk as render

    if output_format is OutputFormat.json:
        return render.json_line
    if output_format is OutputFormat.csv:
        return lambda outcome: render.csv_line(outcome, checks)
    if output_format is OutputFormat.terminal:
        return render.terminal_line
    raise UsageFailure(f"--from-file writes terminal, json or csv, not {output_format.value}")


def _progress(quiet: bool, from_file: TargetSource, defaults: Target, shard: Shard | None) -> Any:
    """A rich progress bar on stderr when it is a terminal and not --quiet; else None."""
    if quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress

    total = sum(1 for _ in _targets(from_file, defaults, shard))  # readable: checked already
    progress = Progress(console=Console(stderr=True), transient=True)
    progress.add_task("checking", total=total)
    return progress
