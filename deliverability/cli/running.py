"""Plumbing every report command shares: validate the run's settings into a RunPlan,
write the rendered report, and choose the exit status."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deliverability.cli import inputs
from deliverability.cli.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    FailOn,
    OutputFormat,
    ReportOptions,
    UsageFailure,
)

# The formats people read: they take -q (the verdict block only).
HUMAN_FORMATS = frozenset(
    {OutputFormat.terminal, OutputFormat.markdown, OutputFormat.text, OutputFormat.html}
)

if TYPE_CHECKING:
    from deliverability.finding import Comparison, Finding, Report, Severity
    from deliverability.net.zones import LoadedZone
    from deliverability.plan import RunPlan
    from deliverability.profile import SenderProfile
    from deliverability.registry import CheckSpec


def prepare_run(
    opts: ReportOptions,
    *,
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    profile: SenderProfile | None = None,
    only: list[str] | None = None,
    extra_specs: list[CheckSpec] | None = None,
    check_options: dict[str, dict[str, Any]] | None = None,
    secrets: list[str] | None = None,
) -> RunPlan:
    """Validate the run's settings once (UsageFailure if bad); the plan then checks targets.

    `only` limits the installed checks to those names; `extra_specs` adds checks that
    are not entry points (the `message` check).
    """
    from deliverability.engine import EngineOptions
    from deliverability.net.zones import ZoneSet
    from deliverability.plan import RunPlan
    from deliverability.profile import NO_PROFILE
    from deliverability.registry import Selection
    from deliverability.validation import validate_qps, validate_resolver, validate_timeout

    with inputs.bad_input_is_usage_failure():
        nameservers = [validate_resolver(r) for r in opts.resolver or ()]
        timeout = validate_timeout(opts.timeout)
        qps = validate_qps(opts.qps or 0)
        zones = ZoneSet(_zone_files(opts.zone_file or []))
    if only is None:
        specs = inputs.installed_checks()
    elif only:
        specs = [spec for spec in inputs.installed_checks() if spec.name in only]
    else:
        specs = []  # only the extra specs: no check module is imported
    specs += extra_specs or []
    selection = Selection(select=tuple(select or ()), ignore=tuple(ignore or ()))
    unknown = selection.unknown(specs)
    if unknown:
        from deliverability.cli.hints import did_you_mean

        known = [spec.name for spec in specs] + [code for spec in specs for code in spec.all_codes]
        raise UsageFailure(
            f"unknown check or code {unknown[0]!r}{did_you_mean(unknown[0], known)}; "
            "`deliverability checks` lists them"
        )
    options = EngineOptions(
        selection=selection,
        check_timeout=max(60.0, timeout * 6),
        raise_crashes=os.environ.get("DELIVERABILITY_RAISE_CRASHES") == "1",
    )
    plan = RunPlan(
        specs=[spec for spec in specs if selection.runs(spec)],  # decided once, not per target
        options=options,
        nameservers=nameservers,
        timeout=timeout,
        zones=zones,
        offline=opts.offline,
        secrets=secrets or [],
        profile=profile or NO_PROFILE,
        check_options=check_options or {},
    )
    return plan.throttled(qps, targets_at_once=1)


def _zone_files(paths: list[Path]) -> list[LoadedZone]:
    """The --zone-file files, read (the zone reader is loaded only when there are some)."""
    if not paths:
        return []
    from deliverability.net.zonefile import load_zone_file

    return [load_zone_file(checkout_relative(p)) for p in paths]


def checkout_relative(path: Path) -> Path:
    """An absolute path inside the current directory as a relative one: CI formats (SARIF,
    annotations, Code Quality) point at files relative to the checkout."""
    if not path.is_absolute():
        return path
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def refuse_dead_dns(report: Report) -> None:
    """A run in which no resolver answered anything says nothing about DNS: exit 2, not 0."""
    if report.dns_dead:
        raise UsageFailure(dead_dns_line(report.failed_queries, report.resolvers, report.trace))


def dead_dns_line(failed: int, resolvers: tuple[str, ...], trace: Any = ()) -> str:
    """`DNS answered no query: N lookups failed (resolver ...: first reason)`."""
    reasons = [t.outcome for t in trace if t.outcome not in ("answer", "nxdomain", "nodata")]
    why = f": {reasons[0]}" if reasons else ""
    names = ", ".join(resolvers) or "the system resolver"
    return f"DNS answered no query: {failed} lookups failed (resolver {names}{why})"


def emit(
    report: Report,
    output_format: OutputFormat,
    output: Path | None,
    verbose: bool,
    quiet: bool = False,
    *,
    fail_on: FailOn = FailOn.error,
    strict: bool = False,
) -> None:
    """Render the report and write it to stdout or --output (-q: the verdict block only)."""
    from deliverability.render import renderer

    render = renderer(output_format.value)
    inputs = render_inputs(output_format, fail_on, strict, quiet)
    if output_format is OutputFormat.sarif:  # fixes are placed at the zone files' lines
        inputs["zones"] = zone_texts(_fixed_files(report))
    rendered = render(report, verbose=verbose, **inputs)
    if output is None:
        write(rendered, sys.stdout)
        return
    with open_output(output) as handle:
        write(rendered, handle)


def zone_texts(paths: list[Path]) -> dict[str, tuple[str, str]]:
    """path -> (text, origin) of each zone file (already validated by prepare_run)."""
    from deliverability.files import read_user_text
    from deliverability.net.zonefile import load_zone_file

    return {
        str(path): (read_user_text(path, "zone file"), load_zone_file(path).origin.to_text())
        for path in paths
    }


def _fixed_files(report: Report) -> list[Path]:
    """The zone files holding a record that a verified change edits."""
    files = [
        f.location.file
        for f in report.findings
        if f.location is not None and any(c.verified for c in f.changes)
    ]
    return [Path(file) for file in dict.fromkeys(files)]


def render_inputs(
    output_format: OutputFormat, fail_on: FailOn, strict: bool, quiet: bool = False
) -> dict[str, Any]:
    """What a renderer needs beyond the report, read here since renderers do no I/O: -q for
    the formats people read; SARIF's rule texts (docs/checks.md); the severities that fail
    the gate (JUnit, GitHub)."""
    if output_format in HUMAN_FORMATS:
        return {"quiet": quiet}
    if output_format is OutputFormat.sarif:
        from deliverability.catalog import catalog_text, documented_codes

        return {"rule_docs": documented_codes(catalog_text())}
    if output_format is OutputFormat.junit:
        return {"failing": failing_severities(fail_on, strict)}
    if output_format is OutputFormat.github:
        from deliverability.finding import Severity

        # --fail-on never still annotates the problems, as warnings and errors
        return {
            "annotated": failing_severities(fail_on, strict) or {Severity.ERROR, Severity.WARNING}
        }
    return {}


def open_output(output: Path) -> Any:
    """--output FILE opened for an atomic write (cli/output.py: replaced only when the
    run finishes), or a UsageFailure saying why it cannot be."""
    from deliverability.cli.output import AtomicOutput

    try:
        return AtomicOutput(output)
    except OSError as exc:
        raise UsageFailure(f"cannot write {output}: {exc.strerror or exc}") from None


def write(rendered: Any, stream: Any) -> None:
    """Write a renderer's result: text as is, a rich renderable through a Console."""
    if isinstance(rendered, str):
        stream.write(rendered)
        return
    from rich.console import Console
    from rich.text import Text

    # Wrapped at the terminal's width (COLUMNS, else 80) even into a pipe, so continuation
    # lines hang under their text; uncropped, so a no_wrap record line stays whole.
    # A bulk run's one-line Text keeps its single line in a pipe.
    is_tty = stream.isatty() if hasattr(stream, "isatty") else False
    one_line = isinstance(rendered, Text) and not is_tty
    console = Console(file=stream, highlight=False, soft_wrap=one_line, emoji=False)
    console.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]
    console.print(rendered, crop=False)


def _broken_pipe() -> None:
    """rich would exit(1) on a closed pipe; raise it so main() says so in one line."""
    raise BrokenPipeError("broken pipe")


def exit_status(report: Report, fail_on: FailOn, strict: bool) -> int:
    """0 or 1, from the worst finding, --fail-on and --strict (with --baseline: new ones only,
    and any regression)."""
    if report.baseline is not None:
        return comparison_status(report.baseline, fail_on, strict)
    return findings_status(report.findings, fail_on, strict)


def comparison_status(comparison: Comparison, fail_on: FailOn, strict: bool) -> int:
    """1 for a new finding at or above --fail-on, or a regression whatever its severity."""
    if comparison.regressed and fail_on is not FailOn.never:
        return EXIT_FINDINGS
    return findings_status(list(comparison.new), fail_on, strict)


def findings_status(findings: list[Finding], fail_on: FailOn, strict: bool) -> int:
    """0 or 1: whether any of `findings` is at or above --fail-on (--strict: or unknown)."""
    failing = failing_severities(fail_on, strict)
    return EXIT_FINDINGS if any(f.severity in failing for f in findings) else EXIT_OK


def failing_severities(fail_on: FailOn, strict: bool) -> set[Severity]:
    """The severities that make the exit status 1 under --fail-on and --strict."""
    from deliverability.finding import Severity

    if fail_on is FailOn.never:
        return set()
    failing: set[Severity] = {Severity.ERROR}
    if fail_on is FailOn.warning:
        failing.add(Severity.WARNING)
    if strict:
        failing.add(Severity.UNKNOWN)
    return failing
