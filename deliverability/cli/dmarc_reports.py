"""`deliverability dmarc-reports PATH...`: who sends as you, what fails, and exactly why."""

from __future__ import annotations

import os
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deliverability.cli.options import OutputFormat, ReportOptions, UsageFailure, report_options
from deliverability.cli.running import emit, exit_status, open_output, prepare_run, write

if TYPE_CHECKING:
    from deliverability.checks.dmarc_reports.aggregate import Corpus

PASSWORD_VARIABLE = "DELIVERABILITY_IMAP_PASSWORD"
_SINCE = re.compile(r"^(\d{1,5})([hdw])$")


@report_options
def dmarc_reports(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="PATH...",
            help="Report files (.xml, .gz, .zip), report emails, mbox "
            "files, Maildirs or directories; '-' reads stdin.",
        ),
    ] = None,
    imap: Annotated[
        str | None,
        typer.Option(
            "--imap",
            metavar="URL",
            help="Read an IMAP folder, read-only: "
            f"imaps://USER@HOST/FOLDER (password from ${PASSWORD_VARIABLE}).",
        ),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            metavar="FILE",
            help="SQLite history: store the reports read; without PATH, summarize from it.",
            dir_okay=False,
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="AGE",
            help="Only reports ending in the last AGE (30d, 12h, 2w) or since a date (YYYY-MM-DD).",
        ),
    ] = None,
    *,
    opts: ReportOptions,
) -> None:
    """Read DMARC aggregate reports: sources, failures and their causes, policy readiness."""
    import asyncio  # here: `--version` and `--help` need no event loop

    from deliverability.checks.dmarc_reports.aggregate import Corpus
    from deliverability.finding import ReportKind, Target
    from deliverability.registry import command_check

    paths = paths or []
    if not paths and not imap and db is None:
        raise UsageFailure("give report files (PATH...), --imap URL, or --db FILE")
    cutoff = parse_since(since) if since else None
    _check_paths(paths)
    options: dict[str, Any] = {}
    plan = prepare_run(
        opts,
        only=[],
        extra_specs=[command_check("dmarc-reports")],
        check_options={"dmarc-reports": options},
    )
    corpus = Corpus()
    _collect(corpus, paths, imap, db, cutoff, opts.timeout)
    if not opts.quiet:  # -q: also no line on stderr per skipped file
        for f in corpus.files:
            if f.error:
                sys.stderr.write(f"deliverability: skipped {_line(f.path)}: {_line(f.error)}\n")
    options["corpus"] = corpus
    report = asyncio.run(plan.run(Target(domain=_main_domain(corpus)), kind=ReportKind.EVIDENCE))
    if opts.quiet:  # the verdict block alone, as for every command
        emit(report, opts.output_format, opts.output, opts.verbose, quiet=True)
    else:
        _emit(report, opts.output_format, opts.output, opts.verbose)
    raise typer.Exit(exit_status(report, opts.fail_on, opts.strict))


def _emit(report: Any, output_format: OutputFormat, output: Path | None, verbose: bool) -> None:
    """The tables and chart in terminal, Markdown, CSV and HTML; the shared renderers otherwise."""
    from deliverability.render import dmarc_reports as tables

    render = {
        "terminal": tables.terminal,
        "markdown": tables.markdown,
        "csv": tables.csv,
        "html": tables.html,
    }.get(output_format.value)
    if render is None:
        emit(report, output_format, output, verbose)
        return
    rendered = render(report, verbose=verbose)
    if output is None:
        write(rendered, sys.stdout)
        return
    with open_output(output) as handle:
        write(rendered, handle)


def parse_since(text: str) -> datetime:
    """--since: `30d`, `12h`, `2w` ago, or a date (YYYY-MM-DD, midnight UTC)."""
    match = _SINCE.match(text.strip().lower())
    if match:
        unit = {"h": "hours", "d": "days", "w": "weeks"}[match.group(2)]
        return datetime.now(UTC) - timedelta(**{unit: int(match.group(1))})
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise UsageFailure(
            f"--since {text!r}: use an age (30d, 12h, 2w) or a date (YYYY-MM-DD)"
        ) from None


def _check_paths(paths: list[str]) -> None:
    for path in paths:
        if path != "-" and not os.path.lexists(path):
            raise UsageFailure(f"{path}: no such file or directory")
    if paths.count("-") > 1:
        raise UsageFailure("'-' (stdin) can be given once")


def _collect(
    corpus: Corpus,
    paths: list[str],
    imap: str | None,
    db: Path | None,
    cutoff: datetime | None,
    timeout: float,
) -> None:
    """Fill the corpus from the files and the mailbox (and store them), or from the history."""
    from deliverability.checks.dmarc_reports import store
    from deliverability.checks.dmarc_reports.reading import read_inputs

    history = _open_history(db) if db is not None else None
    if history is not None and not (paths or imap):  # no inputs: the history is the corpus
        for report in store.load(history, cutoff):
            corpus.add(report)
        return
    sources = [read_inputs(paths, sys.stdin)] + (
        [_imap_outcomes(imap, timeout, cutoff)] if imap else []
    )
    for outcomes in sources:
        for outcome in outcomes:
            kept = tuple(r for r in outcome.reports if cutoff is None or r.end >= cutoff)
            if history is not None:
                store.store(history, kept)
            corpus.add_file(type(outcome)(path=outcome.path, reports=kept, error=outcome.error))


def _open_history(db: Path) -> Any:
    from deliverability.checks.dmarc_reports.store import HistoryError, open_history

    try:
        return open_history(db)
    except HistoryError as exc:
        raise UsageFailure(str(exc)) from None


def _imap_outcomes(url: str, timeout: float, cutoff: datetime | None) -> Any:
    from deliverability.checks.dmarc_reports.model import FileOutcome
    from deliverability.checks.dmarc_reports.reading import MAX_FILE_BYTES, outcome
    from deliverability.net.imap import ImapFailed, ImapSource, messages

    try:
        source = ImapSource.parse(url)
    except ValueError as exc:
        raise UsageFailure(str(exc)) from None
    password = os.environ.get(PASSWORD_VARIABLE)
    if not password:
        raise UsageFailure(f"--imap needs the password in ${PASSWORD_VARIABLE}")
    try:
        for name, raw in messages(
            source,
            password,
            timeout=max(timeout, 10.0),
            since=cutoff.date() if cutoff else None,
            max_bytes=MAX_FILE_BYTES,
        ):
            yield (
                outcome(name, raw)
                if raw is not None
                else FileOutcome(
                    path=name, error=f"larger than {MAX_FILE_BYTES // 2**20} MiB: refused"
                )
            )
    except ImapFailed as exc:
        raise UsageFailure(f"--imap: {exc}") from None


def _main_domain(corpus: Corpus) -> str:
    """The policy domain with the most messages: what the report is about."""
    if not corpus.domains:
        return "dmarc-reports"
    return max(corpus.domains.values(), key=lambda d: (d.messages, d.name)).name


def _line(text: str) -> str:
    from deliverability.text import clean_line

    return clean_line(text)
