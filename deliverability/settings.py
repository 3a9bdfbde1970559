"""Configuration files: `deliverability.toml`, or `[tool.deliverability]` in pyproject.toml.

Found as ruff and yamllint find theirs: in the current directory or the nearest parent
that has one, stopping at the repository root (a directory holding `.git`) or the home
directory. Besides the sender profile (profile.py) the file takes a `[check]` table of
defaults for `check`'s options, validated here as the flags are, each problem one line
naming the file and the key (BadInput); flags override it.

    [check]
    select = ["spf", "dmarc"]   # or "spf,dmarc"
    ignore = []
    fail-on = "warning"         # error, warning or never
    strict = true
    resolver = ["192.0.2.53"]   # or one string
    timeout = 3.0
    blocklists = "default"
    format = "sarif"
    concurrency = 8
    workers = 2                 # processes for a bulk run (docs/scale.md)
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import Any

from deliverability.files import UnreadableFile, read_user_text
from deliverability.lean import dataclass
from deliverability.pyproject import configures_us
from deliverability.validation import BadInput, validate_resolver, validate_timeout

CONFIG_FILE = "deliverability.toml"
PYPROJECT = "pyproject.toml"
FORMATS = (
    *("terminal", "markdown", "json", "sarif", "junit", "csv", "html", "text"),
    *("github", "gitlab", "concise"),
)


@dataclass(frozen=True, kw_only=True)
class ConfigFile:
    """A configuration file found or named: its path, its `[check]` table and the rest (the profile)."""

    path: Path
    check: dict[str, Any] = field(default_factory=dict)  # validated, keys as in SETTINGS
    profile: dict[str, Any] = field(default_factory=dict)  # the sender profile's tables


def find_config(start: Path, home: Path | None = None) -> Path | None:
    """The nearest deliverability.toml, or pyproject.toml with [tool.deliverability], from `start` up."""
    home = home or Path.home()
    for folder in [start, *start.parents]:
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_our_table(pyproject):
            return pyproject
        if (folder / ".git").exists() or folder == home:
            return None
    return None


def load_config(path: Path) -> ConfigFile:
    """Read and validate a configuration file; BadInput names the file and the bad key."""
    table = _our_table(path, _parse(path))
    check = table.get("check", {})
    if not isinstance(check, dict):
        raise BadInput(f"{path}: [check] must be a table")
    profile = {key: value for key, value in table.items() if key != "check"}
    return ConfigFile(path=path, check=validate_check_table(check, str(path)), profile=profile)


def validate_check_table(table: dict[str, Any], source: str) -> dict[str, Any]:
    """Each `[check]` key checked like its flag; the values in the flags' types."""
    out = {}
    for key, value in table.items():
        validate = SETTINGS.get(key)
        if validate is None:
            raise BadInput(f"{source}: [check] unknown key {key!r} (known: {', '.join(SETTINGS)})")
        try:
            out[key] = validate(value)
        except (BadInput, ValueError, TypeError) as exc:
            raise BadInput(f"{source}: [check] {key}: {exc}") from None
    return out


def _parse(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(read_user_text(path, "configuration file"))
    except UnreadableFile as exc:
        raise BadInput(str(exc)) from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: invalid TOML: {exc}") from None


def _our_table(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    if path.name != PYPROJECT:
        return data
    table = data.get("tool", {}).get("deliverability", {})
    if not isinstance(table, dict):
        raise BadInput(f"{path}: [tool.deliverability] must be a table")
    return table


def _has_our_table(path: Path) -> bool:
    try:
        return configures_us(read_user_text(path, "pyproject.toml"))
    except UnreadableFile:
        return False  # someone else's unreadable file is not ours to report


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("must be a list of strings (or one comma-separated string)")
    return [v.strip() for v in value if v.strip()]


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value.lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, not {value!r}")
        return value.lower()

    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"must be true or false, not {value!r}")
    return value


def _resolvers(value: Any) -> list[str]:
    resolvers = [value] if isinstance(value, str) else value
    if not isinstance(resolvers, list) or not all(isinstance(r, str) for r in resolvers):
        raise TypeError("must be a resolver address or a list of them")
    for resolver in resolvers:
        validate_resolver(resolver)
    return resolvers


def _timeout(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"must be a number of seconds, not {value!r}")
    validate_timeout(float(value))
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"must be a string, not {value!r}")
    return value


def _whole_number(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}, not {value!r}")
        return value

    return check


SETTINGS: dict[str, Callable[[Any], Any]] = {
    "select": _names,
    "ignore": _names,
    "fail-on": _choice(("error", "warning", "never")),
    "strict": _flag,
    "resolver": _resolvers,
    "timeout": _timeout,
    "blocklists": _text,
    "format": _choice(FORMATS),
    "concurrency": _whole_number(1, 1000),
    "workers": _whole_number(1, 64),
}
