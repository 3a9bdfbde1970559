"""The command line: the only module that prints or exits.

Exit status: 0 nothing at or above --fail-on; 1 a finding at or above it (--strict:
`unknown` too); 2 bad input (usage, bad domain or IP, unreadable file). Every error
is one line on stderr, never a traceback or a usage block.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deliverability import __version__

if TYPE_CHECKING:
    from deliverability.baseline import Comparison
    from deliverability.bulk import Outcome
    from deliverability.finding import Finding, Report, Severity, Target
    from deliverability.plan import RunPlan
    from deliverability.registry import CheckSpec

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2

HELP = """Tell why email from a sender does not reach its recipients, and what to do.

\b
Exit status:
  0  no finding at or above --fail-on (default: error)
  1  a finding at or above --fail-on (with --strict, also any 'unknown')
  2  bad input: usage, a bad domain, IP or resolver, an unreadable file
"""

app = typer.Typer(
    help=HELP,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    """--format choices."""

    terminal = "terminal"
    markdown = "markdown"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    csv = "csv"


class FailOn(StrEnum):
    """--fail-on choices."""

    error = "error"
    warning = "warning"
    never = "never"


class UsageFailure(Exception):
    """Bad input found by a command; becomes one line and exit 2."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deliverability {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Tell why email from a sender does not reach its recipients, and what to do."""


# Options every report-producing command shares (check, and later guide and message).
FormatOpt = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to FILE.", dir_okay=False)
]
FailOnOpt = Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 at or above this severity.")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="Also exit 1 when a result is unknown.")]
ResolverOpt = Annotated[
    list[str] | None,
    typer.Option("--resolver", help="DNS resolver: IP, IP:PORT, [IPv6]:PORT or https:// URL."),
]
TimeoutOpt = Annotated[float, typer.Option("--timeout", help="Seconds allowed per DNS lookup.")]
ZoneFileOpt = Annotated[
    list[Path] | None,
    typer.Option("--zone-file", help="Answer names in this BIND zone file from it (repeatable)."),
]
OfflineOpt = Annotated[
    bool, typer.Option("--offline", help="Never query DNS: only --zone-file answers.")
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show every DNS query made.")]
ProfileOpt = Annotated[
    Path | None,
    typer.Option("--profile", help="Sender profile TOML (default: ./deliverability.toml if present)."),
]


@app.command()
def check(
    domain: Annotated[
        str | None, typer.Argument(help="The From-header domain to check (or --from-file).")
    ] = None,
    ip: Annotated[
        list[str] | None, typer.Option("--ip", help="A sending IP address (repeatable).")
    ] = None,
    mail_from: Annotated[
        str | None,
        typer.Option("--mail-from", help="Envelope sender (Return-Path); default postmaster@DOMAIN."),
    ] = None,
    helo: Annotated[
        str | None, typer.Option("--helo", help="The name the sending host gives in HELO/EHLO.")
    ] = None,
    selector: Annotated[
        list[str] | None, typer.Option("--selector", help="A DKIM selector (repeatable).")
    ] = None,
    output_format: FormatOpt = OutputFormat.terminal,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    strict: StrictOpt = False,
    select: Annotated[
        list[str] | None, typer.Option("--select", help="Only these checks or code prefixes.")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Skip these checks or code prefixes.")
    ] = None,
    resolver: ResolverOpt = None,
    timeout: TimeoutOpt = 5.0,
    zone_file: ZoneFileOpt = None,
    offline: OfflineOpt = False,
    verbose: VerboseOpt = False,
    profile: ProfileOpt = None,
    recipient: Annotated[
        str | None,
        typer.Option("--recipient", help="Also write allowlist guidance for this recipient domain."),
    ] = None,
    blocklists: Annotated[
        str,
        typer.Option("--blocklists", help="Blocklists: default, all, none, or comma-separated names."),
    ] = "default",
    spamhaus_key: Annotated[
        str | None,
        typer.Option(
            "--spamhaus-key", envvar="DELIVERABILITY_SPAMHAUS_KEY", show_envvar=True,
            help="Spamhaus DQS key: query the DQS zones (never shown in any output).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="Fail only on findings new since this saved JSON report.",
                     dir_okay=False),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="Check every domain in FILE (one a line, or CSV).",
                     dir_okay=False),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=1000, help="Targets checked at once.")
    ] = 16,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar or summary (--from-file).")
    ] = False,
) -> None:
    """Check a sending domain: SPF, DKIM, DMARC, MX, reverse DNS and more."""
    from deliverability.finding import Target

    if domain is None and from_file is None:
        raise UsageFailure("give a DOMAIN to check, or --from-file FILE")
    if domain is not None and from_file is not None:
        raise UsageFailure("give a DOMAIN or --from-file FILE, not both")
    domain_name = _domain(domain) if domain is not None else ""
    sender_profile = _profile(profile)
    _blocklists(blocklists, spamhaus_key, sender_profile)
    target = Target(
        domain=domain_name,
        ips=tuple(dict.fromkeys(_ip(i) for i in ip or ())),
        mail_from=mail_from if mail_from is not None else f"postmaster@{domain_name}" if domain else "",
        helo=helo,
        selectors=tuple(_selector(s) for s in selector or ()),
        recipient=_domain(recipient, "--recipient") if recipient is not None else None,
    )
    if from_file is not None and baseline is not None:
        raise UsageFailure("--baseline compares one DOMAIN's report; it does not take --from-file")
    old_findings = _saved_findings(baseline) if baseline is not None else None
    plan = prepare_run(
        select=select or [],
        ignore=ignore or [],
        resolver=resolver or [],
        timeout=timeout,
        zone_files=zone_file or [],
        offline=offline,
        profile=sender_profile,
        check_options={"dnsbl": {"lists": blocklists, "spamhaus_key": spamhaus_key}},
        secrets=[spamhaus_key] if spamhaus_key else [],
    )
    if from_file is not None:
        raise typer.Exit(_check_many(
            plan, from_file, target, concurrency=concurrency, quiet=quiet,
            output_format=output_format, output=output, fail_on=fail_on, strict=strict,
        ))
    report = asyncio.run(plan.run(target))
    if old_findings is not None:
        from deliverability.baseline import compare

        report = dataclasses.replace(report, baseline=compare(old_findings, report.findings))
    emit(report, output_format, output, verbose)
    raise typer.Exit(exit_status(report, fail_on, strict))


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier JSON report (the baseline).", dir_okay=False)],
    new: Annotated[Path, typer.Argument(help="The later JSON report.", dir_okay=False)],
    output_format: FormatOpt = OutputFormat.terminal,
    fail_on: FailOnOpt = FailOn.error,
    strict: StrictOpt = False,
) -> None:
    """Compare two saved JSON reports: which problems are new, which got fixed."""
    from deliverability.baseline import compare

    comparison = compare(_saved_findings(old), _saved_findings(new))
    _print_comparison(comparison, output_format)
    raise typer.Exit(findings_status(list(comparison.new), fail_on, strict))


@app.command("checks")
def list_checks() -> None:
    """List the installed checks and the codes each can report."""
    for spec in _load_specs():
        origin = "" if spec.distribution == "deliverability" else f"  (from {spec.distribution})"
        typer.echo(f"{spec.name}{origin}")
        first_line = spec.doc.splitlines()[0] if spec.doc else ""
        if first_line:
            typer.echo(f"    {first_line}")
        for code, title in spec.codes.items():
            typer.echo(f"    {code:<34} {title}")


@app.command()
def explain(code: Annotated[str, typer.Argument(help="A finding code, e.g. mx.null.")]) -> None:
    """Explain a finding code: what it means, why it matters, how to fix it."""
    from deliverability.catalog import explain_code

    text = explain_code(code.strip(), _load_specs() + [_message_spec()])
    if text is None:
        raise UsageFailure(f"unknown code {code!r}; `deliverability checks` lists them")
    typer.echo(text)


@app.command()
def guide(
    recipient: Annotated[
        str, typer.Argument(help="The recipient domain whose IT team gets the instructions.")
    ],
    sender: Annotated[
        str | None,
        typer.Option("--sender", help="The sender's From domain (default: the profile's first)."),
    ] = None,
    output_format: FormatOpt = OutputFormat.terminal,
    output: OutputOpt = None,
    fail_on: FailOnOpt = FailOn.error,
    strict: StrictOpt = False,
    resolver: ResolverOpt = None,
    timeout: TimeoutOpt = 5.0,
    zone_file: ZoneFileOpt = None,
    offline: OfflineOpt = False,
    verbose: VerboseOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Write allowlist instructions for the platform that filters RECIPIENT's mail."""
    from deliverability.finding import Target

    recipient_domain = _domain(recipient, "recipient")
    sender_profile = _profile(profile)
    from_domains = getattr(sender_profile, "from_domains", ())
    if sender is None and not from_domains:
        raise UsageFailure(
            "guide needs the sender: give --sender DOMAIN, or a profile with from_domains"
            " (--profile FILE or ./deliverability.toml; `deliverability init` writes one)"
        )
    sender_domain = _domain(sender, "--sender") if sender is not None else from_domains[0]
    return_paths = getattr(sender_profile, "return_path_domains", ()) or (sender_domain,)
    target = Target(
        domain=sender_domain,
        mail_from=f"postmaster@{return_paths[0]}",
        selectors=getattr(sender_profile, "dkim_selectors", ()),
        recipient=recipient_domain,
    )
    report = run_report(
        target, select=[], ignore=[], resolver=resolver or [], timeout=timeout,
        zone_files=zone_file or [], offline=offline, profile=sender_profile,
        only=["guide", "spf", "dkim", "dmarc"],  # the guide reads the sender's authentication
    )
    emit(report, output_format, output, verbose)
    raise typer.Exit(exit_status(report, fail_on, strict))


@app.command()
def init(
    path: Annotated[
        Path, typer.Argument(help="Where to write the starter profile.", dir_okay=False)
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
    typer.echo(f"Wrote {path}: fill in the [sender] values, then run `deliverability guide DOMAIN`.")


# --- shared plumbing for report commands ------------------------------------


def run_report(
    target: Target,
    *,
    select: list[str],
    ignore: list[str],
    resolver: list[str],
    timeout: float,
    zone_files: list[Path],
    offline: bool,
    profile: Any = None,
    only: list[str] | None = None,
    check_options: dict[str, dict[str, Any]] | None = None,
    secrets: list[str] | None = None,
) -> Report:
    """Validate the run's settings, run the checks, and return the report."""
    plan = prepare_run(
        select=select, ignore=ignore, resolver=resolver, timeout=timeout, zone_files=zone_files,
        offline=offline, profile=profile, only=only, check_options=check_options, secrets=secrets,
    )
    return asyncio.run(plan.run(target))


def prepare_run(
    *,
    select: list[str],
    ignore: list[str],
    resolver: list[str],
    timeout: float,
    zone_files: list[Path],
    offline: bool,
    profile: Any = None,
    only: list[str] | None = None,
    check_options: dict[str, dict[str, Any]] | None = None,
    secrets: list[str] | None = None,
) -> RunPlan:
    """Validate the run's settings once (UsageFailure if bad); the plan checks targets."""
    from deliverability.config import BadInput, validate_resolver, validate_timeout
    from deliverability.engine import EngineOptions
    from deliverability.plan import RunPlan
    from deliverability.registry import Selection
    from deliverability.zones import ZoneFileError, ZoneSet, load_zone_file

    try:
        nameservers = [validate_resolver(r) for r in resolver]
        timeout = validate_timeout(timeout)
        zones = ZoneSet([load_zone_file(path) for path in zone_files])
    except (BadInput, ZoneFileError) as exc:
        raise UsageFailure(str(exc)) from None
    specs = _load_specs()
    if only is not None:
        specs = [spec for spec in specs if spec.name in only]
    selection = Selection(select=tuple(select), ignore=tuple(ignore))
    unknown = selection.unknown(specs)
    if unknown:
        raise UsageFailure(f"unknown check or code {unknown[0]!r}; `deliverability checks` lists them")
    specs = [spec for spec in specs if selection.runs(spec)]  # decided once, not per target
    options = EngineOptions(
        selection=selection,
        check_timeout=max(60.0, timeout * 6),
        raise_crashes=os.environ.get("DELIVERABILITY_RAISE_CRASHES") == "1",
    )
    return RunPlan(
        specs=specs, options=options, nameservers=nameservers, timeout=timeout, zones=zones,
        offline=offline, secrets=secrets or [], profile=profile, check_options=check_options or {},
    )


def emit(report: Report, output_format: OutputFormat, output: Path | None, verbose: bool) -> None:
    """Render the report and write it to stdout or --output."""
    from deliverability.render import renderer

    rendered = renderer(output_format.value)(report, verbose=verbose)
    if output is None:
        _print(rendered, sys.stdout)
        return
    try:
        with output.open("w", encoding="utf-8") as handle:
            _print(rendered, handle)
    except OSError as exc:
        raise UsageFailure(f"cannot write {output}: {exc.strerror or exc}") from None


def _print(rendered: Any, stream: Any) -> None:
    if isinstance(rendered, str):
        stream.write(rendered)
        return
    from rich.console import Console

    is_tty = stream.isatty() if hasattr(stream, "isatty") else False
    Console(file=stream, highlight=False, soft_wrap=not is_tty, emoji=False).print(rendered)


def exit_status(report: Report, fail_on: FailOn, strict: bool) -> int:
    """0 or 1, from the worst finding, --fail-on and --strict (with --baseline: new ones only)."""
    findings = report.findings if report.baseline is None else list(report.baseline.new)
    return findings_status(findings, fail_on, strict)


def findings_status(findings: list[Finding], fail_on: FailOn, strict: bool) -> int:
    """0 or 1: whether any of `findings` is at or above --fail-on (--strict: or unknown)."""
    from deliverability.finding import Severity

    if fail_on is FailOn.never:
        return EXIT_OK
    failing: set[Severity] = {Severity.ERROR}
    if fail_on is FailOn.warning:
        failing.add(Severity.WARNING)
    if strict:
        failing.add(Severity.UNKNOWN)
    return EXIT_FINDINGS if any(f.severity in failing for f in findings) else EXIT_OK


def _saved_findings(path: Path) -> list[Finding]:
    from deliverability.baseline import BaselineError, load_findings

    try:
        return load_findings(path)
    except BaselineError as exc:
        raise UsageFailure(str(exc)) from None


def _print_comparison(comparison: Comparison, output_format: OutputFormat) -> None:
    import json

    from deliverability.render import comparison as render

    if output_format is OutputFormat.terminal:
        _print(render.terminal(comparison), sys.stdout)
    elif output_format is OutputFormat.markdown:
        sys.stdout.write("\n".join(render.markdown(comparison)[1:]) + "\n")
    elif output_format is OutputFormat.json:
        sys.stdout.write(json.dumps(render.to_dict(comparison), indent=2, ensure_ascii=False) + "\n")
    else:
        raise UsageFailure(f"diff writes terminal, markdown or json, not {output_format.value}")


def _check_many(
    plan: RunPlan, from_file: Path, defaults: Target, *, concurrency: int, quiet: bool,
    output_format: OutputFormat, output: Path | None, fail_on: FailOn, strict: bool,
) -> int:
    """`check --from-file`: stream one line per target to stdout, the summary to stderr."""
    from deliverability.bulk import BulkSummary, read_targets, run_bulk
    from deliverability.render import bulk as render

    line_of = _bulk_line(output_format, plan.check_names)
    _check_bulk_file(from_file)
    summary, stream = BulkSummary(), _open_output(output)
    progress = _progress(quiet, from_file, defaults)

    def done(outcome: Outcome) -> None:
        _print(line_of(outcome), stream)
        stream.flush()
        summary.add(outcome)
        if outcome.report is None or exit_status(outcome.report, fail_on, strict):
            summary.failing += 1
        if progress is not None:
            progress.advance(progress.task_ids[0])

    try:
        if output_format is OutputFormat.csv:
            stream.write(render.csv_format.lines([render.csv_format.header(plan.check_names)]))
        with progress or contextlib.nullcontext():
            asyncio.run(run_bulk(plan, read_targets(from_file, defaults), done,
                                 concurrency=concurrency))
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        if output is not None:
            stream.close()
    if not quiet:
        _print(render.summary_table(summary), sys.stderr)
    return 130 if summary.interrupted else EXIT_FINDINGS if summary.failing else EXIT_OK


def _check_bulk_file(from_file: Path) -> None:
    """A --from-file that cannot be read, or names unknown columns, is exit 2 before any output."""
    from deliverability.bulk import check_file
    from deliverability.config import BadInput

    try:
        check_file(from_file)
    except OSError as exc:
        raise UsageFailure(f"cannot read {from_file}: {exc.strerror or exc}") from None
    except BadInput as exc:
        raise UsageFailure(str(exc)) from None


def _bulk_line(output_format: OutputFormat, checks: list[str]) -> Any:
    from deliverability.render import bulk as render

    if output_format is OutputFormat.json:
        return render.json_line
    if output_format is OutputFormat.csv:
        return lambda outcome: render.csv_line(outcome, checks)
    if output_format is OutputFormat.terminal:
        return render.terminal_line
    raise UsageFailure(f"--from-file writes terminal, json or csv, not {output_format.value}")


def _open_output(output: Path | None) -> Any:
    if output is None:
        return sys.stdout
    try:
        return output.open("w", encoding="utf-8")
    except OSError as exc:
        raise UsageFailure(f"cannot write {output}: {exc.strerror or exc}") from None


def _progress(quiet: bool, from_file: Path, defaults: Target) -> Any:
    """A rich progress bar on stderr when it is a terminal and not --quiet; else None."""
    if quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import Progress

    from deliverability.bulk import read_targets

    total = sum(1 for _ in read_targets(from_file, defaults))  # readable: checked already
    progress = Progress(console=Console(stderr=True), transient=True)
    progress.add_task("checking", total=total)
    return progress


def _load_specs() -> list[CheckSpec]:
    from deliverability.registry import PluginError, load_checks

    try:
        return load_checks()
    except PluginError as exc:
        raise UsageFailure(str(exc)) from None


def _blocklists(text: str, spamhaus_key: str | None, profile: Any) -> None:
    from deliverability.blocklists import validate_options
    from deliverability.config import BadInput

    try:
        validate_options(text, spamhaus_key, profile)
    except BadInput as exc:
        raise UsageFailure(str(exc)) from None


def _profile(path: Path | None) -> Any:
    from deliverability.config import BadInput
    from deliverability.profile import load_profile

    try:
        return load_profile(path)
    except BadInput as exc:
        raise UsageFailure(str(exc)) from None


def _domain(text: str, what: str = "domain") -> str:
    from deliverability.config import BadInput, validate_domain

    try:
        return validate_domain(text, what)
    except BadInput as exc:
        raise UsageFailure(str(exc)) from None


def _ip(text: str) -> str:
    from deliverability.config import BadInput, validate_ip

    try:
        return validate_ip(text)
    except BadInput as exc:
        raise UsageFailure(str(exc)) from None


def _selector(text: str) -> str:
    selector = text.strip().rstrip(".").lower()
    labels = selector.split(".")
    if not selector or any(not label or len(label) > 63 or " " in label for label in labels):
        raise UsageFailure(f"--selector {text!r} is not a valid DKIM selector")
    return selector


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `deliverability` console script."""
    _skip_doh_unless_asked(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=argv, prog_name="deliverability", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        _error("interrupted")
        return 130
    except typer.TyperException as exc:  # usage errors of the framework itself
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `deliverability`: its message is the help
            sys.stdout.write(exc.format_message() + "\n")
            return EXIT_OK
        _error(exc.format_message())
        return EXIT_BAD_INPUT
    except UsageFailure as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    return result if isinstance(result, int) else EXIT_OK


def console() -> None:
    """The console script: run main, flush, and leave without tearing every module down.

    Interpreter finalization (module teardown, a last garbage collection) costs ~40 ms
    after the work is done; everything is written and flushed by then.
    """
    # A run allocates many long-lived objects (modules) and few cycles: collect rarely.
    # CPython's default (every 700 allocations) spends ~12 ms of a 0.25 s start-up.
    gc.set_threshold(100_000, 20, 20)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe has nothing to flush
            stream.flush()
    os._exit(code)


def _skip_doh_unless_asked(args: list[str]) -> None:
    """dnspython imports its DNS-over-HTTPS stack (~45 ms) with its resolver; only
    `--resolver https://...` needs it, so a run without one skips it (docs/performance.md)."""
    if "dns.query" in sys.modules or any("https://" in str(arg) for arg in args):
        return
    import dns._features

    dns._features.force("doh", False)


def _error(message: str) -> None:
    from deliverability.text import clean_line

    sys.stderr.write(f"deliverability: error: {clean_line(message)}\n")


# --- message: what the receiving system saw and decided ----------------------


@app.command()
def message(
    file: Annotated[str, typer.Argument(help="A message (.eml) or its headers; '-' reads stdin.")],
    check_sender: Annotated[
        bool,
        typer.Option("--check-sender", help="Also run the domain checks for what the message shows."),
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
    from deliverability.message.facts import NO_DOMAIN, message_target, read_facts
    from deliverability.message.parse import MessageError, read_message

    try:
        parsed = read_message(_read_input(file))
    except MessageError as exc:
        raise UsageFailure(f"{file}: {exc}") from None
    target = message_target(read_facts(parsed))
    if check_sender and target.domain == NO_DOMAIN:
        raise UsageFailure("--check-sender needs a message with one From address at a valid domain")
    specs = (_load_specs() if check_sender else []) + [_message_spec()]
    report = _run_message(target, parsed, specs, resolver or [], timeout, zone_file or [], offline)
    emit(report, output_format, output, verbose)
    raise typer.Exit(exit_status(report, fail_on, strict))


def _read_input(file: str) -> bytes:
    """The message bytes from FILE or stdin, read up to one byte past the size limit."""
    from deliverability.message.parse import MAX_BYTES

    if file == "-":
        return sys.stdin.buffer.read(MAX_BYTES + 1)
    try:
        with open(file, "rb") as handle:
            return handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UsageFailure(f"cannot read {file}: {exc.strerror or exc}") from None


def _message_spec() -> CheckSpec:
    """The `message` check: not an entry point, so `check DOMAIN` never runs it."""
    from deliverability.checks import message as message_check
    from deliverability.registry import validate_check

    return validate_check("message", message_check, "deliverability")


def _run_message(
    target: Target, parsed: Any, specs: list[CheckSpec], resolver: list[str], timeout: float,
    zone_files: list[Path], offline: bool,
) -> Report:
    """Run `specs` over a session that carries the parsed message."""
    from deliverability.config import BadInput, validate_resolver, validate_timeout
    from deliverability.context import Session
    from deliverability.dns import DnsClient
    from deliverability.engine import EngineOptions, run_checks
    from deliverability.zones import ZoneFileError, ZoneSet, load_zone_file

    try:
        nameservers = [validate_resolver(r) for r in resolver]
        timeout = validate_timeout(timeout)
        zones = ZoneSet([load_zone_file(path) for path in zone_files])
    except (BadInput, ZoneFileError) as exc:
        raise UsageFailure(str(exc)) from None
    dns_client = DnsClient(nameservers=nameservers, timeout=timeout, zones=zones, offline=offline)
    session = Session(target=target, dns=dns_client, message=parsed)
    options = EngineOptions(
        check_timeout=max(60.0, timeout * 6),
        raise_crashes=os.environ.get("DELIVERABILITY_RAISE_CRASHES") == "1",
    )
    return asyncio.run(run_checks(specs, session, options))
