"""The console script: start the first DNS questions, then load and run the command line.

`deliverability check DOMAIN` spends ~0.2 s of CPU loading typer, dnspython and the
checks before it can ask anything. For a plain one-domain check this module reads
the arguments itself (standard library only), and when it is sure what the run will
ask and of which resolver, starts those questions (net/prefetch.py) before importing
the rest. Whenever it is not sure (another command, several domains, a zone file,
--offline, --select, a configuration file that may change the resolver...) it
starts nothing: the run is then exactly as without it.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

# check's options that take a value, and those that do not (tests/test_launch.py
# compares these with the command's own). Any other option: no prefetch.
VALUE_OPTIONS = frozenset(
    {"--ip", "--mail-from", "--helo", "--selector", "--selectors-from", "--profile"}
    | {"--recipient", "--blocklists", "--spamhaus-key", "--baseline", "--concurrency"}
    | {"--shard", "--format", "-f", "--output", "-o", "--fail-on", "--resolver", "--workers"}
    | {"--timeout", "--select", "--ignore", "--from-file", "--config", "--qps", "--zone-file"}
)
FLAG_OPTIONS = frozenset(
    {"--no-config", "--strict", "--offline", "--verbose", "-v", "--quiet", "-q"}
)
# what changes the questions, their resolver or their number: never prefetched
_UNSURE = frozenset({"--select", "--ignore", "--from-file", "--config", "--qps", "--zone-file"})
_UNSURE |= {"--offline", "--profile", "--shard", "--baseline", "--workers"}
_CONFIG_FILES = ("deliverability.toml", "pyproject.toml")


def console() -> None:
    """The `deliverability` command."""
    _prefetch(sys.argv[1:])
    from deliverability.cli import console as run

    run()


def _prefetch(argv: list[str]) -> None:
    if os.environ.get("DELIVERABILITY_NO_PREFETCH"):  # to measure what it saves
        return
    try:
        plan = prefetch_plan(argv)
        if plan is None:
            return
        from pathlib import Path

        if not _config_nearby(Path.cwd()):
            from deliverability.net import prefetch

            domain = plan[2]
            prefetch.start(*plan, later=lambda: second_wave(domain))
    except Exception:  # noqa: BLE001 (a speed-up only: the run asks everything itself)
        return


def second_wave(domain: str) -> list[tuple[str, str]]:
    """What a full check of `domain` asks the moment it starts, whatever the first
    wave's answers: every built-in DKIM selector, and the DMARC walk above `domain`
    (which the report authorization waits for). From the checks' own tables,
    imported in the prefetch's thread."""
    from deliverability.checks.dkim.selectors import BUILT_IN_SELECTORS
    from deliverability.checks.dmarc.names import walk_targets

    keys = [(f"{s.name}._domainkey.{domain}", "TXT") for s in BUILT_IN_SELECTORS]
    return keys + [(f"_dmarc.{parent}", "TXT") for parent in walk_targets(domain)[1:]]


def prefetch_plan(argv: list[str]) -> tuple[tuple[str, int] | None, float, str, list[str]] | None:
    """(resolver or None for the system's, timeout, domain, IPs) when `argv` is a plain
    one-domain `check` whose questions are sure; None otherwise."""
    args = [a for a in argv if a != "--debug"]
    if len(args) < 2 or args[0] != "check":
        return None
    values: dict[str, list[str]] = {}
    positionals: list[str] = []
    rest = iter(args[1:])
    for token in rest:
        name, sep, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        if token == "--":
            positionals += list(rest)
        elif name in VALUE_OPTIONS:
            value = inline if sep else next(rest, None)
            if value is None:
                return None
            values.setdefault(name, []).append(value)
        elif token in FLAG_OPTIONS:
            values.setdefault(token, [])
        elif token.startswith("-"):
            return None  # -abc, an unknown option, --help: let the command line say
        else:
            positionals.append(token)
    if len(positionals) != 1 or _UNSURE & values.keys():
        return None
    resolvers = values.get("--resolver", [])
    if len(resolvers) > 1 or any("/" in r for r in resolvers):  # several, or DNS over HTTPS
        return None
    server = None
    if resolvers:
        from deliverability.net.addresses import parse_resolver

        try:
            server = parse_resolver(resolvers[0])
        except ValueError:
            return None
    timeout = float(values.get("--timeout", ["5"])[-1])
    domain = positionals[0].lower().rstrip(".")
    ips = [_ip(ip) for ip in values.get("--ip", [])]
    if not 0 < timeout <= 600 or None in ips:
        return None
    return server, timeout, domain, [ip for ip in ips if ip]


def _ip(text: str) -> str | None:
    import ipaddress

    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _config_nearby(start: Path) -> bool:
    """Whether a configuration file applies: settings.find_config's walk. Not
    find_config itself: importing settings (lean, dataclasses, the option tables) would
    hold the first question back."""
    home = start.home()
    for folder in [start, *start.parents]:
        for name in _CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _names_us(candidate)):
                return True
        if (folder / ".git").exists() or folder == home:
            return False
    return False


def _names_us(pyproject: Path) -> bool:
    """settings._has_our_table's answer (pyproject.py holds the rule for both)."""
    try:
        with open(pyproject, "rb") as f:
            data = f.read((1 << 20) + 1)
    except OSError:
        return True  # unsure: no prefetch
    if len(data) > 1 << 20:
        return True  # a pyproject.toml of over a megabyte: unsure, no prefetch
    from deliverability.pyproject import configures_us

    try:
        return configures_us(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return False  # settings does not read it either
