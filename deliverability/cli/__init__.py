"""The command line: the only package that prints or exits.

Exit status: 0 nothing at or above --fail-on; 1 a finding at or above it (--strict:
`unknown` too); 2 bad input (usage, bad domain or IP, unreadable file); 130
interrupted. Every error is one line on stderr, never a traceback or a usage block.

Each command lives in its own module; options they share are in options.py, the
run plumbing in running.py. Heavy modules are imported inside the commands, so
`--help` starts fast.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from enum import StrEnum
from typing import Annotated

import typer

from deliverability import __version__
from deliverability.cli import (
    baseline,
    bounce,
    check,
    codes,
    configuration,
    dmarc_reports,
    failures,
    fix,
    guide,
    hints,
    merge,
    message,
)
from deliverability.cli.options import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, UsageFailure

HELP = """Tell why email from a sender does not reach its recipients, and what to do.

\b
Exit status:
  0  no finding at or above --fail-on (default: error)
  1  a finding at or above --fail-on (with --strict, also any 'unknown')
  2  bad input: usage, a bad domain, IP or resolver, an unreadable file
  70 an internal error (--debug shows the traceback); 74 a failing write
  130 interrupted (Ctrl-C); 141 the output pipe closed; 143 terminated (SIGTERM)
"""

with contextlib.suppress(ImportError, AttributeError):  # another typer: its own coercion
    from deliverability.cli import coercion

    coercion.install()  # option values without importing pydantic (cli/coercion.py)

app = typer.Typer(
    help=HELP,
    add_completion=True,  # --install-completion, --show-completion
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("check")(check.check)
app.command("guide")(guide.guide)
app.command("message")(message.message)
app.command("dmarc-reports")(dmarc_reports.dmarc_reports)
app.command("bounce")(bounce.bounce)
app.command("diff")(baseline.diff)
app.command("config")(configuration.config)
app.command("checks")(codes.list_checks)
app.command("explain")(codes.explain)
app.command("init")(guide.init)
app.command("merge")(merge.merge)
app.command("fix")(fix.fix)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deliverability {__version__}")
        raise typer.Exit(EXIT_OK)


class Color(StrEnum):
    """--color choices."""

    auto = "auto"
    always = "always"
    never = "never"


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    color: Annotated[
        Color,
        typer.Option(
            "--color", help="Colour: auto (a terminal, unless NO_COLOR), always or never."
        ),
    ] = Color.auto,
    debug: Annotated[
        bool, typer.Option("--debug", help="Print the traceback of an internal error.")
    ] = False,
) -> None:
    """Tell why email from a sender does not reach its recipients, and what to do."""
    # rich reads NO_COLOR and FORCE_COLOR; the flag wins over both (main() restores them)
    if color is Color.always:
        os.environ.pop("NO_COLOR", None)
        os.environ["FORCE_COLOR"] = "1"
    elif color is Color.never:
        os.environ.pop("FORCE_COLOR", None)
        os.environ["NO_COLOR"] = "1"


def main(argv: list[str] | None = None) -> int:
    """Run the command line with `argv` (default: sys.argv) and return the exit status:
    whatever escapes a command is one line on stderr (cli/failures.py)."""
    args, debug = failures.take_debug_flag(sys.argv[1:] if argv is None else list(argv))
    previous = failures.stop_on_sigterm()
    saved = {name: os.environ.get(name) for name in ("NO_COLOR", "FORCE_COLOR")}
    try:
        code = _run(args)
    except SystemExit:
        if not failures.click_saw_a_broken_pipe():
            raise
        failures.silence_stdout()
        _error(failures.describe(BrokenPipeError())[0])
        code = failures.EXIT_BROKEN_PIPE
    except failures.Terminated:
        _error("terminated")
        return failures.EXIT_TERMINATED
    except Exception as exc:  # noqa: BLE001 (the one place every escape is turned into a line)
        if debug:
            failures.print_traceback(exc)
        message, code = failures.describe(exc)
        if isinstance(exc, BrokenPipeError):
            failures.silence_stdout()
        _error(message if debug else f"{message} (--debug shows the traceback)")
    finally:
        failures.restore_sigterm(previous)
        _restore_environment(saved)  # --color changed them for this run only
    return code


def _restore_environment(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _run(argv: list[str]) -> int:
    _skip_doh_unless_asked(argv)
    try:
        result = app(args=argv, prog_name="deliverability", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except failures.Terminated:
        raise
    except (typer.Abort, KeyboardInterrupt):
        _error("interrupted")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:  # usage errors of the framework itself
        if (
            type(exc).__name__ == "NoArgsIsHelpError"
        ):  # bare `deliverability`: its message is the help
            sys.stdout.write(exc.format_message() + "\n")
            return EXIT_OK
        args = [str(a) for a in argv]
        _error(
            _domain_taken_for_option(argv)
            or hints.no_command_hint(args, sorted(app_commands()))
            or hints.with_choice_hint(exc.format_message())
        )
        return EXIT_BAD_INPUT
    except UsageFailure as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    return result if isinstance(result, int) else EXIT_OK


def app_commands() -> set[str]:
    """The names of the commands."""
    return {c.name for c in app.registered_commands if c.name}


def _domain_taken_for_option(argv: list[str] | None) -> str | None:
    """`check -foo.com` reads as `-f oo.com`: say what is wrong with the domain instead."""
    from deliverability.validation import BadInput, validate_domain

    for token in sys.argv[1:] if argv is None else argv:
        if token.startswith("-") and not token.startswith("--") and "." in token:
            try:
                validate_domain(token)
            except BadInput as exc:
                return str(exc)
    return None


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


_NO_DNS = ("--version", "--help", "-h")


def _skip_doh_unless_asked(args: list[str]) -> None:
    """dnspython imports its DNS-over-HTTPS stack (~45 ms) with its resolver; only
    `--resolver https://...` needs it, so a run without one skips it (docs/performance.md)."""
    if "dns.query" in sys.modules or any("https://" in str(arg) for arg in args):
        return
    if not args or any(str(arg) in _NO_DNS for arg in args):  # importing dns costs ~10 ms
        return
    try:  # a private dnspython name: if a release renames it, start up ~45 ms slower, no worse
        import dns._features

        dns._features.force("doh", False)
    except (ImportError, AttributeError, TypeError):
        return


def _error(message: str) -> None:
    from deliverability.text import clean_line

    sys.stderr.write(f"deliverability: error: {clean_line(message)}\n")
