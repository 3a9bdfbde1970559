"""`deliverability check`: one sending domain, or many (several DOMAINs or --from-file)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deliverability.cli import inputs
from deliverability.cli.baseline import saved_report
from deliverability.cli.configuration import (
    REPORT_SETTINGS,
    ConfigOpt,
    NoConfigOpt,
    chosen_config,
    settle,
)
from deliverability.cli.defaults import with_profile
from deliverability.cli.options import (
    OutputFormat,
    ProfileOpt,
    ReportOptions,
    UsageFailure,
    report_options,
)
from deliverability.cli.running import emit, exit_status, prepare_run, refuse_dead_dns

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from deliverability.bulk_summary import Row
    from deliverability.finding import Target
    from deliverability.plan import RunPlan
    from deliverability.shard import Shard

# Where a run's targets come from: a --from-file, or the domains named (a profile's from_domains).
TargetSource = Path | tuple[str, ...]


@report_options
def check(
    context: typer.Context,
    domain: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="DOMAIN...",
            help="The From-header domain to check; several run as a bulk run (or --from-file).",
            show_default=False,
        ),
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
            help="Check every domain in FILE (one a line, or CSV with domain, ips, mail_from, selectors).",
            dir_okay=False,
        ),
    ] = None,
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency", metavar="N", min=1, max=1000, help="Targets checked at once."
        ),
    ] = 16,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            metavar="N",
            min=1,
            max=64,
            help="Processes that check a bulk run's targets, each --concurrency at once "
            "(docs/scale.md).",
        ),
    ] = 1,
    config_file: ConfigOpt = None,
    no_config: NoConfigOpt = False,
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
    import asyncio  # here: `--version` and `--help` need no event loop

    from deliverability.finding import Target

    chosen = chosen_config(config_file, no_config)
    given = {
        "select": select,
        "ignore": ignore,
        "blocklists": blocklists,
        "concurrency": concurrency,
        "workers": workers,
        **{name: getattr(opts, name) for name in REPORT_SETTINGS},
    }
    settled, sources = settle(context, given, chosen)  # the [check] table under the flags given
    select, ignore = settled["select"], settled["ignore"]
    blocklists, concurrency = settled["blocklists"], settled["concurrency"]
    workers = settled["workers"]
    opts = dataclasses.replace(opts, **{name: settled[name] for name in REPORT_SETTINGS})
    domains = list(domain or ())
    sender_profile = inputs.configured_profile(profile, chosen, no_config)
    # without DOMAIN or --from-file, the profile's from_domains are the domains to check
    named = sender_profile.from_domains if sender_profile and not domains else ()
    if not domains and from_file is None and not named:
        raise UsageFailure(
            "give a DOMAIN to check, --from-file FILE, or a profile with from_domains"
        )
    if domains and from_file is not None:
        raise UsageFailure("give a DOMAIN to check, or --from-file FILE (not both)")
    listed = tuple(domains) if len(domains) > 1 else tuple(named) if len(named) > 1 else ()
    source: TargetSource | None = from_file or listed or None
    if source is not None and baseline is not None:
        raise UsageFailure(
            "--baseline compares one DOMAIN's report; give one DOMAIN, not several or --from-file"
        )
    part = _shard(shard, from_file)
    workers = _workers(workers, bulk=source is not None, flag=sources["workers"] == "flag")
    domain_name = inputs.lenient_domain(domains[0]) if len(domains) == 1 else ""
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
    old_report = saved_report(baseline) if baseline is not None else None
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
            check_several(
                plan,
                source,
                target,
                concurrency=concurrency,
                quiet=opts.quiet,
                opts=opts,
                shard=part,
                workers=workers,
            )
        )
    report = asyncio.run(plan.run(target))
    if old_report is not None:
        from deliverability.baseline import compare
        from deliverability.regressions import regressions, report_facts

        comparison = compare(old_report.findings, report.findings)
        regressed = regressions(old_report.facts, report_facts(report))
        report = dataclasses.replace(
            report, baseline=dataclasses.replace(comparison, regressed=regressed)
        )
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


def _workers(count: int, *, bulk: bool, flag: bool) -> int:
    """--workers N, checked: a bulk run's (a [check] `workers` leaves one domain's run
    alone); one process where fork is missing."""
    if count == 1 or not (bulk or flag):
        return 1
    if not bulk:
        raise UsageFailure("--workers splits a bulk run (several DOMAINs or --from-file)")
    from deliverability.cli.workers import can_fork

    if not can_fork():
        sys.stderr.write("deliverability: warning: --workers needs fork; using one process\n")
        return 1
    return count


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


def check_several(
    plan: RunPlan,
    source: TargetSource,
    defaults: Target,
    *,
    concurrency: int,
    quiet: bool,
    opts: ReportOptions,
    shard: Shard | None,
    workers: int = 1,
) -> int:
    """Check several DOMAINs (or --from-file's targets) as one bulk run; the exit status.

    Each domain is validated as its turn comes: a bad one is a failed line, not the run's end.
    """
    from deliverability.cli.bulk import check_many, file_rows

    if isinstance(source, Path):
        rows, total = file_rows(source, defaults)  # exit 2 now if the file is unreadable
        if shard is not None:
            rows, total = shard.select(rows), None
    else:
        rows, total = _targets(source, defaults, shard), len(source)
    label = str(source) if isinstance(source, Path) else "DOMAIN"
    qps = _bulk_qps(plan, opts, lambda: _targets(source, defaults, shard))
    plan = plan.throttled(qps, targets_at_once=concurrency)
    return check_many(
        plan,
        rows,
        opts=opts,
        concurrency=concurrency,
        quiet=quiet,
        source=label,
        total=total,
        workers=workers,
    )


def _bulk_qps(
    plan: RunPlan, opts: ReportOptions, rows: Callable[[], Iterable[Row]]
) -> float | None:
    """--qps as given; when not given, DEFAULT_BULK_QPS for runs over BULK_TARGETS targets."""
    from itertools import islice

    from deliverability.net.rate import BULK_TARGETS, DEFAULT_BULK_QPS

    if opts.qps is not None:
        return plan.qps
    first = islice(rows(), BULK_TARGETS + 1)
    return DEFAULT_BULK_QPS if sum(1 for _ in first) > BULK_TARGETS else None


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
