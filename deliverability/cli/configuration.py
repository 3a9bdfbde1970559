"""Configuration on the command line: `--config FILE`, `--no-config`, and `deliverability config`.

The `[check]` table of the configuration file (settings.py) gives defaults; a flag
given on the command line wins. Where each value came from is kept, so `deliverability
config` can say: the file's path, `flag`, or `default`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deliverability.cli import inputs
from deliverability.cli.options import (
    DEFAULT_TIMEOUT,
    FailOn,
    FailOnOpt,
    FormatOpt,
    OutputFormat,
    ResolverOpt,
    StrictOpt,
    TimeoutOpt,
    UsageFailure,
)

if TYPE_CHECKING:
    from deliverability.settings import ConfigFile

# [check] key -> the parameter name of its flag
PARAMS = {
    "select": "select",
    "ignore": "ignore",
    "fail-on": "fail_on",
    "strict": "strict",
    "resolver": "resolver",
    "timeout": "timeout",
    "blocklists": "blocklists",
    "format": "output_format",
    "concurrency": "concurrency",
    "workers": "workers",
}
# the settings that are ReportOptions fields (the rest are `check`'s own flags)
REPORT_SETTINGS = ("fail_on", "strict", "resolver", "timeout", "output_format")
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        dir_okay=False,
        help="Configuration file (default: the nearest deliverability.toml or pyproject.toml).",
    ),
]
NoConfigOpt = Annotated[
    bool, typer.Option("--no-config", help="Ignore configuration files (flags and defaults only).")
]


def chosen_config(path: Path | None, no_config: bool) -> ConfigFile | None:
    """--config FILE, else the nearest configuration file (none with --no-config)."""
    from deliverability.settings import find_config, load_config

    if no_config:
        if path is not None:
            raise UsageFailure("give --config FILE or --no-config, not both")
        return None
    found = path if path is not None else find_config(Path.cwd())
    if found is None:
        return None
    with inputs.bad_input_is_usage_failure():
        return load_config(found)


def settle(
    context: typer.Context, values: dict[str, Any], config: ConfigFile | None
) -> tuple[dict[str, Any], dict[str, str]]:
    """`values` (by parameter name) with the config's defaults under the flags given, and
    where each [check] key's value came from: the file's path, `flag` or `default`."""
    settled, sources = dict(values), {}
    for key, name in PARAMS.items():
        source = context.get_parameter_source(name)
        if source is not None and source.name != "DEFAULT":  # given on the command line
            sources[key] = "flag"
        elif config is not None and key in config.check:
            settled[name] = _as_flag(name, config.check[key])
            sources[key] = str(config.path)
        else:
            sources[key] = "default"
    return settled, sources


def _as_flag(name: str, value: Any) -> Any:
    """A validated [check] value in the type its flag's parameter has."""
    if name == "fail_on":
        return FailOn(value)
    if name == "output_format":
        return OutputFormat(value)
    return value


def config(
    context: typer.Context,
    config_file: ConfigOpt = None,
    no_config: NoConfigOpt = False,
    select: Annotated[list[str] | None, typer.Option("--select", metavar="X")] = None,
    ignore: Annotated[list[str] | None, typer.Option("--ignore", metavar="X")] = None,
    fail_on: FailOnOpt = FailOn.error,
    strict: StrictOpt = False,
    resolver: ResolverOpt = None,
    timeout: TimeoutOpt = DEFAULT_TIMEOUT,
    blocklists: Annotated[str, typer.Option("--blocklists", metavar="LISTS")] = "default",
    output_format: FormatOpt = OutputFormat.terminal,
    concurrency: Annotated[int, typer.Option("--concurrency", metavar="N", min=1, max=1000)] = 16,
    workers: Annotated[int, typer.Option("--workers", metavar="N", min=1, max=64)] = 1,
) -> None:
    """Show the settings `check` would use and where each came from (file, flag or default)."""
    given = dict(locals())
    chosen = chosen_config(config_file, no_config)
    values, sources = settle(context, {name: given[name] for name in PARAMS.values()}, chosen)
    lines = [f"# configuration file: {chosen.path if chosen else 'none'}", "[check]"]
    for key, name in PARAMS.items():
        lines.append(f"{key} = {_toml(values[name])}  # {sources[key]}")
    sys.stdout.write("\n".join(lines) + "\n")


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "[]"
    if isinstance(value, str):  # StrEnum values too
        return json.dumps(str(value))
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(str(v)) for v in value) + "]"
    return str(value)
